// The page's side of the worker: typed requests with promises, progress
// callbacks, cancel (terminates the worker; the next request starts a fresh one,
// which reads the model from Cache Storage), and the cloud fallback over HTTP.

export class WorkerCrashed extends Error {
  constructor(message) {
    super(message);
    this.kind = 'worker_crashed';
  }
}

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.kind = 'cancelled';
  }
}

const SPEED_KEY = 'veer.model_px_per_s';

/**
 * This device's budget for the core's planner: half the memory the browser
 * reports (Chrome caps deviceMemory at 8), never more than wasm32's practical
 * 2 GiB, or `memoryBytes` when the embedding page sets one; the cores; a 300 s
 * time budget; and the model speed measured on earlier runs (see `recordSpeed`).
 */
export function deviceBudget({ memoryBytes } = {}) {
  const deviceBytes = (navigator.deviceMemory || 4) * 2 ** 30;
  let measured = 0;
  try {
    measured = Number(localStorage.getItem(SPEED_KEY));
  } catch {
    // No storage (sandboxed frame): the planner uses its default speed.
  }
  return {
    memory_bytes: memoryBytes > 0 ? memoryBytes : Math.min(deviceBytes / 2, 2 * 2 ** 30),
    cores: navigator.hardwareConcurrency || 1,
    time_budget_s: 300,
    model_px_per_s: measured > 0 ? measured : null,
  };
}

/** Remembers the model speed of a local run (`stats` from `run`) for the next plan. */
export function recordSpeed(stats, seconds) {
  if (!(seconds > 0.2)) return;
  try {
    localStorage.setItem(SPEED_KEY, String((stats.track_rows * stats.track_cols) / seconds));
  } catch {
    // No storage: nothing to remember.
  }
}

export class VeerClient {
  /**
   * @param {object} opts
   * @param {string|URL} opts.workerUrl  worker.js
   * @param {string|URL} opts.wasmUrl    pkg/veer_web_bg.wasm
   * @param {string|URL} opts.modelUrl   the int8 checkpoint
   * @param {string|URL} [opts.manifestUrl] its {file, sha256, bytes}
   * @param {string|URL} [opts.fallbackUrl] POST endpoint of the cloud fallback
   */
  constructor(opts) {
    this.opts = opts;
    this.worker = null;
    this.nextId = 1;
    this.pending = new Map();
    this.info = null;
    this.onModelProgress = () => {};
  }

  _spawn() {
    const worker = new Worker(this.opts.workerUrl, { type: 'module', name: 'veer' });
    worker.onmessage = (e) => this._receive(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this._failAll(new WorkerCrashed(`the digitiser stopped unexpectedly (${e.message || 'worker error'})`));
    };
    worker.onmessageerror = () => this._failAll(new WorkerCrashed('a message from the digitiser could not be read'));
    this.worker = worker;
    this.scanOpen = false; // a fresh worker holds no scan
    this.initialised = this._request('init', {
      modelUrl: String(this.opts.modelUrl),
      manifestUrl: this.opts.manifestUrl ? String(this.opts.manifestUrl) : null,
      wasmUrl: String(this.opts.wasmUrl),
    }, (p) => this.onModelProgress(p)).then((info) => {
      this.info = info;
      return info;
    });
    // A failed init must not leave a half-started worker behind.
    this.initialised.catch(() => this._kill());
  }

  _kill() {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.initialised = null;
  }

  _failAll(error) {
    const pending = [...this.pending.values()];
    this.pending.clear();
    this._kill();
    for (const p of pending) p.reject(error);
  }

