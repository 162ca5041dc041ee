// A long run keeps the page responsive, and Cancel stops it; the next run works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './lib/harness.mjs';

const env = h.useBrowser();

test('the page stays responsive during a run, and cancel stops it', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await h.openPage(context, env.srv.url);
  // The full-size 1-bit G4 print: 1,300 x 13,000 px.
  await h.dropFile(page, path.join(h.CASES, 'full-g4/scan.tif'), 'image/tiff');
  await h.waitForScan(page);
  const cal = JSON.parse(fs.readFileSync(path.join(h.CASES, 'full-g4/track1-gr.json'), 'utf8'));
  await page.evaluate((c) => window.veer.applyCalibration(c), cal);
  await page.selectOption('#where', 'local');
  await page.click('#run');
  await page.waitForFunction(() => Number(document.getElementById('p-infer').value) >= 2, null, { timeout: 120_000 });

  // While tiles run in the worker, the UI thread answers at once and keeps painting.
  const gaps = await page.evaluate(() => new Promise((resolve) => {
    const t = [];
    const tick = (now) => {
      t.push(now);
      if (t.length < 30) requestAnimationFrame(tick);
      else resolve(t.slice(1).map((v, i) => v - t[i]));
    };
    requestAnimationFrame(tick);
  }));
  const worst = Math.max(...gaps);
  console.log(`longest frame gap during the run: ${worst.toFixed(0)} ms`);
  assert.ok(worst < 250, `the UI thread froze for ${worst} ms`);
  await page.click('#zoom-in'); // the viewer still reacts

  const doneBefore = Number(await page.getAttribute('#p-infer', 'value'));
  await page.click('#cancel');
  assert.match(await page.textContent('#status'), /Cancelled/);
  await page.waitForTimeout(1500);
  const doneAfter = Number(await page.evaluate(() => document.getElementById('p-infer').value));
  assert.ok(doneAfter <= doneBefore + 1, `progress went on after cancel (${doneBefore} -> ${doneAfter})`);
  assert.equal(await page.evaluate(() => window.veer.state.editor), null);
  assert.equal(await page.isDisabled('#cancel'), true);

  // The next run works (a fresh worker, the scan opened again, the model from the cache).
  await page.click('#run');
  await page.waitForFunction(() => window.veer.state.editor || !document.getElementById('banner').hidden, null, { timeout: 240_000 });
  assert.equal(await page.isHidden('#banner'), true, await page.textContent('#banner'));
  page.assertClean();
  await context.close();
});
