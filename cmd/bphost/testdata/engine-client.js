// Drives `bphost serve`, started with an Intiface Engine command line, with
// the npm `buttplug` 5.0.2 client (written by others): in one session it
// finds a websocket Lovense toy and a serial TCode stroker, vibrates the
// first and moves the second, printing one JSON line per step for the
// Engine end-to-end test of cmd/bphost.
//
// usage: node engine-client.js ws://127.0.0.1:PORT
// env:   PEERS  the peers folder whose node_modules hold the client
'use strict';
const path = require('path');
const bp = require(path.join(process.env.PEERS, 'node_modules', 'buttplug'));
const url = process.argv[2];
const out = (o) => console.log(JSON.stringify(o));
const describe = (e) => `${e && e.constructor && e.constructor.name}: ${e && e.message}`;

async function step(name, f) {
  try {
    const value = await f();
    out({ step: name, ok: true, value: value === undefined ? null : value });
    return value;
  } catch (e) {
    out({ step: name, ok: false, error: describe(e) });
    throw e;
  }
}

// waitDevices resolves with the client's Lovense and TCode devices once it
// has both, whether they came in the first device list or while scanning.
function waitDevices(client, ms) {
  return new Promise((resolve, reject) => {
    const find = () => {
      const devs = [...client.devices.values()];
      const lovense = devs.find((d) => d.name.startsWith('Lovense'));
      const tcode = devs.find((d) => d.name.includes('TCode'));
      if (lovense && tcode) {
        clearTimeout(timer);
        client.off('deviceadded', find);
        resolve({ lovense, tcode });
      }
    };
    const timer = setTimeout(() => {
      client.off('deviceadded', find);
      reject(new Error(`not both devices within ${ms}ms: ${[...client.devices.values()].map((d) => d.name).join(', ')}`));
    }, ms);
    client.on('deviceadded', find);
    find();
  });
}

async function main() {
  const client = new bp.ButtplugClient('Engine Client');
  await step('connect', () => client.connect(new bp.ButtplugNodeWebsocketClientConnector(url)));
  await step('serverName', () => client.serverInfo.serverName);
  const found = waitDevices(client, 20000);
  await step('scan', () => client.startScanning());
  let lovense, tcode;
  await step('devices', async () => {
    ({ lovense, tcode } = await found);
    return [lovense.name, tcode.name];
  });
  await step('stopScanning', () => client.stopScanning());
  await step('vibrate', () => lovense.runOutput(bp.DeviceOutput.Vibrate.percent(0.5)));
  await step('linear', () => tcode.runOutput(bp.DeviceOutput.HwPositionWithDuration.percent(0.5, 500)));
  await step('disconnect', () => client.disconnect());
  setTimeout(() => process.exit(0), 200);
}
main().catch(() => process.exit(1));
