// Drop a rendered scan with known truth, calibrate by clicking on it, run in the
// browser (wasm in a worker, int8 model), fix the curve by hand, export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import * as h from './lib/harness.mjs';

const env = h.useBrowser();

async function download(page, button) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  return { name: dl.suggestedFilename(), text: fs.readFileSync(await dl.path(), 'utf8') };
}

for (const [name, file, type] of [
  ['gr-linear-png', 'scan.png', 'image/png'],
  ['res-log-g4', 'scan.tif', 'image/tiff'],
]) {
  test(`${name}: drop, calibrate by clicking, digitise, export CSV within the error bound`, async () => {
    const dir = path.join(h.CASES, name);
    const cal = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8'));
    const truth = h.parseCsv(fs.readFileSync(path.join(dir, 'truth.csv'), 'utf8'));
    const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    const page = await h.openPage(context, env.srv.url);
    await h.dropFile(page, path.join(dir, file), type);
    await h.waitForScan(page);
    await h.calibrate(page, cal);
    // The clicks snapped onto the printed lines the calibration names.
    const got = await page.evaluate(() => window.veer.calibration());
    assert.ok(Math.abs(got.track[0] - cal.track[0]) <= 1.5 && Math.abs(got.track[1] - cal.track[1]) <= 1.5, `track ${got.track} vs ${cal.track}`);
    got.depth.forEach(([y], i) => assert.ok(Math.abs(y - cal.depth[i][0]) <= 1.5, `tie row ${y} vs ${cal.depth[i][0]}`));

    await page.click('#run');
    await page.waitForFunction(() => window.veer.state.editor || !document.getElementById('banner').hidden, null, { timeout: 180_000 });
    assert.equal(await page.isHidden('#banner'), true, await page.textContent('#banner'));
    assert.match(await page.textContent('#status'), /Digitised on this device, [\d.]+ s/);
    await page.screenshot({ path: path.join(h.SHOTS, `digitise-${name}.png`) });

    const csv = await download(page, '#export-csv');
    assert.equal(csv.name, `${path.parse(file).name}.csv`);
    const { nmae, coverage } = h.score(h.parseCsv(csv.text), truth, cal);
    console.log(`${name} in the browser (int8): NMAE ${nmae.toFixed(5)}, coverage ${(coverage * 100).toFixed(2)}%`);
    assert.ok(nmae <= 0.01, `NMAE ${nmae}`);
    assert.ok(coverage >= 0.98, `coverage ${coverage}`);

    const las = await download(page, '#export-las');
    assert.equal(las.name, `${path.parse(file).name}.las`);
    assert.match(las.text, /~Version[\s\S]*VERS\.\s+2\.0/);
    assert.match(las.text, /~A/);
    const json = JSON.parse((await download(page, '#export-json')).text);
    assert.equal(json.meta.ran, 'browser');
    page.assertClean();
    await context.close();
  });
}

test('fix a stretch by hand, erase one, undo and redo; the export follows the edits', async () => {
  const dir = path.join(h.CASES, 'gr-linear-png');
  const cal = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8'));
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  const page = await h.openPage(context, env.srv.url);
  await h.dropFile(page, path.join(dir, 'scan.png'), 'image/png');
  await h.waitForScan(page);
  await page.evaluate((c) => window.veer.applyCalibration(c), cal);
  await page.click('#run');
  await page.waitForFunction(() => window.veer.state.editor, null, { timeout: 180_000 });
  const valueAt = (rows) => page.evaluate((rows) => rows.map((y) => window.veer.state.editor.xAt(y)), rows);
  const [before] = await valueAt([1200]);

  // Redraw rows 1150..1250 along column 300 with the "Fix curve" tool.
  await page.click('#mode-drag');
  const a = await h.scanPoint(page, before, 1150);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  const b = await h.scanPoint(page, 300, 1200);
  await page.mouse.move(b.x, b.y, { steps: 8 });
  const c = await h.scanPoint(page, 300, 1250);
  await page.mouse.move(c.x, c.y, { steps: 8 });
  await page.mouse.up();
  const [fixed] = await valueAt([1225]);
  assert.ok(Math.abs(fixed - 300) < 3, `dragged curve at row 1225 is at x=${fixed}`);

  // Erase rows 1500..1700.
  await page.click('#mode-erase');
  const e0 = await h.scanPoint(page, 200, 1500);
  await page.mouse.move(e0.x, e0.y);
  await page.mouse.down();
  const e1 = await h.scanPoint(page, 200, 1700);
  await page.mouse.move(e1.x, e1.y, { steps: 6 });
  await page.mouse.up();
  assert.ok(Number.isNaN((await valueAt([1600]))[0]), 'erased stretch is a gap');
  await page.screenshot({ path: path.join(h.SHOTS, 'edit.png') });

  const csv = h.parseCsv((await download(page, '#export-csv')).text);
  const depthOf = (y) => page.evaluate((y) => {
    const t = window.veer.calibration().depth;
    return t[0][1] + ((y - t[0][0]) * (t[1][1] - t[0][1])) / (t[1][0] - t[0][0]);
  }, y);
  const [d1600, d1225] = [await depthOf(1600), await depthOf(1225)];
  assert.ok(!csv.some(([d]) => Math.abs(d - d1600) < 0.5), 'the erased depths are left out of the CSV');
  const near = csv.find(([d]) => Math.abs(d - d1225) < 0.15);
  assert.ok(near && Math.abs(near[1] - ((300 - cal.track[0]) / (cal.track[1] - cal.track[0])) * 150) < 1.5, `fixed value ${near}`);

  await page.keyboard.press('Control+z'); // undo the erase
  assert.ok(Number.isFinite((await valueAt([1600]))[0]), 'undo brings the erased stretch back');
  await page.click('#undo'); // undo the fix
  assert.ok(Math.abs((await valueAt([1200]))[0] - before) < 1e-9, 'undo restores the traced curve');
  await page.click('#redo');
  assert.ok(Math.abs((await valueAt([1225]))[0] - 300) < 3, 'redo re-applies the fix');
  page.assertClean();
  await context.close();
});

