// The tiles of a run on a pool of tile workers (client.js, `?workers=N`): the same curve as one
// worker, the model downloaded once, cancel or a crashed tile worker stops the whole pool, and a silent
// tile worker is dropped, its tiles inferred by the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as h from './lib/harness.mjs';

const env = h.useBrowser();
const MODEL = 'GET /models/veernet-int8.onnx';
const cal = JSON.parse(fs.readFileSync(path.join(h.CASES, 'full-g4/track1-gr.json'), 'utf8'));
delete cal.seed; // the seed row lies below the crop; GR is the track's solid curve

/** The sample print cropped to 1,300 x 4,000 px (the benchmark's scan): 6 tiles. */
function crop() {
  const out = path.join(h.SHOTS, 'bench-1300x4000-g4.tif');
  fs.mkdirSync(h.SHOTS, { recursive: true });
  if (!fs.existsSync(out)) execFileSync('python3', [path.join(h.REPO, 'www-tests/lib/crop-scan.py'), '4000', out]);
  return out;
}

/** Opens the page with `workers` tile workers, drops `scan` and runs track 1; resolves to {result, workers, infer}. */
async function runWith(workers, scan, calibration = cal, query = '') {
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await h.openPage(context, `${env.srv.url}?workers=${workers}${query}`);
  await page.waitForFunction(() => window.veer?.client.info, null, { timeout: 60_000 });
  await h.dropFile(page, scan, 'image/tiff');
  await h.waitForScan(page);
  await page.evaluate((c) => window.veer.applyCalibration(c), calibration);
  await page.selectOption('#where', 'local');
  await page.evaluate(() => {
    window.__infer = [];
    const bar = document.getElementById('p-infer');
    new MutationObserver(() => window.__infer.push(Number(bar.value))).observe(bar, { attributes: true });
  });
  await page.click('#run');
  await page.waitForFunction(() => window.veer.state.editor || !document.getElementById('banner').hidden, null, { timeout: 240_000 });
  assert.equal(await page.isHidden('#banner'), true, await page.textContent('#banner'));
  const out = {
    // The traced path (the editor's), what the run saw, and where the trace is unsure.
    result: await page.evaluate(() => {
      const s = window.veer.state;
      return JSON.parse(JSON.stringify({ edited: s.project.curves[0].edited, stats: s.result.stats, uncertain: [...s.uncertain.values()] }));
    }),
    // The single-calibration run (client.run, staged too with a pool) on the same scan.
    single: await page.evaluate((c) => window.veer.client.run(c).then((r) => JSON.parse(JSON.stringify(r))), calibration),
    workers: page.workers().length,
    infer: await page.evaluate(() => window.__infer),
    wasm: await page.evaluate(() => window.veer.client.wasmUrl),
  };
  page.assertClean();
  await context.close();
  return out;
}

test('a pool of 2 tile workers gives the curve of one worker, bit for bit, with the model downloaded once', async () => {
  const scan = crop();
  const before = env.srv.requests.filter((r) => r === MODEL).length;
  const one = await runWith(1, scan);
  const two = await runWith(2, scan);
  // One worker alone; two tile workers beside the main worker.
  assert.equal(one.workers, 1);
  assert.equal(two.workers, 3);
  const points = JSON.stringify(two.result.edited).split('],[').length;
  assert.ok(points > 2000, `${points} points`);
  assert.deepEqual(two.result, one.result);
  assert.ok(two.single.path.length > 2000 && two.single.stats.tiles === two.result.stats.tiles);
  delete one.single.memory;
  delete two.single.memory;
  assert.deepEqual(two.single, one.single);
  // Progress counted the tiles as they were blended, never back, up to all of them.
  assert.ok(two.result.stats.tiles >= 6, `${two.result.stats.tiles} tiles`);
  assert.equal(two.infer.at(-1), two.result.stats.tiles, `infer progress ${two.infer}`);
  assert.ok(two.infer.every((d, i) => i === 0 || d >= two.infer[i - 1]), `infer progress ${two.infer}`);
  // Each page fetched the model at most once (the second from Cache Storage): never once per tile worker.
  const downloads = env.srv.requests.filter((r) => r === MODEL).length - before;
  assert.ok(downloads <= 2, `${downloads} model downloads for two pages`);
});

test('the relaxed-SIMD core, loaded where the browser has relaxed SIMD, traces the curve of the plain SIMD core', async () => {
  const scan = crop();
  const relaxed = await runWith(2, scan);
  const plain = await runWith(2, scan, cal, '&simd=plain');
  // Chromium has relaxed SIMD: the page takes the relaxed build; ?simd=plain the plain one.
  assert.match(relaxed.wasm, /\/pkg\/veer_web_relaxed_bg\.wasm$/);
  assert.match(plain.wasm, /\/pkg\/veer_web_bg\.wasm$/);
  // Fused multiply-adds round once instead of twice: the maps differ by about 1e-6, so the traced
  // positions are equal or a hair apart, never a different path.
  // `path` is [x, y] in scan pixels, one per traced row: compare the columns row by row.
  const b = new Map(plain.single.path.map(([x, y]) => [y, x]));
  const a = relaxed.single.path;
  assert.ok(a.length > 2000, `${a.length} depths`);
  assert.ok(Math.abs(a.length - b.size) <= a.length / 1000, `${a.length} against ${b.size} traced rows`);
  const far = a.filter(([x, y]) => !b.has(y) || Math.abs(x - b.get(y)) > 0.5).length;
  assert.ok(far <= a.length / 1000, `${far} of ${a.length} depths more than half a pixel apart`);
});

