// Node's `os`: the host name, the line ending, the home and temporary folders, the platform.
'use strict';

let known = null;
const info = () => known || (known = native.osInfo());

module.exports = {
  EOL: '\n',
  devNull: '/dev/null',
  hostname: () => info().hostname,
  homedir: () => info().homedir,
  tmpdir: () => info().tmpdir,
  platform: () => process.platform,
  type: () => info().type,
  arch: () => info().arch,
  machine: () => info().arch,
  release: () => info().release,
  version: () => info().release,
  endianness: () => 'LE',
  availableParallelism: () => info().cpus,
  cpus: () => Array.from({ length: info().cpus }, () => ({ model: 'unknown', speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } })),
  totalmem: () => 0,
  freemem: () => 0,
  uptime: () => process.uptime(),
  loadavg: () => [0, 0, 0],
  networkInterfaces: () => ({}),
  userInfo: () => ({ username: info().username, homedir: info().homedir, shell: process.env.SHELL || null, uid: -1, gid: -1 }),
  constants: { signals: {}, errno: {}, priority: {} },
};
