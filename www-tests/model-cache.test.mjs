// The model is downloaded once (with progress), kept in Cache Storage by its
// content hash, and read from there on the next visit: no second download.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './lib/harness.mjs';

const env = h.useBrowser();

const MODEL = 'GET /models/veernet-int8.onnx';
const modelFetches = () => env.srv.requests.filter((r) => r === MODEL).length;
const modelReady = (page) => page.waitForFunction(() => window.veer?.client.info, null, { timeout: 60_000 }).then((h) => h.jsonValue());

test('first visit downloads the model once; a reload reads it from the cache', async () => {
  const context = await env.browser.newContext();
  const page = await h.openPage(context, env.srv.url);
  const first = await modelReady(page);
  assert.equal(first.fromCache, false);
  assert.equal(first.precision, 'int8');
  assert.equal(modelFetches(), 1);
  assert.match(await page.textContent('[data-stage="model"] .pct'), /MB/);

  await page.reload();
  const second = await modelReady(page);
  assert.equal(second.fromCache, true);
  assert.equal(modelFetches(), 1, 'no second download after a reload');
  assert.equal(await page.textContent('[data-stage="model"] .pct'), 'cached');

  // A new tab of the same profile shares the cache too.
  const other = await h.openPage(context, env.srv.url);
  assert.equal((await modelReady(other)).fromCache, true);
  assert.equal(modelFetches(), 1);
  page.assertClean();
  other.assertClean();
  await context.close();
});

test('a model that does not match its manifest is refused with a clear error', async () => {
  const context = await env.browser.newContext();
  // Point the page at another file under the int8 model's manifest: its hash cannot match.
  const page = await h.openPage(context, `${env.srv.url}?model=pkg/veer_web_bg.wasm`);
  await page.waitForSelector('#banner:not([hidden])', { timeout: 60_000 });
  assert.match(await page.textContent('#banner-text'), /does not match its manifest/);
  page.assertClean(['Failed to load resource']);
  await context.close();
});
