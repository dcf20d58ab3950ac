// A soak client built on the npm Buttplug clients (interop/peers): a few
// sessions with pipelined vibrate commands; each one ends with disconnect()
// or with the process exiting while the toy moves.
//
// usage: node npm-client.js ws://127.0.0.1:PORT
// env:   BPHOST_PEERS_DIR  the interop/peers folder (its node_modules)
//        BP=buttplug (5.0.2, spec v4, default) | bp3 (3.2.2, spec v3)
'use strict';
const pkg = process.env.BP || 'buttplug';
const bp = require(require.resolve(pkg, { paths: [process.env.BPHOST_PEERS_DIR] }));
const url = process.argv[2];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rnd = (n) => Math.floor(Math.random() * n);

function vibrate(d, level) {
  if (bp.DeviceOutput) return d.runOutput(bp.DeviceOutput.Vibrate.percent(level));
  return d.vibrate(level);
}

async function session() {
  const c = new bp.ButtplugClient('soak ' + pkg);
  try {
    await c.connect(new bp.ButtplugNodeWebsocketClientConnector(url));
  } catch (e) {
    return; // busy: another client has the server
  }
  const devs = c.devices instanceof Map ? [...c.devices.values()] : c.devices;
  const pending = [];
  for (let i = 0, n = 1 + rnd(20); i < n; i++) {
    for (const d of devs) pending.push(vibrate(d, (1 + rnd(19)) / 20).catch(() => {}));
    await sleep(rnd(30));
  }
  await Promise.all(pending);
  if (rnd(3) === 0) process.exit(0); // gone with the toy moving
  try {
    await c.disconnect();
  } catch (e) {}
}

(async () => {
  setTimeout(() => process.exit(3), 30000).unref();
  for (let i = 0, n = 1 + rnd(3); i < n; i++) {
    await session();
    await sleep(rnd(100));
  }
  process.exit(0);
})();
