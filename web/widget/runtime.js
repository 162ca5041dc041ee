// What <veer-digitiser> loads on demand (never for its first paint): the worker
// pool, and from the page (web/www), imported as they are: the run policy
// (core/run.js: local or cloud), the scan viewer, the path editor and the plots.
//
// One pool per set of file URLs serves every widget on the page (and a second
// copy of this module too: the pools live on globalThis). Each job holds a worker
// alone from opening its scan to the end of its run, so widgets never see each
// other's scans. The first worker downloads the model; more workers start only
// once it sits in Cache Storage, so the model crosses the network once.

import { VeerClient, Cancelled, defaultTileWorkers } from '../www/core/client.js';
import { runProject } from '../www/core/run.js';
import { ScanViewer } from '../www/view/viewer.js';
import { PathEditor } from '../www/view/editor.js';
import { drawPlot, drawLog } from '../www/view/plot.js';
import { curveCalibration } from '../www/project/project.js';

export { ScanViewer, PathEditor, drawPlot, drawLog, curveCalibration };

const POOLS = (globalThis[Symbol.for('veer.digitiser.pools')] ??= new Map());


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
      // The cores shared among the pool's clients: each runs its tiles on its share.
      tileWorkers: Math.max(1, Math.floor(defaultTileWorkers() / this.size)),
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
  // Each client's main worker and its tile workers.
  for (const pool of POOLS.values()) n += pool.clients.filter((c) => c.worker).reduce((sum, c) => sum + 1 + c.pool.length, 0);
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

/** What the run policy needs from the widget: a pool worker held for the run, the page's limits. */
function policyOptions(mode, opts) {
  return {
    mode,
    withClient: (fn) => poolFor(opts.urls).use(opts.signal, opts.onProgress || (() => {}), fn),
    fallbackUrl: opts.fallbackUrl || null,
    cloudToken: opts.cloudToken,
    memoryBytes: opts.memoryBytes,
    maxLocalPixels: opts.maxLocalPixels,
    signal: opts.signal,
    onProgress: opts.onProgress,
    onOpened: opts.onOpened,
  };
}

/** Where and how it ran, for `meta`. */
function runMeta(out, scan, mode, t0) {
  const stats = out.curves.map((c) => c.stats).filter(Boolean);
  const elapsed = Math.round(performance.now() - t0);
  const base = { elapsed_ms: elapsed, source: scan.name };
  if (out.ran === 'cloud') {
    return { ...out.meta, reason: out.why, uploaded: out.shrunk ? out.shrunk.description : null, ...base };
  }
  return {
    ran: 'browser',
    model: stats[0]?.model ?? null,
    reason: out.plan ? out.plan.reason : mode === 'local' ? 'mode="local" was asked for' : null,
    ms: { total: elapsed },
    ...base,
  };
}

/**
 * Digitises `scan` ({bytes, type, name}) with one `calibration` (as a project of one
 * curve), on this device or in the cloud fallback as `mode` ('auto' | 'local' | 'cloud')
 * and the planner say. Resolves to {result: {curve, meta}, path, stats}.
 *
 * opts: {urls, fallbackUrl, memoryBytes, maxLocalPixels, signal, onProgress(p), onOpened({header, pixels})}
 */
export async function digitise(scan, calibration, mode, opts) {
  const t0 = performance.now();
  const c = calibration;
  const project = {
    version: 1, depth: c.depth, curves: [{ mnemonic: c.mnemonic || 'CURVE', unit: c.unit || '', track: c.track, scale: c.scale, log: !!c.log, ...(c.seed ? { seed: c.seed } : {}) }],
    ...(c.depth_unit ? { depth_unit: c.depth_unit } : {}),
    ...(c.step ? { step: c.step } : {}),
  };
  const out = await runProject(scan, project, policyOptions(mode, opts));
  const run = out.curves[0];
  const logCurve = out.log.curves[0];
  const curve = [];
  out.log.depth.forEach((depth, i) => {
    const value = logCurve.value[i];
    if (value !== null && value !== undefined && Number.isFinite(value)) curve.push({ depth, value });
  });
  const meta = runMeta(out, scan, mode, t0);
  return {
    result: {
      curve,
      meta: {
        ...meta,
        coverage: run.stats.coverage,
        image: [run.stats.image_width, run.stats.image_height],
        tiles: run.stats.tiles,
        mnemonic: logCurve.mnemonic,
        unit: logCurve.unit,
        depth_unit: out.log.depth_unit,
        step: out.log.step,
      },
    },
    path: run.path,
    stats: run.stats,
    project,
    runs: out.curves,
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
  const t0 = performance.now();
  const out = await runProject(scan, project, policyOptions(mode, opts));
  const stats = out.curves.map((c) => c.stats).filter(Boolean);
  const meta = runMeta(out, scan, mode, t0);
  return {
    result: {
      log: out.log,
      curves: out.curves,
      meta: {
        ...meta,
        coverage: stats.length ? Math.min(...stats.map((s) => s.coverage)) : null,
        image: stats[0] ? [stats[0].image_width, stats[0].image_height] : null,
        tiles: stats.reduce((n, s) => n + s.tiles, 0),
      },
    },
    project,
    runs: out.curves,
  };
}

/**
 * A run's curves written by the core (`exportProject`: CSV, LAS 2.0 or JSON, every curve on one
 * depth index): `project` with each curve's path from `runs` as its `edited` path, on a scan
 * `height` rows tall; `info` is {source, model, date}.
 */
export function exportRun(urls, project, runs, height, format, info) {
  const withPaths = { ...project, curves: project.curves.map((c, i) => ({ ...c, edited: { rows_per_track_row: runs[i].rows_per_track_row, path: runs[i].path } })) };
  return poolFor(urls).use(undefined, () => {}, (client) => client.exportProject(format, withPaths, height, info));
}
