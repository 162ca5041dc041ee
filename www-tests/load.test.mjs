// The short form of the load run on the local cloud fallback: every request
// answered with its documented status, the server alive, memory flat after warm-up.
// The long form: node www-tests/bench/load.mjs --requests 200 --concurrency 16
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRun } from './lib/load.mjs';

test('40 mixed requests, 8 at a time: all answered correctly, no crash, memory flat', async () => {
  const r = await loadRun({ requests: 40, concurrency: 8 });
  console.log(JSON.stringify(r.byKind), `rss after warm-up ${(r.rss.afterWarmup / 1e6).toFixed(0)} MB, end ${(r.rss.end / 1e6).toFixed(0)} MB, peak ${(r.rss.peak / 1e6).toFixed(0)} MB, ${r.seconds.toFixed(1)} s`);
  assert.deepEqual(r.wrong, []);
  assert.ok(r.alive, 'the server is still running');
  assert.ok(r.rss.end <= r.rss.afterWarmup * 1.5 + 64e6, `memory grew from ${r.rss.afterWarmup} to ${r.rss.end} bytes`);
});
