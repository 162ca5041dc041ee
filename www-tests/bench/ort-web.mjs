// Model inference in the browser (issue 7, benchmark 2): veer's wasm (its own forward pass, SIMD, one thread,
// `Digitiser.inferTile`) vs onnxruntime-web's wasm backend on the same int8 file and the same
// tiles, in headless Chromium, interleaved, medians. The tiles are cut from the sample print's
// preprocessed track by `crate/examples/bench_infer --dump` (what the native benchmark uses), so
// both runtimes get the identical tensor; their outputs are compared too.
//
//   node www-tests/bench/ort-web.mjs --tiles DIR[,DIR...] --ort DIST [--model FILE] [--runs 7] [--core relaxed|plain]
//
// --core: veer's relaxed-SIMD build (what the page loads in Chromium; the default) or the plain SIMD one.
//
// DIR holds `input.f32` (little-endian f32, ROWS x 256) and `shape.json` ({"rows":..,"cols":..}).
// DIST is onnxruntime-web's `dist` folder (scripts/bench installs the pinned version under
// target/bench/ortweb). Prints one JSON line per tile shape. Both run one thread on the page's
// main thread (onnxruntime-web: `numThreads = 1`, SIMD on, graph optimisation `all`).

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as h from '../lib/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const RUNS = Number(opt('--runs', 7));
const TILES = (opt('--tiles', '') || '').split(',').filter(Boolean);
const ORT = opt('--ort', '');
const MODEL = path.resolve(opt('--model', path.join(h.REPO, 'models/veernet-int8.onnx')));
const CORE = opt('--core', 'relaxed') === 'plain' ? 'veer_web_bg.wasm' : 'veer_web_relaxed_bg.wasm';
const PKG = path.join(h.REPO, 'web/www/pkg');
if (!TILES.length || !ORT) {
  console.error('usage: node www-tests/bench/ort-web.mjs --tiles DIR[,DIR...] --ort ONNXRUNTIME_WEB_DIST [--model FILE] [--runs N]');
  process.exit(2);
}
for (const need of [path.join(PKG, 'veer_web.js'), path.join(ORT, 'ort.wasm.min.mjs'), MODEL]) {
  if (!fs.existsSync(need)) {
    console.error(`ort-web: ${need} is missing (run scripts/build-web, and scripts/bench for onnxruntime-web)`);
    process.exit(1);
  }
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>veer vs onnxruntime-web</title>
<script type="module">
import init, { Digitiser } from '/pkg/veer_web.js';
import * as ort from '/ort/ort.wasm.min.mjs';
window.bench = async (tiles, runs) => {
  await init({ module_or_path: '/pkg/' + window.CORE });
  const model = new Uint8Array(await (await fetch('/model.onnx')).arrayBuffer());
  let t = performance.now();
  const veer = new Digitiser(model);
  const veerLoad = performance.now() - t;
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.simd = true;
  ort.env.wasm.numThreads = 1;
  t = performance.now();
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const ortLoad = performance.now() - t;
  const out = [];
  for (const tile of tiles) {
    const input = new Float32Array(await (await fetch('/tile/' + tile.name + '/input.f32')).arrayBuffer());
    const { rows, cols } = tile;
    const feeds = () => ({ image: new ort.Tensor('float32', input, [1, 1, rows, cols]) });
    // Warm-up: the engine's code tiers up, onnxruntime allocates its arena.
    const first = veer.inferTile(input, rows, cols);
    const ref = (await session.run(feeds())).curve.data;
    let maxDiff = 0, sumDiff = 0;
    for (let i = 0; i < ref.length; i++) { const d = Math.abs(first[i] - ref[i]); sumDiff += d; if (d > maxDiff) maxDiff = d; }
    const times = { veer: [], ort: [] };
    for (let r = 0; r < runs; r++) {
      t = performance.now(); veer.inferTile(input, rows, cols); times.veer.push(performance.now() - t);
      t = performance.now(); await session.run(feeds()); times.ort.push(performance.now() - t);
    }
    out.push({ rows, cols, times, maxDiff, meanDiff: sumDiff / ref.length });
  }
  return { veerLoad, ortLoad, precision: veer.precision, ortVersion: ort.env.versions?.web, out };
};
window.CORE = '__CORE__';
window.ready = true;
</script>`;

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
function file(res, p) {
  if (!fs.existsSync(p) || !fs.statSync(p).isFile()) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'content-type': TYPES[path.extname(p)] || 'application/octet-stream' });
  fs.createReadStream(p).pipe(res);
}
const tileDirs = Object.fromEntries(TILES.map((d) => [path.basename(d), path.resolve(d)]));
const server = http.createServer((req, res) => {
  const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (url === '/') { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE.replace('__CORE__', CORE)); return; }
  if (url === '/model.onnx') return file(res, MODEL);
  if (url.startsWith('/pkg/')) return file(res, path.join(PKG, path.basename(url)));
  if (url.startsWith('/ort/')) return file(res, path.join(ORT, path.basename(url)));
  const m = url.match(/^\/tile\/([^/]+)\/input\.f32$/);
  if (m && tileDirs[m[1]]) return file(res, path.join(tileDirs[m[1]], 'input.f32'));
  res.writeHead(404); res.end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await h.launch();
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error('page:', m.text()); });
  await page.goto(base);
  await page.waitForFunction(() => window.ready === true);
  const tiles = TILES.map((d) => ({ name: path.basename(d), ...JSON.parse(fs.readFileSync(path.join(d, 'shape.json'), 'utf8')) }));
  const r = await page.evaluate(([t, n]) => window.bench(t, n), [tiles, RUNS]);
  const chromium = browser.version();
  for (const o of r.out) {
    const v = h.median(o.times.veer), o1 = h.median(o.times.ort);
    console.log(JSON.stringify({
      chromium, ort: r.ortVersion, precision: r.precision, core: CORE, tile: `${o.rows}x${o.cols}`, runs: RUNS,
      veer_ms: +v.toFixed(1), ort_ms: +o1.toFixed(1), veer_over_ort: +(v / o1).toFixed(2),
      veer_load_ms: +r.veerLoad.toFixed(0), ort_load_ms: +r.ortLoad.toFixed(0),
      max_abs_diff: +o.maxDiff.toFixed(4), mean_abs_diff: +o.meanDiff.toExponential(2),
    }));
  }
} finally {
  await browser.close();
  server.close();
}
