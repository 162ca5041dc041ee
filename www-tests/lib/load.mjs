// A bounded load run against the local cloud fallback (veer-local on loopback):
// mixed requests (small and full-size scans, bad files, bad parameters, bodies
// over the request limit), a fixed concurrency, every answer checked against
// what that request must get, and the server's resident memory sampled.

import fs from 'node:fs';
import path from 'node:path';
import * as h from './harness.mjs';

function query(cal) {
  const q = new URLSearchParams();
  q.set('track', `${cal.track[0]}:${cal.track[1]}`);
  q.set('scale', `${cal.scale[0]}:${cal.scale[1]}`);
  if (cal.log) q.set('log', '1');
  q.set('depth', cal.depth.map(([y, d]) => `${y}=${d}`).join(','));
  if (cal.seed) q.set('seed', cal.seed.join(','));
  if (cal.step) q.set('step', String(cal.step));
  return q.toString();
}

function scanCase(dir, file, type, calFile = 'case.json') {
  const cal = JSON.parse(fs.readFileSync(path.join(h.CASES, dir, calFile), 'utf8'));
  return { name: dir, body: fs.readFileSync(path.join(h.CASES, dir, file)), type, query: query(cal), status: 200 };
}

/** The request mix: what is sent and the status it must get. */
export function requestMix() {
  const png = scanCase('gr-linear-png', 'scan.png', 'image/png');
  return [
    png,
    scanCase('jpeg-gr', 'scan.jpg', 'image/jpeg'),
    scanCase('res-log-g4', 'scan.tif', 'image/tiff'),
    scanCase('full-g4', 'scan.tif', 'image/tiff', 'track2-rhob.json'),
    { name: 'not an image', body: Buffer.from('plain text, not a scan'), type: 'image/png', query: png.query, status: 415 },
    { name: 'truncated png', body: png.body.subarray(0, 4000), type: 'image/png', query: png.query, status: 400 },
    { name: 'bad parameters', body: png.body, type: 'image/png', query: 'track=30:20&scale=0:150&depth=75=5010,2250=5300', status: 400 },
    { name: 'over the limit', body: Buffer.alloc(5_000_000, 7), type: 'image/tiff', query: png.query, status: 413 },
  ];
}

function rssBytes(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * Runs `requests` requests, `concurrency` at a time, cycling through the mix.
 * Resolves to {byKind, wrong: [..], alive, rss: {afterWarmup, half, end, peak}, seconds}.
 */
export async function loadRun({ requests = 200, concurrency = 16 } = {}) {
  const fallback = await h.startFallback();
  const mix = requestMix();
  const byKind = {};
  const wrong = [];
  let next = 0;
  let done = 0;
  let peak = 0;
  let afterWarmup = NaN;
  let half = NaN;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes(fallback.pid));
  }, 100);
  const t0 = Date.now();
  async function worker() {
    while (next < requests) {
      const i = next++;
      const r = mix[i % mix.length];
      let status = 0;
      let body = null;
      try {
        const res = await fetch(`${fallback.url}?${r.query}`, { method: 'POST', body: r.body, headers: { 'content-type': r.type } });
        status = res.status;
        body = await res.json();
      } catch (e) {
        body = { error: { kind: 'transport', message: e.message } };
      }
      const ok = status === r.status && (status === 200 ? body.curve?.length > 100 : typeof body.error?.kind === 'string' && body.error.message.length > 10);
      const k = `${r.name} -> ${r.status}`;
      byKind[k] = (byKind[k] || 0) + (ok ? 1 : 0);
      if (!ok) wrong.push({ request: r.name, expected: r.status, got: status, body: JSON.stringify(body).slice(0, 200) });
      if (++done === mix.length * 2) afterWarmup = rssBytes(fallback.pid);
      if (done === Math.floor(requests / 2)) half = rssBytes(fallback.pid);
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearInterval(sampler);
  }
  const end = rssBytes(fallback.pid);
  const alive = fallback.alive();
  await fallback.stop();
  return { byKind, wrong, alive, rss: { afterWarmup, half, end, peak: Math.max(peak, end) }, seconds: (Date.now() - t0) / 1000 };
}
