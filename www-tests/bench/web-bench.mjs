// Browser benchmarks (issue 4, 7 and 28): drop-to-curve time with the model cached,
// on the page's default pool of tile workers (one per core, at most 4) and with the
// pool forced to one worker (`?workers=1`: everything in the main worker), interleaved;
// first result on a cold page (model fetched), peak JS heap and wasm memory, and
// the wasm size; the native CLI on the same scan and model is measured in the
// same run as the reference. Medians of RUNS runs; prints a Markdown table.
// The scan is dropped once the page is ready: model loaded and tile workers started.
//
//   node www-tests/bench/web-bench.mjs [--runs 5] [--rows 4000,12800]

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as h from '../lib/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const RUNS = Number(opt('--runs', 5));
const ROWS = opt('--rows', '4000,12800').split(',').map(Number);
const cal = JSON.parse(fs.readFileSync(path.join(h.CASES, 'full-g4/track1-gr.json'), 'utf8'));
delete cal.seed; // the seed row lies below the shorter crops; GR is the track's solid curve

function scanOf(rows) {
  const out = path.join(h.SHOTS, `bench-1300x${rows}-g4.tif`);
  fs.mkdirSync(h.SHOTS, { recursive: true });
  if (!fs.existsSync(out)) execFileSync('python3', [path.join(h.REPO, 'www-tests/lib/crop-scan.py'), String(rows), out]);
  return out;
}

function nativeSeconds(scan) {
  const veer = path.join(h.REPO, 'target/release/veer');
  const t0 = process.hrtime.bigint();
  execFileSync(veer, ['digitise', scan, '--track', `${cal.track[0]}:${cal.track[1]}`, '--scale', `${cal.scale[0]}:${cal.scale[1]}`,
    '--depth', cal.depth.map(([y, d]) => `${y}=${d}`).join(','), '--model', path.join(h.REPO, 'models/veernet-int8.onnx'),
    '--quiet', '-o', path.join(h.SHOTS, 'bench-native.csv')]);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Drop, run, wait for the curve; returns {seconds, heapPeak, wasmBytes}. */
async function dropToCurve(page, scan) {
  await page.evaluate(() => {
    window.__heapPeak = 0;
    window.__sampler = setInterval(() => {
      window.__heapPeak = Math.max(window.__heapPeak, performance.memory?.usedJSHeapSize || 0);
    }, 50);
  });
  const t0 = Date.now();
  await h.dropFile(page, scan, 'image/tiff');
  await h.waitForScan(page);
  await page.evaluate((c) => window.veer.applyCalibration(c), cal);
  await page.selectOption('#where', 'local');
  // The same scan dropped again brings back its autosaved project and its last run: wait for a new one.
  await page.evaluate(() => (window.__previous = window.veer.state.result));
  await page.click('#run');
  await page.waitForFunction(() => (window.veer.state.result && window.veer.state.result !== window.__previous) || !document.getElementById('banner').hidden, null, { timeout: 600_000 });
  const seconds = (Date.now() - t0) / 1000;
  if (!(await page.isHidden('#banner'))) throw new Error(await page.textContent('#banner'));
  const heapPeak = await page.evaluate(() => {
    clearInterval(window.__sampler);
    return window.__heapPeak;
  });
  const wasmBytes = await page.evaluate(() => window.veer.state.result.memory);
  return { seconds, heapPeak, wasmBytes };
}

const wasm = fs.readFileSync(path.join(h.REPO, 'web/www/pkg/veer_web_bg.wasm'));
const wasmGz = zlib.gzipSync(wasm, { level: 9 }).length;
const srv = await h.serve();
const browser = await h.launch();
const rows = [];
let poolSize = null;

/** A page of the app with `query`, model loaded; resolves to {context, page}. */
async function appPage(query) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(srv.url + query);
  await page.waitForFunction(() => window.veer?.client.info, null, { timeout: 60_000 });
  return { context, page };
}

/** Reloads, waits for the cached model and the tile workers; returns the seconds from load to ready. */
async function ready(page) {
  const t0 = Date.now();
  await page.reload();
  await page.waitForFunction(() => window.veer?.client.info?.fromCache, null, { timeout: 60_000 });
  await page.evaluate(() => window.veer.client.poolReady);
  return (Date.now() - t0) / 1000;
}

try {
  for (const n of ROWS) {
    const scan = scanOf(n);
    const pool = [];
    const one = [];
    const native = [];
    const poolStart = [];
    const pooled = await appPage('');
    const single = await appPage('?workers=1');
    poolSize = await pooled.page.evaluate(() => window.veer.client.tileWorkers);
    for (let i = 0; i < RUNS; i++) {
      // Interleaved with the native reference, so all three see the same machine load.
      native.push(nativeSeconds(scan));
      await ready(single.page);
      one.push(await dropToCurve(single.page, scan));
      poolStart.push(await ready(pooled.page));
      pool.push(await dropToCurve(pooled.page, scan));
    }
    await pooled.context.close();
    await single.context.close();
    const cold = [];
    for (let i = 0; i < Math.max(1, Math.min(3, RUNS)); i++) {
      const fresh = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const p = await fresh.newPage();
      const t0 = Date.now();
      await p.goto(srv.url);
      const r = await dropToCurve(p, scan);
      cold.push((Date.now() - t0) / 1000);
      await fresh.close();
      void r;
    }
    const w = h.median(pool.map((r) => r.seconds));
    const w1 = h.median(one.map((r) => r.seconds));
    const nat = h.median(native);
    rows.push({
      scan: `1,300 x ${n.toLocaleString('en')} px 1-bit G4 (track 1, 375 px wide)`,
      warm: w,
      one: w1,
      speedup: w1 / w,
      native: nat,
      ratio: w / nat,
      cold: h.median(cold),
      ready: h.median(poolStart),
      heap: Math.max(...pool.map((r) => r.heapPeak)),
      wasmMem: Math.max(...pool.map((r) => r.wasmBytes)),
    });
  }
} finally {
  await browser.close();
  await srv.close();
}

const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
console.log(`wasm: ${mb(wasm.length)} raw, ${mb(wasmGz)} gzipped (web/www/pkg/veer_web_bg.wasm)`);
console.log(`median of ${RUNS} runs; pool = the page's default, ${poolSize} tile workers here (hardwareConcurrency, at most 4); one worker = ?workers=1;`);
console.log('native = target/release/veer with the same int8 model, same scan; all three interleaved\n');
console.log(`| scan | drop to curve, model cached, ${poolSize} tile workers | one worker | one / pool | native CLI (int8) | pool / native | page load to ready (model cached, pool started) | first result, cold page | peak JS heap (page) | wasm memory (main worker) |`);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.scan} | ${r.warm.toFixed(2)} s | ${r.one.toFixed(2)} s | ${r.speedup.toFixed(2)}x | ${r.native.toFixed(2)} s | ${r.ratio.toFixed(2)}x | ${r.ready.toFixed(2)} s | ${r.cold.toFixed(2)} s | ${mb(r.heap)} | ${mb(r.wasmMem)} |`);
}
