// What <veer-digitiser> loads on demand (never for its first paint): the worker
// pool, local-or-cloud runs, and the scan viewer and plot of the page (web/www),
// imported as they are.
//
// One pool per set of file URLs serves every widget on the page (and a second
// copy of this module too: the pools live on globalThis). Each job holds a worker
// alone from opening its scan to the end of its run, so widgets never see each
// other's scans. The first worker downloads the model; more workers start only
// once it sits in Cache Storage, so the model crosses the network once.

import { VeerClient, Cancelled, deviceBudget, recordSpeed } from '../www/client.js';
import { ScanViewer } from '../www/viewer.js';
import { PathEditor } from '../www/editor.js';
import { drawPlot, drawLog } from '../www/plot.js';
import { curveCalibration } from '../www/project/project.js';

export { ScanViewer, PathEditor, drawPlot, drawLog, curveCalibration };

const POOLS = (globalThis[Symbol.for('veer.digitiser.pools')] ??= new Map());

const veerError = (kind, message) => Object.assign(new Error(message), { kind });

/** A module worker for `url`; one from another origin starts through a same-origin shim. */
function workerUrlFor(url) {
  const u = new URL(url, location.href);
  if (u.origin === location.origin) return u;
  return URL.createObjectURL(new Blob([`import ${JSON.stringify(u.href)};`], { type: 'text/javascript' }));
}

class Pool {
  constructor(urls) {
    this.urls = urls;
    // Each worker holds the model and a decoded scan; more than two buys nothing on most devices.
    this.size = Math.max(1, Math.min(2, (navigator.hardwareConcurrency || 2) - 1));
    this.clients = [];
    this.idle = [];
    this.waiting = [];
    this.modelCached = false;
  }

  _grow() {
    const client = new VeerClient({
      workerUrl: workerUrlFor(this.urls.worker),
      wasmUrl: this.urls.wasm,
      modelUrl: this.urls.model,
      manifestUrl: this.urls.manifest || undefined,
    });
    this.clients.push(client);
    return client;
  }

  _canGrow() {
    // A second worker reads the model from the cache, so it waits for the first
    // to have put it there (only a manifest-keyed model is cached).
    return this.clients.length === 0 || (this.clients.length < this.size && this.modelCached);
  }

  _pump() {
    while (this.waiting.length) {
      const client = this.idle.pop() || (this._canGrow() ? this._grow() : null);
      if (!client) return;
      this.waiting.shift().resolve(client);
    }
  }

  /** Resolves to a worker client held by the caller alone until `release`. */
  acquire(signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Cancelled());
      const waiter = { resolve, reject };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          reject(new Cancelled());
        }
      }, { once: true });
      this._pump();
    });
  }

  release(client) {
    client.onModelProgress = () => {};
    this.idle.push(client);
    this._pump();
  }

  /** Runs `fn(client)` holding a worker; an abort stops the worker at once (the next job starts a fresh one). */
  async use(signal, onProgress, fn) {
    const client = await this.acquire(signal);
    const stop = () => client.cancel();
    signal?.addEventListener('abort', stop, { once: true });
    client.onModelProgress = (p) => onProgress({ stage: 'model', done: p.done, total: p.total || p.done || 1 });
    try {
      await client.ready();
      if (this.urls.manifest && !this.modelCached) {
        this.modelCached = true; // in Cache Storage now: jobs waiting may start workers of their own
        this._pump();
      }
      if (signal?.aborted) throw new Cancelled();
      return await fn(client);
    } finally {
      signal?.removeEventListener('abort', stop);
      this.release(client);
    }
  }
}

/** The shared pool for these file URLs ({worker, wasm, model, manifest}). */
export function poolFor(urls) {
  const key = JSON.stringify([urls.worker, urls.wasm, urls.model, urls.manifest || null]);
  let pool = POOLS.get(key);
  if (!pool) POOLS.set(key, (pool = new Pool(urls)));
  return pool;
}

/** How many workers the pools of this page run now (for tests and diagnostics). */
export function workerCount() {
  let n = 0;
  for (const pool of POOLS.values()) n += pool.clients.filter((c) => c.worker).length;
  return n;
}

/** Decodes a scan for drawing: {header, pixels}. */
export function openScan(urls, scan, { signal, onProgress = () => {} } = {}) {
  return poolFor(urls).use(signal, onProgress, async (client) => {
    const out = await client.open(scan.bytes, onProgress);
    client.openScan = scan;
    return out;
  });
}

/** The non-null points of a core `Curve` ({depth: [], value: []}) as [{depth, value}]. */
function points(curve) {
  if (Array.isArray(curve)) return curve;
  const out = [];
  for (let i = 0; i < curve.depth.length; i++) {
    const v = curve.value[i];
    if (v !== null && v !== undefined && Number.isFinite(v)) out.push({ depth: curve.depth[i], value: v });
  }
  return out;
}

