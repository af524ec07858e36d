// `node --import ./bench/node/register.mjs`: installs raw-loader.mjs before the entry module loads.
import { register } from 'node:module';

register('./raw-loader.mjs', import.meta.url);