test('the core in the browser reads as the native build: tensor hash and first-tile mean of the int8 model', async () => {
  // The native report comes from crate/examples/wasm_check.rs, built by `cargo test --release`.
  const bin = path.join(h.REPO, 'target/release/examples/wasm_check');
  assert.ok(fs.existsSync(bin), `${bin} is missing: build it with cargo build --release --example wasm_check`);
  const scanPath = path.join(h.CASES, 'gr-linear-png/scan.png');
  const native = execFileSync(bin, [path.join(h.REPO, 'models/veernet-int8.onnx'), scanPath, '17', '392'], { encoding: 'utf8' });
  const context = await env.browser.newContext();
  const page = await h.openPage(context, env.srv.url);
  const got = await page.evaluate(async (scan) => {
    const veer = await import('./pkg/veer_web.js');
    await veer.default({ module_or_path: './pkg/veer_web_bg.wasm' });
    const model = new Uint8Array(await (await fetch('./models/veernet-int8.onnx')).arrayBuffer());
    const d = new veer.Digitiser(model);
    d.open(Uint8Array.from(atob(scan), (c) => c.charCodeAt(0)));
    return d.selfCheck(17, 392);
  }, fs.readFileSync(scanPath).toString('base64'));
  console.log(`native and Chromium wasm:\n${got}`);
  assert.equal(got, native);
  page.assertClean();
  await context.close();
});

test('the preprocessing tensor in the browser equals the native one bit for bit', async () => {
  const context = await env.browser.newContext();
  const page = await h.openPage(context, env.srv.url);
  const dir = path.join(h.CASES, 'preprocess');
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'preprocess.json'), 'utf8'));
  const scan = fs.readFileSync(path.join(dir, 'scan.png')).toString('base64');
  for (const t of spec.tracks) {
    // The fixture is what native preprocessing produces (crate/tests/preprocess.rs checks it bit for bit).
    const expected = fs.readFileSync(path.join(dir, t.file)).toString('base64');
    const res = await page.evaluate(async ({ scan, expected, track }) => {
      const veer = await import('./pkg/veer_web.js');
      await veer.default({ module_or_path: './pkg/veer_web_bg.wasm' });
      const bytes = Uint8Array.from(atob(scan), (c) => c.charCodeAt(0));
      const got = veer.prepareTrack(bytes, track[0], track[1]);
      const want = new Uint32Array(Uint8Array.from(atob(expected), (c) => c.charCodeAt(0)).buffer);
      const bits = new Uint32Array(got.buffer, got.byteOffset, got.length);
      let same = 0;
      for (let i = 0; i < want.length; i++) if (bits[i] === want[i]) same++;
      return { n: want.length, got: got.length, same };
    }, { scan, expected, track: t.track });
    console.log(`track ${t.track}: ${res.same}/${res.n} values bit-identical in wasm (Chromium)`);
    assert.equal(res.got, res.n);
    assert.equal(res.same, res.n);
  }
  page.assertClean();
  await context.close();
});