/**
 * Digitises `scan` ({bytes, type, name}) with `calibration`, on this device or in
 * the cloud fallback as `mode` ('auto' | 'local' | 'cloud') and the planner say.
 * Resolves to {result: {curve, meta}, path, stats}.
 *
 * opts: {urls, fallbackUrl, memoryBytes, maxLocalPixels, signal, onProgress(p), onOpened({header, pixels})}
 */
export async function digitise(scan, calibration, mode, opts) {
  const { urls, fallbackUrl, signal, onProgress = () => {} } = opts;
  const t0 = performance.now();
  if (mode === 'cloud') {
    if (!fallbackUrl) throw veerError('bad_parameter', 'mode="cloud" needs a fallback-url: set it to the cloud fallback\'s /digitise address');
    return cloud(scan, calibration, opts, 'mode="cloud" was asked for', null, t0);
  }
  const pool = poolFor(urls);
  let plan = null;
  let why = null;
  let shrunk = null;
  const local = await pool.use(signal, onProgress, async (client) => {
    let header = scan.header;
    if (client.openScan !== scan || !client.scanOpen || !header) {
      const opened = await client.open(scan.bytes, onProgress, { pixels: !!opts.onOpened });
      client.openScan = scan;
      header = scan.header = opened.header;
      opts.onOpened?.(opened);
    }
    if (mode === 'auto') {
      const trackPx = Math.abs(calibration.track[1] - calibration.track[0]);
      plan = await client.plan(header, deviceBudget({ memoryBytes: opts.memoryBytes }), trackPx);
      const px = header.width * header.height;
      if (opts.maxLocalPixels > 0 && px > opts.maxLocalPixels) {
        why = `the scan has ${px.toLocaleString('en')} pixels, over this page's limit of ${opts.maxLocalPixels.toLocaleString('en')} on the device`;
      } else if (plan.decision === 'cloud') {
        why = plan.reason;
      }
      if (why && fallbackUrl) {
        // Over the cloud's request limit as it is: re-save it compactly while the scan is open here.
        if (!plan.cloud_fits) shrunk = await client.shrink();
        return null;
      }
    }
    try {
      const res = await client.run(calibration, onProgress);
      recordSpeed(res.stats, (performance.now() - t0) / 1000);
      return res;
    } catch (e) {
      // Out of memory or a crashed worker: the cloud can still do it, calibration kept.
      if (mode === 'auto' && fallbackUrl && (e.kind === 'memory' || e.kind === 'worker_crashed')) {
        why = `the run on this device failed (${e.message})`;
        return null;
      }
      throw e;
    }
  });
  if (!local) return cloud(scan, calibration, opts, why, shrunk, t0);
  const c = local.curve;
  return {
    result: {
      curve: points(c),
      meta: {
        ran: 'browser',
        model: local.stats.model,
        reason: plan ? plan.reason : mode === 'local' ? 'mode="local" was asked for' : null,
        ms: { total: Math.round(performance.now() - t0) },
        elapsed_ms: Math.round(performance.now() - t0),
        coverage: local.stats.coverage,
        image: [local.stats.image_width, local.stats.image_height],
        tiles: local.stats.tiles,
        mnemonic: c.mnemonic,
        unit: c.unit,
        depth_unit: c.depth_unit,
        step: c.step,
        source: scan.name,
      },
    },
    path: local.path,
    stats: local.stats,
  };
}

async function cloud(scan, calibration, opts, why, shrunk, t0) {
  const { urls, fallbackUrl, signal, onProgress = () => {} } = opts;
  const sender = new VeerClient({ fallbackUrl });
  const send = async (s) => {
    onProgress({ stage: 'upload', done: 0, total: 1 });
    return sender.runCloud(s ? s.bytes : scan.bytes, s ? s.content_type : scan.type, calibration, { signal });
  };
  let body;
  try {
    body = await send(shrunk);
  } catch (e) {
    if (e.kind !== 'payload_too_large' || shrunk) throw e;
    // The fallback says the file is over its request limit: re-save it compactly (1-bit or gray PNG) and send that.
    shrunk = await poolFor(urls).use(signal, onProgress, async (client) => {
      if (client.openScan !== scan || !client.scanOpen) {
        await client.open(scan.bytes, onProgress, { pixels: false });
        client.openScan = scan;
      }
      return client.shrink();
    });
    body = await send(shrunk);
  }
  onProgress({ stage: 'upload', done: 1, total: 1 });
  if (!body.path || !body.stats) throw veerError('cloud_error', 'the cloud fallback answered without the traced path; update the fallback server');
  return {
    result: {
      curve: points(body.curve),
      meta: {
        ...body.meta,
        reason: why,
        uploaded: shrunk ? shrunk.description : null,
        elapsed_ms: Math.round(performance.now() - t0),
        coverage: body.stats.coverage,
        image: [body.stats.image_width, body.stats.image_height],
        tiles: body.stats.tiles,
        mnemonic: body.mnemonic,
        unit: body.unit,
        depth_unit: body.depth_unit,
        step: body.step,
        source: scan.name,
      },
    },
    path: body.path,
    stats: body.stats,
  };
}

