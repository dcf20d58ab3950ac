// Drives `bphost serve` with the npm `buttplug` 5.0.2 client (written by
// others) against a Bluetooth LE toy of the BlueZ stand-in, printing one
// JSON line per step for the Bluetooth LE end-to-end test of cmd/bphost.
//
// usage: node ble-client.js ws://127.0.0.1:PORT
// env:   PEERS  the peers folder whose node_modules hold the client
//
// After the first drive it prints {"step":"drop-now"} and waits for the
// test to drop the toy's link, then for DeviceRemoved; it scans again,
// finds the toy again, vibrates and leaves without a stop: the server must
// stop the toy itself.
'use strict';
const path = require('path');
const bp = require(path.join(process.env.PEERS, 'node_modules', 'buttplug'));
const url = process.argv[2];
const out = (o) => console.log(JSON.stringify(o));
const describe = (e) => `${e && e.constructor && e.constructor.name}: ${e && e.message}`;
const within = (p, ms, what) => Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms}ms`)), ms))]);

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

async function main() {
  const client = new bp.ButtplugClient('BLE Client');
  await step('connect', () => client.connect(new bp.ButtplugNodeWebsocketClientConnector(url)));
  let added = new Promise((resolve) => client.once('deviceadded', resolve));
  await step('scan', () => client.startScanning());
  const device = await within(added, 20000, 'device');
  await step('device', () => device.name);
  await step('stopScanning', () => client.stopScanning());
  await step('vibrate', () => device.runOutput(bp.DeviceOutput.Vibrate.percent(0.5)));
  await step('battery', () => device.battery());
  await step('stop', () => device.stop());

  const removed = new Promise((resolve) => client.once('deviceremoved', resolve));
  out({ step: 'drop-now', ok: true, value: null });
  await step('removed', async () => { const d = await within(removed, 5000, 'deviceremoved'); return d.index; });

  added = new Promise((resolve) => client.once('deviceadded', resolve));
  await step('rescan', () => client.startScanning());
  const again = await within(added, 20000, 'device again');
  await step('again', () => again.name);
  await step('stopScanning2', () => client.stopScanning());
  await step('vibrate2', () => again.runOutput(bp.DeviceOutput.Vibrate.percent(0.25)));
  // Leave with the toy running: the server must stop it.
  await step('disconnect', () => client.disconnect());
  setTimeout(() => process.exit(0), 200);
}
main().catch(() => process.exit(1));
