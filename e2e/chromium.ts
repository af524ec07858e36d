/**
 * Launch options for Debian's chromium (never a downloaded browser). WebGPU needs exactly
 * --enable-unsafe-webgpu here (SwiftShader adapter); the other flags keep Chromium off the closed
 * network. Adding Vulkan/ANGLE flags makes requestAdapter hang on these machines.
 */
export function chromiumLaunch(webgpu: boolean) {
  return {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      ...(webgpu ? ['--enable-unsafe-webgpu'] : []),
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-domain-reliability',
    ],
  };
}
