// npm run bench [-- key=value …]: the bench page (bench/bench.ts; the options go to it), then the fidelity scores
// (training/score_bench.py), then the chart and the README section (bench/report.mjs), all on the same result file.
// A separate script rather than `a && b && c` in package.json, because npm appends the options to the last command.
import { execFileSync } from 'node:child_process';

const run = (command, ...args) => execFileSync(command, args, { stdio: 'inherit' });
run('node', 'bench/run-page.mjs', 'bench', ...process.argv.slice(2));
run('python3', '-m', 'training.score_bench', '--latest');
run('node', 'bench/report.mjs');
