// Drives a Buttplug websocket server with the npm `buttplug` client written
// by others, printing one JSON line per frame and per step, for the
// interop tests of core/server.
//
// usage: node interop-client.js ws://127.0.0.1:PORT
// env:   PEERS  the peers folder whose node_modules hold the clients
//        BP     buttplug (5.0.2, spec v4) or bp3 (3.2.2, spec v3)
'use strict';
const path = require('path');
const peers = process.env.PEERS;
const pkg = process.env.BP || 'buttplug';
const url = process.argv[2];
const modules = path.join(peers, 'node_modules');
const bp = require(path.join(modules, pkg));
const out = (o) => console.log(JSON.stringify(o));

// Frames are logged by hooking the `ws` class the connector uses.
const WS = require(require.resolve('ws', { paths: [path.join(modules, pkg)] })).WebSocket;
const send = WS.prototype.send;
WS.prototype.send = function (data, ...rest) {
  out({ frame: 'C->S', data: String(data) });
  return send.call(this, data, ...rest);
};
const emit = WS.prototype.emit;
WS.prototype.emit = function (ev, ...args) {
  if (ev === 'message') out({ frame: 'S->C', data: args[0].toString() });
  return emit.call(this, ev, ...args);
};

const describe = (e) => `${e && e.constructor && e.constructor.name}: ${e && e.message}`;

async function step(name, f) {
  try {
    const value = await f();
    out({ step: name, ok: true, value: value === undefined ? null : value });
  } catch (e) {
    out({ step: name, ok: false, error: describe(e) });
  }
}

async function main() {
  const client = new bp.ButtplugClient('Interop Client');
  const added = new Promise((resolve) => client.once('deviceadded', resolve));
  await step('connect', () => client.connect(new bp.ButtplugNodeWebsocketClientConnector(url)));
  await step('scan', () => client.startScanning());
  let device;
  await step('device', async () => {
    device = await Promise.race([added, new Promise((_, reject) => setTimeout(() => reject(new Error('no device within 20s')), 20000))]);
    return device.name;
  });
  if (device) {
    await step('vibrate', () => (bp.DeviceOutput ? device.runOutput(bp.DeviceOutput.Vibrate.percent(0.5)) : device.vibrate(0.5)));
    await step('battery', () => device.battery());
    await step('stop', () => device.stop());
  }
  await step('stopScanning', () => client.stopScanning());
  await step('disconnect', () => client.disconnect());
  setTimeout(() => process.exit(0), 200);
}
main().catch((e) => { out({ step: 'fatal', ok: false, error: describe(e) }); process.exit(1); });
