// Backup (wrap-around) scales on the page: a gamma ray on 0-150 that runs off the track and is
// drawn on its backup scale 150-300 (the print of crate/tests/wrap.rs, lib/wrap-scan.py). The
// curve's "backup scales" field is read by the core (the CLI's --backup rules): a malformed
// entry shows the core's message and keeps the curve from running; without a backup scale the
// LAS never passes 150; with 150:300 it is one curve in true values, above 150 where it wrapped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './lib/harness.mjs';

const env = h.useBrowser();
const [X0, X1] = [40, 440];
// The print's gamma ray at row (= depth) r, as lib/wrap-scan.py draws it.
const gr = (r) => {
  const wave = (period) => Math.sin((2 * Math.PI * r) / period);
  return 120 + 100 * wave(1800) + 8 * wave(37) + 4 * wave(13);
};

async function lasOf(page, name) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-las')]);
  const file = path.join(h.SHOTS, name);
  fs.copyFileSync(await dl.path(), file);
  const got = h.readLas(file, `
print(json.dumps([[float(d), None if math.isnan(v) else float(v)] for d, v in zip(las.index, las["GR"])]))
`);
  return got.filter(([, v]) => v !== null);
}

/** Types into the backup field and leaves it (Tab), then waits for the core's answer. */
async function enterBackup(page, text) {
  await page.fill('#backup', text);
  await page.press('#backup', 'Tab');
  await page.waitForFunction((text) => (window.veer.state.project.curves[0].backupText ?? '') === text, text);
}

async function digitise(page) {
  await page.click('#run');
  await page.waitForFunction(() => (window.veer.state.editor && !window.veer.state.busy) || !document.getElementById('banner').hidden, null, { timeout: 180_000 });
  assert.equal(await page.isHidden('#banner'), true, await page.textContent('#banner'));
}

test('a backup scale typed for a wrapping gamma ray: the core checks it, the LAS has values above 150 where it wrapped', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  const page = await h.openPage(context, env.srv.url);
  await h.dropFile(page, await h.wrapScan(), 'image/png');
  await h.waitForScan(page);
  // Calibrated by clicking, as a person does: the edges, two depth lines (off the grid's
  // midline), a seed on the curve where it reads 86 API on the main scale.
  await h.pickAt(page, '#pick-left', X0, 400);
  await page.fill('#left', '0');
  await h.pickAt(page, '#pick-right', X1, 400);
  await page.fill('#right', '150');
  for (const row of [100, 3900]) {
    await h.pickAt(page, '#pick-depth', 260, row);
    await page.locator('.tie-depth:focus').fill(String(row));
  }
  await h.pickAt(page, '#pick-seed', X0 + (gr(1000) / 150) * (X1 - X0), 1000);
  await page.selectOption('#depth-unit', 'FT');
  await page.fill('#step', '1');
  const cal = await page.evaluate(() => window.veer.calibration());
  assert.ok(Math.abs(cal.track[0] - X0) <= 1.5 && Math.abs(cal.track[1] - X1) <= 1.5, `track ${cal.track}`);
  assert.deepEqual(cal.depth.map(([r]) => Math.round(r)), [100, 3900]);

  // Malformed entries: the core's messages, the field marked, the curve kept from running.
  for (const [text, message] of [
    ['150-300', 'backup "150-300" needs two numbers A:B, e.g. 150:300'],
    ['150:150', 'backup scale 150:150 is not valid: give the values at the track\'s left and right edges on the wrap-around scale'],
  ]) {
    await enterBackup(page, text);
    assert.equal(await page.isHidden('#banner'), false, `no message for ${text}`);
    const shown = await page.textContent('#banner-text');
    assert.ok(shown.includes(message), `${text}: ${shown}`);
    assert.equal(await page.getAttribute('#backup', 'aria-invalid'), 'true');
    assert.equal(await page.isDisabled('#run'), true);
    assert.ok((await page.getAttribute('#run', 'title')).startsWith(`Fix the backup scales: ${message}`), await page.getAttribute('#run', 'title'));
  }
  await page.screenshot({ path: path.join(h.SHOTS, 'backup-malformed.png') });

  // Without a backup scale the curve is read on 0-150 only.
  await enterBackup(page, '');
  assert.equal(await page.isHidden('#banner'), true, 'the message goes when the field is fixed');
  assert.equal(await page.getAttribute('#backup', 'aria-invalid'), 'false');
  await digitise(page);
  const plain = await lasOf(page, 'backup-none.las');
  const plainMax = Math.max(...plain.map(([, v]) => v));
  console.log(`wrap print without a backup scale: ${plain.length} values, largest ${plainMax.toFixed(1)} API`);
  assert.ok(plainMax <= 150.5, `largest ${plainMax}`);

  // With 150:300: one curve in true values.
  await enterBackup(page, '150:300');
  assert.equal(await page.getAttribute('#backup', 'aria-invalid'), 'false');
  assert.deepEqual(await page.evaluate(() => window.veer.state.project.curves[0].backup), [[150, 300]]);
  await page.evaluate(() => document.getElementById('backup').scrollIntoView({ block: 'center' }));
  await page.screenshot({ path: path.join(h.SHOTS, 'backup-field.png') });
  await digitise(page);
  const wrapped = await lasOf(page, 'backup-150-300.las');
  const inside = wrapped.filter(([d]) => d >= 150 && d <= 3850);
  const over = inside.filter(([, v]) => v > 150).length;
  const truthOver = inside.filter(([d]) => gr(d) > 150).length;
  const nmae = inside.reduce((s, [d, v]) => s + Math.abs(v - gr(d)) / 150, 0) / Math.max(inside.length, 1);
  const depths = Array.from({ length: 3851 - 150 }, (_, i) => 150 + i).length;
  console.log(`wrap print with backup 150:300 (int8 in the browser): NMAE ${nmae.toFixed(5)}, coverage ${(inside.length / depths).toFixed(4)}, ${over} values over 150 (the truth has ${truthOver}), largest ${Math.max(...inside.map(([, v]) => v)).toFixed(1)}`);
  assert.ok(over >= 0.95 * truthOver, `${over} values over 150, the truth has ${truthOver}`);
  assert.ok(nmae <= 0.01, `NMAE ${nmae}`);
  assert.ok(inside.length >= 0.98 * depths, `${inside.length} of ${depths} depths`);
  await page.screenshot({ path: path.join(h.SHOTS, 'backup-digitised.png') });
  page.assertClean();
  await context.close();
});
