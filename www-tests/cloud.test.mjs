// Local or cloud: a small scan runs on the device; a full-size 1-bit G4 archive
// scan on a device that is short of memory goes to the cloud fallback (the local
// veer-local server standing in for the Lambda) and its curve comes back and is
// drawn; with the fallback down the user is told what happened and can go on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './lib/harness.mjs';

const env = h.useBrowser({ fallback: true });

const runDone = (page, ms = 240_000) =>
  page.waitForFunction(() => window.veer.state.editor || !document.getElementById('banner').hidden, null, { timeout: ms });

test('a small scan runs on this device', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await h.openPage(context, env.srv.url);
  await h.dropFile(page, path.join(h.CASES, 'gr-linear-png/scan.png'), 'image/png');
  await h.waitForScan(page);
  await page.evaluate((c) => window.veer.applyCalibration(c), JSON.parse(fs.readFileSync(path.join(h.CASES, 'gr-linear-png/case.json'), 'utf8')));
  await page.waitForFunction(() => /Fits this device/.test(document.getElementById('plan').textContent));
  await page.click('#run');
  await runDone(page);
  assert.match(await page.textContent('#status'), /on this device/);
  assert.equal(env.srv.requests.filter((r) => r.includes('/digitise')).length, 0, 'nothing went to the cloud');
  page.assertClean();
  await context.close();
});

test('a 1,500 x 25,000 px G4 scan on a low-memory device goes to the fallback and comes back drawn', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  // A device that reports 256 MB: the page may use half of it.
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 0.25 }));
  const page = await h.openPage(context, env.srv.url);
  await h.dropFile(page, await h.tallScan(), 'image/tiff');
  await h.waitForScan(page);
  const cal = JSON.parse(fs.readFileSync(path.join(h.CASES, 'full-g4/track2-rhob.json'), 'utf8'));
  await page.evaluate((c) => window.veer.applyCalibration(c), cal);
  await page.waitForFunction(() => /Needs the cloud/.test(document.getElementById('plan').textContent));
  console.log(`plan: ${await page.textContent('#plan')}`);
  await page.click('#run');
  await runDone(page);
  assert.equal(await page.isHidden('#banner'), true, await page.textContent('#banner'));
  const status = await page.textContent('#status');
  console.log(`status: ${status}`);
  assert.match(status, /in the cloud/);
  assert.match(status, /Why the cloud: /);
  assert.equal(env.srv.requests.filter((r) => r === 'POST /digitise').length, 1);
  // The curve came back as a path and is drawn over the scan.
  const traced = await page.evaluate(() => window.veer.state.editor.toPath().length);
  assert.ok(traced > 10_000, `${traced} traced rows`);
  await page.evaluate(() => window.veer.viewer.centreOn(700, 6112));
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(h.SHOTS, 'cloud-tall-g4.png') });
  // And it is the right curve: RHOB against its truth (first 13,000 rows).
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const csv = h.parseCsv(fs.readFileSync(await dl.path(), 'utf8'));
  const truth = h.parseCsv(fs.readFileSync(path.join(h.CASES, 'full-g4/track2-rhob.truth.csv'), 'utf8'));
  const { nmae, coverage } = h.score(csv, truth, cal);
  console.log(`RHOB via the fallback (fp32): NMAE ${nmae.toFixed(5)}, coverage ${(coverage * 100).toFixed(2)}%`);
  assert.ok(nmae <= 0.01 && coverage >= 0.98, `NMAE ${nmae}, coverage ${coverage}`);
  page.assertClean();
  await context.close();
});

test('a gray scan over the request limit is re-saved compactly before upload', async () => {
  const scan = await h.noisyGrayScan();
  const bytes = fs.statSync(scan).size;
  assert.ok(bytes > 4.67e6, `the test scan should be over the limit, is ${bytes} bytes`);
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  const page = await h.openPage(context, env.srv.url);
  await h.dropFile(page, scan, 'image/png');
  await h.waitForScan(page);
  const cal = JSON.parse(fs.readFileSync(path.join(h.CASES, 'full-g4/track2-rhob.json'), 'utf8'));
  await page.evaluate((c) => window.veer.applyCalibration(c), cal);
  await page.selectOption('#where', 'cloud');
  await page.click('#run');
  await runDone(page);
  assert.equal(await page.isHidden('#banner'), true, await page.textContent('#banner'));
  const status = await page.textContent('#status');
  console.log(`${(bytes / 1e6).toFixed(1)} MB gray PNG: ${status}`);
  assert.match(status, /re-saved as a 1-bit PNG \([\d.]+ MB\)/);
  assert.match(status, /thresholded/);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const csv = h.parseCsv(fs.readFileSync(await dl.path(), 'utf8'));
  const truth = h.parseCsv(fs.readFileSync(path.join(h.CASES, 'full-g4/track2-rhob.truth.csv'), 'utf8'));
  const { nmae, coverage } = h.score(csv, truth, cal);
  console.log(`RHOB from the re-saved upload: NMAE ${nmae.toFixed(5)}, coverage ${(coverage * 100).toFixed(2)}%`);
  assert.ok(nmae <= 0.01 && coverage >= 0.98, `NMAE ${nmae}, coverage ${coverage}`);
  page.assertClean();
  await context.close();
});

test('with the fallback down the user gets a clear message and the page keeps working', async () => {
  const down = await h.serve({ fallback: 'http://127.0.0.1:9' }); // nothing listens on the discard port
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await h.openPage(context, down.url);
  await h.dropFile(page, path.join(h.CASES, 'gr-linear-png/scan.png'), 'image/png');
  await h.waitForScan(page);
  await page.evaluate((c) => window.veer.applyCalibration(c), JSON.parse(fs.readFileSync(path.join(h.CASES, 'gr-linear-png/case.json'), 'utf8')));
  await page.selectOption('#where', 'cloud');
  await page.click('#run');
  await page.waitForSelector('#banner:not([hidden])', { timeout: 60_000 });
  assert.equal(await page.getAttribute('#banner', 'data-kind'), 'cloud_unreachable');
  const message = await page.textContent('#banner');
  assert.match(message, /cannot be reached/);
  assert.match(message, /scan and calibration are kept/);
  await page.screenshot({ path: path.join(h.SHOTS, 'cloud-down.png') });
  // Nothing was lost: the same scan and calibration run on the device.
  await page.selectOption('#where', 'local');
  await page.click('#run');
  await page.waitForFunction(() => window.veer.state.editor, null, { timeout: 180_000 });
  assert.match(await page.textContent('#status'), /on this device/);
  page.assertClean(['Failed to load resource']);
  await context.close();
  await down.close();
});