test('cancel mid-run terminates every tile worker; a crashed tile worker stops the run with a clear error', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await h.openPage(context, `${env.srv.url}?workers=2`);
  // The full-size print: 1,300 x 13,000 px, about 20 tiles.
  await h.dropFile(page, path.join(h.CASES, 'full-g4/scan.tif'), 'image/tiff');
  await h.waitForScan(page);
  const full = JSON.parse(fs.readFileSync(path.join(h.CASES, 'full-g4/track1-gr.json'), 'utf8'));
  await page.evaluate((c) => window.veer.applyCalibration(c), full);
  await page.selectOption('#where', 'local');
  await page.click('#run');
  await page.waitForFunction(() => Number(document.getElementById('p-infer').value) >= 2, null, { timeout: 120_000 });
  assert.equal(page.workers().length, 3, 'the main worker and two tile workers run');
  await page.click('#cancel');
  assert.match(await page.textContent('#status'), /Cancelled/);
  // Every worker is gone (the next run starts fresh ones).
  await page.waitForFunction(() => window.veer.client.pool.length === 0 && !window.veer.client.worker, null, { timeout: 5_000 });
  for (let i = 0; i < 50 && page.workers().length; i++) await page.waitForTimeout(100);
  assert.equal(page.workers().length, 0, `${page.workers().length} workers left after cancel`);
  const doneAtCancel = Number(await page.getAttribute('#p-infer', 'value'));
  await page.waitForTimeout(1000);
  assert.ok(Number(await page.getAttribute('#p-infer', 'value')) <= doneAtCancel, 'progress went on after cancel');

  // A tile worker that dies mid-run (the error event the browser fires on an uncaught error in it)
  // ends the run with an error that says so, at once, and stops the pool.
  await page.click('#run');
  await page.waitForFunction(() => Number(document.getElementById('p-infer').value) >= 1 && window.veer.client.pool.length === 2, null, { timeout: 120_000 });
  await page.evaluate(() => window.veer.client.pool[1].dispatchEvent(new ErrorEvent('error', { message: 'out of stack' })));
  await page.waitForFunction(() => !document.getElementById('banner').hidden, null, { timeout: 5_000 });
  assert.match(await page.textContent('#banner'), /tile worker stopped unexpectedly \(out of stack\)/);
  assert.equal(await page.evaluate(() => window.veer.client.pool.length), 0);

  // And the next run works: a fresh main worker and pool, the scan opened again.
  await page.click('#run');
  await page.waitForFunction(() => window.veer.state.editor || !document.getElementById('banner').hidden, null, { timeout: 240_000 });
  assert.equal(await page.isHidden('#banner'), true, await page.textContent('#banner'));
  assert.equal(page.workers().length, 3);
  page.assertClean(['tile worker stopped unexpectedly']);
  await context.close();
});

test('a tile worker that stops answering is dropped and its tiles go to the others; a pool that all stops ends the run with a clear error', async () => {
  const scan = crop();
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await h.openPage(context, `${env.srv.url}?workers=2`);
  await page.waitForFunction(() => window.veer?.client.info, null, { timeout: 60_000 });
  await h.dropFile(page, scan, 'image/tiff');
  await h.waitForScan(page);
  await page.evaluate((c) => window.veer.applyCalibration(c), cal);
  await page.selectOption('#where', 'local');
  /** Runs track 1 and resolves to the traced path, or to the banner's text when the run failed. */
  const runOnce = async () => {
    await page.click('#run');
    // The run starts once the backup scales are read (a worker round trip), then ends.
    await page.waitForFunction(() => window.veer.state.busy, null, { timeout: 30_000, polling: 20 });
    await page.waitForFunction(() => !window.veer.state.busy, null, { timeout: 240_000 });
    if (!(await page.isHidden('#banner'))) return { banner: await page.textContent('#banner') };
    return { path: await page.evaluate(() => JSON.parse(JSON.stringify(window.veer.state.project.curves[0].edited))) };
  };
  const healthy = await runOnce();
  assert.ok(healthy.path, healthy.banner);

  // Tile worker 2 takes its next tile and never answers: a worker the browser stopped without an error event.
  const silence = (/** @type {number[]} */ which) =>
    page.evaluate((which) => {
      const c = window.veer.client;
      c.tileStallFloorMs = 1000;
      for (const k of which) {
        const w = c.pool[k];
        const post = w.postMessage.bind(w);
        w.postMessage = (/** @type {any} */ m, /** @type {any} */ t) => (m.type === 'infer' ? undefined : post(m, t));
      }
    }, which);
  await silence([1]);
  const started = Date.now();
  const oneLeft = await runOnce();
  assert.ok(oneLeft.path, oneLeft.banner);
  assert.deepEqual(oneLeft.path, healthy.path, 'the tiles the silent worker held were inferred by the other');
  assert.equal(await page.evaluate(() => window.veer.client.pool.length), 1, 'the silent worker was dropped');
  assert.ok(Date.now() - started < 120_000);

  // The next run starts a full pool again; when every tile worker goes silent the run ends with an error that says so.
  await page.evaluate(() => {
    const c = window.veer.client;
    const start = c._startPool.bind(c);
    c._startPool = () => {
      start();
      for (const w of c.pool) {
        const post = w.postMessage.bind(w);
        w.postMessage = (/** @type {any} */ m, /** @type {any} */ t) => (m.type === 'infer' ? undefined : post(m, t));
      }
    };
  });
  const none = await runOnce();
  assert.match(none.banner ?? '', /tile workers stopped answering/);
  page.assertClean(['tile workers stopped answering']);
  await context.close();
});
