// bphost control panel: plain JavaScript, no build step, no dependencies.
// Every request carries the per-run token the server put into the page.
"use strict";

const tokenFromHash = new URLSearchParams(location.hash.slice(1)).get("token");
const token = document.querySelector('meta[name="bphost-token"]').content || tokenFromHash || "";
const $ = (sel) => document.querySelector(sel);

let scanning = false;
let stopGeneration = 0;          // bumped by every stop; older slider sends are dropped
const senders = new Map();       // control key -> {pending, inflight}
const inflight = new Set();      // output requests on the wire
const moveMs = 500;              // the time a HwPositionWithDuration move takes

async function api(method, path) {
  const res = await fetch("/api/v1/" + path, { method, headers: { "X-Bphost-Token": token }, cache: "no-store" });
  const text = await res.text();
  let body = null;
  if (text) { try { body = JSON.parse(text); } catch { body = text; } }
  if (!res.ok) {
    const msg = body && body.error ? `${body.code_name}: ${body.error}` : `HTTP ${res.status}`;
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  return body;
}

function log(text, cls) {
  const li = document.createElement("li");
  if (cls) li.className = cls;
  const t = document.createElement("time");
  t.textContent = new Date().toLocaleTimeString([], { hour12: false });
  li.append(t, document.createTextNode(text));
  const ol = $("#log");
  ol.prepend(li);
  while (ol.children.length > 300) ol.lastChild.remove();
}

function setPill(el, on, text) {
  el.textContent = text;
  el.classList.toggle("on", on);
  el.classList.toggle("off", !on);
}

function showStatus(st) {
  if (!st) return;
  setPill($("#client"), !!st.client, st.client ? `client ${st.client.name} (spec ${st.client.version})` : "no client");
  setScanning(st.scanning);
}

function setScanning(on) {
  scanning = on;
  setPill($("#scan-state"), on, on ? "scanning" : "not scanning");
  $("#scan").textContent = on ? "Stop scan" : "Scan";
}

// Sliders: a fraction of the output's range, 0..1 (-1..1 when signed).
function controlKey(dev, feat, type) { return `${dev}/${feat}/${type}`; }

function sendLevel(dev, feat, type, level) {
  const key = controlKey(dev, feat, type);
  let s = senders.get(key);
  if (!s) { s = { pending: null, busy: false }; senders.set(key, s); }
  s.pending = { level, generation: stopGeneration };
  if (!s.busy) pump(s, dev, feat, type);
}

async function pump(s, dev, feat, type) {
  s.busy = true;
  while (s.pending) {
    const { level, generation } = s.pending;
    s.pending = null;
    if (generation !== stopGeneration) continue; // a stop came after this value
    const p = api("PUT", `devices/${dev}/features/${feat}/outputs/${type}/${level}` + (type === "HwPositionWithDuration" ? `?duration=${moveMs}` : ""));
    inflight.add(p);
    try {
      await p;
    } catch (e) {
      if (e.status !== 409) log(`device ${dev} feature ${feat} ${type} ${level}: ${e.message}`, "error");
    } finally {
      inflight.delete(p);
    }
  }
  s.busy = false;
}

async function stopAll() {
  stopGeneration++;
  for (const s of senders.values()) s.pending = null;
  for (const el of document.querySelectorAll("input[data-output]")) { el.value = 0; showLevel(el); }
  const racing = [...inflight];
  try {
    await api("PUT", "devices/stop");
    log("stop all: done");
  } catch (e) {
    log(`stop all: ${e.message}`, "error");
  }
  // A command sent before the stop may reach the server after it: once
  // those settle, stop again, so the stop has the last word.
  if (racing.length) {
    await Promise.allSettled(racing);
    try { await api("PUT", "devices/stop"); } catch (e) { log(`stop all: ${e.message}`, "error"); }
  }
}

async function stopDevice(dev) {
  stopGeneration++;
  for (const [key, s] of senders) if (key.startsWith(dev + "/")) s.pending = null;
  for (const el of document.querySelectorAll(`.device[data-index="${dev}"] input[data-output]`)) { el.value = 0; showLevel(el); }
  try { await api("PUT", `devices/${dev}/stop`); } catch (e) { log(`stop device ${dev}: ${e.message}`, "error"); }
}

function showLevel(el) {
  const f = Number(el.value);
  const lo = Number(el.dataset.min), hi = Number(el.dataset.max);
  let steps = 0;
  if (Math.abs(f) >= 1e-6) steps = f > 0 ? Math.ceil((lo < 0 ? 0 : lo) + (hi - (lo < 0 ? 0 : lo)) * f) : -Math.ceil(-lo * -f);
  el.parentElement.querySelector("output").textContent = `${Math.round(f * 100)}% · ${steps}`;
}

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  e.append(...kids);
  return e;
}

