// Bad input in the browser: a clear message naming the problem and the fix, and
// the page keeps working afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as h from './lib/harness.mjs';

const env = h.useBrowser();

function tempFile(name, bytes) {
  const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'veer-')), name);
  fs.writeFileSync(p, bytes);
  return p;
}

test('a corrupt file shows a clear error and the page keeps working', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await h.openPage(context, env.srv.url);
  const good = fs.readFileSync(path.join(h.CASES, 'gr-linear-png/scan.png'));

  // A PNG cut off half-way.
  await h.dropFile(page, tempFile('cut.png', good.subarray(0, good.length >> 1)), 'image/png');
  await page.waitForSelector('#banner:not([hidden])', { timeout: 60_000 });
  assert.equal(await page.getAttribute('#banner', 'data-kind'), 'bad_input');
  const message = await page.textContent('#banner-text');
  assert.match(message, /truncated|corrupt|damaged|incomplete/i, message);
  await page.screenshot({ path: path.join(h.SHOTS, 'error-corrupt.png') });

  // Not an image at all.
  await h.dropFile(page, tempFile('notes.tif', Buffer.from('these are not the pixels you are looking for')), 'image/tiff');
  await page.waitForFunction(() => document.getElementById('banner').dataset.kind === 'unsupported', null, { timeout: 30_000 });
  assert.match(await page.textContent('#banner-text'), /not a PNG, JPEG or TIFF/);

  // The page still works: a good scan opens and digitises.
  await h.dropFile(page, path.join(h.CASES, 'gr-linear-png/scan.png'), 'image/png');
  await h.waitForScan(page);
  assert.equal(await page.isHidden('#banner'), true);
  const cal = JSON.parse(fs.readFileSync(path.join(h.CASES, 'gr-linear-png/case.json'), 'utf8'));
  await page.evaluate((c) => window.veer.applyCalibration(c), cal);
  await page.click('#run');
  await page.waitForFunction(() => window.veer.state.editor, null, { timeout: 180_000 });
  page.assertClean();
  await context.close();
});

test('an absurd calibration is refused with what to fix', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await h.openPage(context, env.srv.url);
  await h.dropFile(page, path.join(h.CASES, 'gr-linear-png/scan.png'), 'image/png');
  await h.waitForScan(page);
  // Log scale with a zero edge value.
  await page.evaluate(() => window.veer.applyCalibration({ track: [17, 392], scale: [0, 150], log: true, depth: [[75, 5010], [2250, 5300]] }));
  await page.click('#run');
  await page.waitForSelector('#banner:not([hidden])', { timeout: 60_000 });
  assert.equal(await page.getAttribute('#banner', 'data-kind'), 'bad_parameter');
  assert.match(await page.textContent('#banner-text'), /logarithmic scale needs positive edge values/);
  // Two tie points on the same depth.
  await page.evaluate(() => window.veer.applyCalibration({ track: [17, 392], scale: [0, 150], log: false, depth: [[75, 5010], [2250, 5010]] }));
  await page.click('#run');
  await page.waitForFunction(() => /depth/i.test(document.getElementById('banner-text').textContent) && !/logarithmic/.test(document.getElementById('banner-text').textContent), null, { timeout: 60_000 });
  page.assertClean();
  await context.close();
});