  _receive(msg) {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') {
      p.onProgress?.(msg);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.type === 'done') p.resolve(msg.result);
    else {
      const err = new Error(msg.error.message);
      err.kind = msg.error.kind;
      p.reject(err);
    }
  }

  _request(type, payload, onProgress, transfer) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, type, ...payload }, transfer || []);
    });
  }

  /** Starts the worker and loads the model (idempotent). Resolves to {precision, fromCache, ...}. */
  async ready() {
    if (!this.worker) this._spawn();
    return this.initialised;
  }

  async _call(type, payload, onProgress, transfer) {
    await this.ready();
    return this._request(type, payload, onProgress, transfer);
  }

  /**
   * Decodes a scan in the worker; resolves to {header, pixels}. `bytes` is copied, not moved.
   * With `{pixels: false}` (a run that draws nothing) it resolves to {header} only.
   */
  async open(bytes, onProgress, { pixels = true } = {}) {
    this.scanBytes = bytes;
    this.scanOpen = false;
    const out = await this._call('open', { bytes: bytes.slice(0), pixels }, onProgress);
    this.scanOpen = true;
    return pixels ? out : { header: out.header };
  }

  /** Digitises the open scan; after a cancel or a crash the scan is opened again first. */
  async run(calibration, onProgress) {
    await this.ready();
    if (!this.scanOpen) {
      if (!this.scanBytes) throw Object.assign(new Error('no scan is open: open a scan first'), { kind: 'bad_parameter' });
      await this._call('open', { bytes: this.scanBytes.slice(0), pixels: false }, onProgress);
      this.scanOpen = true;
    }
    return this._call('run', { calibration }, onProgress);
  }

  /**
   * Digitises the curves of a project (the core's form) on the open scan; curves that
   * carry an `edited` path are kept as they are. Resolves to
   * {log, curves: [{mnemonic, path, rows_per_track_row, stats, uncertain?}], memory};
   * `onProgress` gets {curve, stage, done, total}.
   */
  async runProject(project, onProgress) {
    await this.ready();
    if (!this.scanOpen) {
      if (!this.scanBytes) throw Object.assign(new Error('no scan is open: open a scan first'), { kind: 'bad_parameter' });
      await this._call('open', { bytes: this.scanBytes.slice(0), pixels: false }, onProgress);
      this.scanOpen = true;
    }
    return this._call('runProject', { project }, onProgress);
  }

  /** The core's reading of a project (JSON text or object; a calibration reads as one curve), checked. */
  parseProject(project) {
    return this._call('parseProject', { project });
  }

  /** Every curve of a project (each with its `edited` path) as one CSV, LAS or JSON text. */
  exportProject(format, project, height, info) {
    return this._call('exportProject', { format, project, height, info }).then((r) => r.text);
  }

  export(format, path, calibration, rowsPerTrackRow, info) {
    return this._call('export', { format, path, calibration, rowsPerTrackRow, info }).then((r) => r.text);
  }

  /** Re-encodes the open scan under `maxBytes` for upload: {bytes, content_type, lossless, description}. */
  async shrink(maxBytes) {
    await this.ready();
    if (!this.scanOpen) {
      await this._call('open', { bytes: this.scanBytes.slice(0), pixels: false });
      this.scanOpen = true;
    }
    return this._call('shrink', { maxBytes });
  }

  /** The core's planner: {decision: 'local'|'cloud', reason, estimate, cloud_fits}. */
  plan(header, budget, trackPx) {
    return this._call('plan', { header, budget, trackPx: trackPx ?? null });
  }

  /** Stops whatever runs now: pending requests reject with `Cancelled`. */
  cancel() {
    this._failAll(new Cancelled());
  }

  /**
   * Sends the scan to the cloud fallback (DESIGN section 5) and resolves to
   * the same shape as a local run ({curve, path, stats, meta}).
   */
  async runCloud(bytes, contentType, calibration, { signal } = {}) {
    const url = new URL(this.opts.fallbackUrl, location.href);
    // The calibration (or project) goes as the core's own JSON, which the core parses on the
    // other side: nothing of it (mnemonic, units, depth unit) is re-written here.
    url.searchParams.set('project', JSON.stringify(calibration));
    let response;
    try {
      response = await fetch(url, { method: 'POST', body: bytes, headers: { 'content-type': contentType }, signal });
    } catch (e) {
      if (e.name === 'AbortError') throw new Cancelled();
      throw Object.assign(new Error(`the cloud fallback (${url.origin}) could not be reached: ${e.message}. Your scan and calibration are kept: check the connection and try again, or run on this device`), { kind: 'cloud_unreachable' });
    }
    let body;
    try {
      body = await response.json();
    } catch {
      throw Object.assign(new Error(`the cloud fallback answered HTTP ${response.status} without a result; try again later or run on this device`), { kind: 'cloud_error' });
    }
    if (!response.ok || body.error) {
      const e = body.error || {};
      throw Object.assign(new Error(e.message || `the cloud fallback answered HTTP ${response.status}`), { kind: e.kind || 'cloud_error', status: response.status });
    }
    return body;
  }
}