/**
 * Digitises every curve of `project` (the core's project object: README "The project")
 * on `scan`, on this device or in the cloud fallback as `mode` and the planner say (the
 * widest track decides). Resolves to {result: {log, curves, meta}}: `log` every curve on
 * one depth index, `curves` each curve's {mnemonic, path, rows_per_track_row, stats,
 * uncertain?}, the shape of a local run of the page, wherever it ran.
 */
export async function digitiseProject(scan, project, mode, opts) {
  const { urls, fallbackUrl, signal, onProgress = () => {} } = opts;
  const t0 = performance.now();
  const meta = (extra) => ({ elapsed_ms: Math.round(performance.now() - t0), source: scan.name, ...extra });
  const viaCloud = async (why, shrunk) => {
    const sender = new VeerClient({ fallbackUrl });
    const send = (s) => {
      onProgress({ stage: 'upload', done: 0, total: 1 });
      return sender.runCloud(s ? s.bytes : scan.bytes, s ? s.content_type : scan.type, project, { signal });
    };
    let body;
    try {
      body = await send(shrunk);
    } catch (e) {
      if (e.kind !== 'payload_too_large' || shrunk) throw e;
      shrunk = await poolFor(urls).use(signal, onProgress, async (client) => {
        if (client.openScan !== scan || !client.scanOpen) {
          await client.open(scan.bytes, onProgress, { pixels: false });
          client.openScan = scan;
        }
        return client.shrink();
      });
      body = await send(shrunk);
    }
    onProgress({ stage: 'upload', done: 1, total: 1 });
    if (!body.log || !Array.isArray(body.curves)) throw veerError('cloud_error', 'the cloud fallback answered without the project\'s curves; update the fallback server');
    return { result: { log: body.log, curves: body.curves, meta: meta({ ...body.meta, reason: why, uploaded: shrunk ? shrunk.description : null }) } };
  };
  if (mode === 'cloud') {
    if (!fallbackUrl) throw veerError('bad_parameter', 'mode="cloud" needs a fallback-url: set it to the cloud fallback\'s /digitise address');
    return viaCloud('mode="cloud" was asked for', null);
  }
  let plan = null;
  let why = null;
  let shrunk = null;
  const local = await poolFor(urls).use(signal, onProgress, async (client) => {
    let header = scan.header;
    if (client.openScan !== scan || !client.scanOpen || !header) {
      const opened = await client.open(scan.bytes, onProgress, { pixels: !!opts.onOpened });
      client.openScan = scan;
      header = scan.header = opened.header;
      opts.onOpened?.(opened);
    }
    if (mode === 'auto') {
      const trackPx = Math.max(...(project.curves || []).map((c) => Math.abs(c.track[1] - c.track[0])).filter(Number.isFinite), 1);
      plan = await client.plan(header, deviceBudget({ memoryBytes: opts.memoryBytes }), trackPx);
      const px = header.width * header.height;
      if (opts.maxLocalPixels > 0 && px > opts.maxLocalPixels) {
        why = `the scan has ${px.toLocaleString('en')} pixels, over this page's limit of ${opts.maxLocalPixels.toLocaleString('en')} on the device`;
      } else if (plan.decision === 'cloud') {
        why = plan.reason;
      }
      if (why && fallbackUrl) {
        if (!plan.cloud_fits) shrunk = await client.shrink();
        return null;
      }
    }
    try {
      const out = await client.runProject(project, (p) => onProgress({ stage: p.stage, done: p.done, total: p.total, curve: p.curve }));
      const runs = out.curves.filter((c) => c.stats);
      if (runs.length) recordSpeed({ track_rows: runs[0].stats.track_rows, track_cols: runs[0].stats.track_cols }, (performance.now() - t0) / 1000 / runs.length);
      return out;
    } catch (e) {
      if (mode === 'auto' && fallbackUrl && (e.kind === 'memory' || e.kind === 'worker_crashed')) {
        why = `the run on this device failed (${e.message})`;
        return null;
      }
      throw e;
    }
  });
  if (!local) return viaCloud(why, shrunk);
  const stats = local.curves.map((c) => c.stats).filter(Boolean);
  return {
    result: {
      log: local.log,
      curves: local.curves,
      meta: meta({
        ran: 'browser',
        model: stats[0]?.model ?? null,
        reason: plan ? plan.reason : mode === 'local' ? 'mode="local" was asked for' : null,
        ms: { total: Math.round(performance.now() - t0) },
        coverage: stats.length ? Math.min(...stats.map((s) => s.coverage)) : null,
        image: stats[0] ? [stats[0].image_width, stats[0].image_height] : null,
        tiles: stats.reduce((n, s) => n + s.tiles, 0),
      }),
    },
  };
}