function renderDevice(d) {
  const card = el("article", { className: "device" });
  card.dataset.index = d.index;
  card.dataset.name = d.name;
  const title = el("h3", {}, el("span", { textContent: d.display_name || d.name }), el("span", { className: "index", textContent: `#${d.index}` }));
  const row = el("div", { className: "row" });
  const stop = el("button", { type: "button", className: "stop", textContent: "Stop" });
  stop.addEventListener("click", () => stopDevice(d.index));
  row.append(stop);
  const feats = Object.values(d.features).sort((a, b) => a.FeatureIndex - b.FeatureIndex);
  const battery = feats.find((f) => f.Input && f.Input.Battery);
  if (battery) {
    const b = el("button", { type: "button", className: "battery", textContent: "Battery" });
    const shown = el("span", { className: "battery-level" });
    b.addEventListener("click", async () => {
      try {
        const r = await api("GET", `devices/${d.index}/battery`);
        shown.textContent = `${r.value}%`;
      } catch (e) { log(`battery of ${d.name}: ${e.message}`, "error"); }
    });
    row.append(b, shown);
  }
  card.append(title, row);
  for (const f of feats) {
    const box = el("div", { className: "feature" });
    box.append(el("div", { className: "desc", textContent: `feature ${f.FeatureIndex}${f.FeatureDescription ? ": " + f.FeatureDescription : ""}` }));
    for (const [type, spec] of Object.entries(f.Output || {})) {
      const [lo, hi] = spec.Value;
      const id = `out-${d.index}-${f.FeatureIndex}-${type}`;
      const input = el("input", { type: "range", id, min: lo < 0 ? -1 : 0, max: 1, step: 0.01, value: 0 });
      Object.assign(input.dataset, { output: type, feature: f.FeatureIndex, device: d.index, min: lo, max: hi });
      input.addEventListener("input", () => { showLevel(input); sendLevel(d.index, f.FeatureIndex, type, input.value); });
      const ctl = el("div", { className: "control" }, el("label", { htmlFor: id, textContent: type === "HwPositionWithDuration" ? `Position in ${moveMs} ms (${lo}–${hi})` : `${type} (${lo}–${hi})` }), input, el("output"));
      box.append(ctl);
      showLevel(input);
    }
    for (const type of Object.keys(f.Input || {})) {
      if (type === "Battery") continue;
      const read = el("button", { type: "button", className: "small", textContent: `read ${type}` });
      const shown = el("span");
      read.addEventListener("click", async () => {
        try { shown.textContent = ` ${(await api("GET", `devices/${d.index}/features/${f.FeatureIndex}/inputs/${type}`)).value}`; }
        catch (e) { log(`${type} of ${d.name}: ${e.message}`, "error"); }
      });
      box.append(el("div", { className: "inputs" }, read, shown));
    }
    card.append(box);
  }
  return card;
}

// refreshDevices re-reads the device list; a call while a read is under
// way asks for one more read after it, so no arrival is missed.
let refreshing = false, refreshAgain = false;
async function refreshDevices() {
  if (refreshing) { refreshAgain = true; return; }
  refreshing = true;
  try {
    do {
      refreshAgain = false;
      try {
        const list = await api("GET", "devices");
        const section = $("#devices");
        // Sliders keep their place across a re-render.
        const levels = new Map([...section.querySelectorAll("input[data-output]")].map((i) => [i.id, i.value]));
        for (const old of section.querySelectorAll(".device")) old.remove();
        const devs = Object.values(list).sort((a, b) => a.index - b.index);
        for (const d of devs) section.append(renderDevice(d));
        for (const [id, v] of levels) {
          const i = document.getElementById(id);
          if (i) { i.value = v; showLevel(i); }
        }
        $("#no-devices").hidden = devs.length > 0;
      } catch (e) {
        log(`devices: ${e.message}`, "error");
      }
    } while (refreshAgain);
  } finally {
    refreshing = false;
  }
}

function onEvent(ev) {
  switch (ev.type) {
    case "hello": showStatus(ev.status); refreshDevices(); break;
    case "device-added": log(`device ${ev.device} added: ${ev.name}`); refreshDevices(); break;
    case "device-removed": log(`device ${ev.device} removed: ${ev.name || ""}`); refreshDevices(); break;
    case "scanning-finished": setScanning(false); log("scanning finished"); break;
    case "client-connected": setPill($("#client"), true, `client ${ev.client} (spec ${ev.version})`); log(`client connected: ${ev.client} (spec ${ev.version})`, "client"); break;
    case "client-left": setPill($("#client"), false, "no client"); log(`client left: ${ev.client}${ev.reason ? " (" + ev.reason + ")" : ""}`, "client"); break;
    case "client-refused": log(`client refused: ${ev.reason || ""}`, "client"); break;
    case "input-reading": log(`device ${ev.device} feature ${ev.feature} ${ev.input}: ${ev.value}`); break;
    case "write": log(`${ev.name}${ev.device !== undefined ? " #" + ev.device : ""} <- ${ev.record}`, "write"); break;
    case "stopped": log(ev.device !== undefined ? `device ${ev.device} stopped` : "every device stopped"); break;
    case "overflow": log(`${ev.dropped} events dropped (log too slow)`, "error"); break;
  }
}

// The event stream is read with fetch, which can send the token header
// (EventSource cannot).
async function stream() {
  for (;;) {
    try {
      const res = await fetch("/api/v1/events", { headers: { "X-Bphost-Token": token }, cache: "no-store" });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      setPill($("#stream-state"), true, "live");
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
          if (data) { try { onEvent(JSON.parse(data)); } catch (e) { log(`bad event: ${e.message}`, "error"); } }
        }
      }
      throw new Error("stream ended");
    } catch (e) {
      setPill($("#stream-state"), false, "server gone: retrying");
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

$("#stop-all").addEventListener("click", stopAll);
$("#scan").addEventListener("click", async () => {
  // The state changes first: a scan of simulated toys can finish (an
  // event) before its request is answered.
  const start = !scanning;
  setScanning(start);
  log(start ? "scanning" : "scan stopped");
  try {
    await api("GET", start ? "start-scanning" : "stop-scanning");
  } catch (e) {
    setScanning(!start);
    log(`scan: ${e.message}`, "error");
  }
});
$("#clear-log").addEventListener("click", () => { $("#log").replaceChildren(); });
if (tokenFromHash) history.replaceState(null, "", location.pathname);
stream();
