// The npm buttplug 5.0.2 client's side of `make bench-e2e`: connect to a
// bphost serve, scan for its one simulated toy, then time Vibrate → Ok one
// at a time and with INFLIGHT in flight. Prints "start" and "end" around the
// pipelined phase, each time waiting for a line on stdin, then one JSON line
// of results.
//
// usage: node npmclient.js WS_URL WARMUP SERIAL PIPELINE INFLIGHT
// NODE_PATH must reach the node_modules of interop/peers.
'use strict';
const bp = require('buttplug');

async function main() {
  const [url, warmup, serial, pipeline, inflight] = [process.argv[2], ...process.argv.slice(3, 7).map(Number)];
  const client = new bp.ButtplugClient('benche2e npm');
  await client.connect(new bp.ButtplugNodeWebsocketClientConnector(url));
  // A server that kept the toy from an earlier session lists it at once.
  const known = [...client.devices.values()];
  let dev = known[0];
  if (!dev) {
    const added = new Promise((res) => client.once('deviceadded', res));
    await client.startScanning();
    dev = await Promise.race([added, new Promise((_, rej) => setTimeout(() => rej(new Error('no device after 10s')), 10000))]);
    await client.stopScanning();
  }
  // Alternate levels (1 and 2 of the Hush's 20 steps) so none is a repeat.
  const cmd = [bp.DeviceOutput.Vibrate.percent(0.05), bp.DeviceOutput.Vibrate.percent(0.1)];
  const op = (i) => dev.runOutput(cmd[i % 2]);
  for (let i = 0; i < warmup; i++) await op(i);
  const lat = new Array(serial);
  for (let i = 0; i < serial; i++) {
    const t0 = process.hrtime.bigint();
    await op(i);
    lat[i] = Number(process.hrtime.bigint() - t0);
  }
  lat.sort((a, b) => a - b);
  // The runner meters the server's CPU around the pipelined phase: say
  // when it starts and ends, and wait for its go-ahead each time.
  const lines = require('readline').createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const sync = async (what) => { console.log(what); await lines.next(); };
  await sync('start');
  const cpu0 = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < pipeline) await op(next++);
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inflight }, worker));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await sync('end');
  console.log(JSON.stringify({
    p50_ns: lat[Math.floor(serial / 2)],
    p99_ns: lat[Math.floor((serial * 99) / 100)],
    per_s: pipeline / secs,
    cpu_ns_per_op: ((cpu.user + cpu.system) * 1000) / pipeline,
  }));
  await client.disconnect();
}
main().then(() => process.exit(0), (e) => { console.error('npm client:', e && e.stack || e); process.exit(1); });
