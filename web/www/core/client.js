// The page's side of the worker: typed requests with promises, progress
// callbacks, cancel (terminates the worker; the next request starts a fresh one,
// which reads the model from Cache Storage), and the cloud fallback over HTTP.
// With more than one tile worker (`tileWorkers`, by default one per core up to
// MAX_TILE_WORKERS) a run is staged: the main worker decodes, prepares, blends and
// traces, and the tiles are inferred on a pool of tile workers, each holding the
// model from the bytes the main worker loaded (downloaded and cached once).
// The protocol's types are below (JSDoc, checked by tsc in scripts/build-widget);
// worker.js answers each request type with the type its method here returns.

/**
 * @typedef {{format: string, width: number, height: number, bits_per_pixel: number, file_bytes: number}} ScanHeader
 * @typedef {{stage: string, done: number, total: number, curve?: number}} Progress
 *   `stage`: model (bytes), decode, prepare, infer (tiles), trace, export, upload; `curve`: the index of
 *   the project's curve in progress
 * @typedef {{decision: 'local' | 'cloud', reason: string, estimate: object, cloud_fits: boolean}} Plan
 * @typedef {{image_width: number, image_height: number, track_rows: number, track_cols: number,
 *   tiles: number, coverage: number, rows_per_track_row: number, model: string}} RunStats
 * @typedef {{mnemonic: string, path: Array<[number, number]>, rows_per_track_row: number,
 *   stats: RunStats | null, uncertain?: Array<[number, number]>}} CurveRun
 *   one curve of a project run: its path in scan pixels, and the scan rows where the trace is unsure
 * @typedef {{depth_unit: string, step: number, depth: number[],
 *   curves: Array<{mnemonic: string, unit: string, value: Array<number | null>}>}} Log
 *   every curve of a project on one depth index
 * @typedef {{log: Log, curves: CurveRun[], memory: number}} ProjectRun
 * @typedef {{bytes: Uint8Array, content_type: string, lossless: boolean, description: string}} Shrunk
 * @typedef {{precision: string, fromCache: boolean, modelBytes: number, sha256: string}} WorkerInfo
 * @typedef {Error & {kind?: string, status?: number}} VeerError
 * @typedef {{found: any} | {absent: string}} Finding
 *   something the core found, or why not (`veer::layout::Finding`)
 * @typedef {{version: number, layout: {width: number, height: number, skew: Finding, tracks: Finding,
 *   depth_lines: Finding, depth_column: Finding}, depth: Finding}} Proposal
 *   the core's proposed calibration of a print (`veer::propose::Proposal`)
 */

/** An Error with the `kind` the page and the widget report. */
const veerError = (/** @type {string} */ kind, /** @type {string} */ message, extra = {}) =>
  /** @type {VeerError} */ (Object.assign(new Error(message), { kind }, extra));

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
 * The most tile workers one client runs. Each holds its own wasm instance and model (about
 * 60-90 MB of memory), and the main worker's decode, prepare and trace do not spread: past
 * four workers a scan gains little on the devices measured (BENCHMARKS.md, section 5).
 */
export const MAX_TILE_WORKERS = 4;

/**
 * A tile worker that has not answered a tile within TILE_STALL_FACTOR times the slowest tile the pool has
 * run (its warm-up tile, on the browser's first-tier code, included), and never sooner than
 * TILE_STALL_FLOOR_MS, is taken for dead (a tab throttled for ever, a worker the browser stopped without
 * an error event): it is terminated and its tile goes to the others. A tile takes 0.2-0.5 s on the
 * devices measured (BENCHMARKS.md, section 5b), so a live worker is never near the limit.
 */
export const TILE_STALL_FACTOR = 20;
export const TILE_STALL_FLOOR_MS = 15_000;

/**
 * A module of one function with one relaxed-SIMD instruction (`f32x4.relaxed_madd` of three
 * `v128.const`s): it validates where the browser has relaxed SIMD.
 */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array(16).fill(0)]), 253, 133, 2, 11,
]);

/** Whether this browser runs relaxed SIMD (Chromium 114 and later; others as they ship it). */
export function hasRelaxedSimd() {
  try {
    return WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * The core this browser runs. `scripts/build-web` writes, beside `veer_web_bg.wasm` (SIMD), the
 * same core built with relaxed SIMD, `veer_web_relaxed_bg.wasm`: the network's multiply-adds fused
 * where the machine has FMA, a tile about 1.26x faster (BENCHMARKS.md, section 10b). Where the
 * browser has relaxed SIMD and `url` names the plain file, the relaxed one next to it is used; the
 * JavaScript glue is the same for both.
 */
export function coreWasmUrl(url, relaxed = hasRelaxedSimd()) {
  const u = new URL(String(url), globalThis.location?.href);
  if (relaxed && u.pathname.endsWith('/veer_web_bg.wasm')) {
    u.pathname = u.pathname.replace(/veer_web_bg\.wasm$/, 'veer_web_relaxed_bg.wasm');
  }
  return u.href;
}

/** Tile workers for this device: one per core (`hardwareConcurrency`), at most MAX_TILE_WORKERS. */
export function defaultTileWorkers() {
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 1, MAX_TILE_WORKERS));
}

/**
 * This device's budget for the core's planner: half the memory the browser
 * reports (Chrome caps deviceMemory at 8), never more than wasm32's practical
 * 2 GiB, or `memoryBytes` when the embedding page sets one; the cores; a 300 s
 * time budget; and the model speed measured on earlier runs (see `recordSpeed`).
 */
export function deviceBudget(/** @type {{memoryBytes?: number}} */ { memoryBytes } = {}) {
  const deviceBytes = (/** @type {any} */ (navigator).deviceMemory || 4) * 2 ** 30;
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
   * @param {object} opts (a client that only talks to the cloud needs `fallbackUrl` alone)
   * @param {string|URL} [opts.workerUrl]  core/worker.js
   * @param {string|URL} [opts.wasmUrl]    pkg/veer_web_bg.wasm (its relaxed-SIMD build beside it is used where
   *   the browser has relaxed SIMD: `coreWasmUrl`)
   * @param {boolean} [opts.relaxedSimd] false: always the plain SIMD build
   * @param {string|URL} [opts.modelUrl]   the int8 checkpoint
   * @param {string|URL} [opts.manifestUrl] its {file, sha256, bytes}
   * @param {string|URL} [opts.digitsUrl] the depth-number reader (models/digits.onnx)
   * @param {string|URL} [opts.digitsManifestUrl] its {file, sha256, bytes}
   * @param {string|URL} [opts.fallbackUrl] POST endpoint of the cloud fallback
   * @param {() => (string | null | Promise<string | null>)} [opts.cloudToken] for a fallback behind a
   *   portal's JWT authoriser: gives the signed-in user's token, sent as `authorization: Bearer`
   * @param {number} [opts.tileWorkers] workers that infer a run's tiles (default `defaultTileWorkers()`,
   *   at most MAX_TILE_WORKERS, and never more than a run has tiles); 1 runs everything in the main worker
   */
  constructor(opts) {
    this.opts = opts;
    /** The wasm core the workers load (`coreWasmUrl`). */
    this.wasmUrl = opts.wasmUrl ? coreWasmUrl(opts.wasmUrl, opts.relaxedSimd !== false && hasRelaxedSimd()) : null;
    this.tileWorkers = Math.max(1, Math.min(Math.floor(opts.tileWorkers ?? defaultTileWorkers()) || 1, MAX_TILE_WORKERS));
    this.worker = null;
    /** @type {Worker[]} the tile workers (started with the main worker when `tileWorkers` > 1) */
    this.pool = [];
    /** @type {Promise<unknown> | null} */
    this.poolReady = null;
    /** @type {Uint8Array | null} the model's bytes, as the main worker loaded them, for the tile workers */
    this.modelData = null;
    /** The slowest tile the pool has run, in ms (its warm-up tiles included): sets when a worker is stalled. */
    this.slowestTileMs = 0;
    /** The shortest wait before a silent tile worker is taken for dead (TILE_STALL_FLOOR_MS; tests lower it). */
    this.tileStallFloorMs = TILE_STALL_FLOOR_MS;
    this.nextId = 1;
    this.pending = new Map();
    /** @type {WorkerInfo | null} */
    this.info = null;
    /** @type {(p: Progress) => void} */
    this.onModelProgress = () => {};
    /** Whether the worker holds the scan (false in a fresh worker). */
    this.scanOpen = false;
    /** @type {Uint8Array | null} the open scan's bytes, to open it again in a fresh worker */
    this.scanBytes = null;
    /** @type {object | null} what the run policy (run.js) knows is open: its scan object */
    this.openScan = null;
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
      wasmUrl: String(this.wasmUrl),
      share: this.tileWorkers > 1,
    }, (p) => this.onModelProgress(p)).then((/** @type {WorkerInfo & {model?: Uint8Array}} */ answer) => {
      const { model, ...info } = answer;
      if (model) {
        this.modelData = model;
        // The tile workers start now, so that they are ready when the first scan is.
        this._startPool();
      }
      this.info = info;
      return info;
    });
    // A failed init must not leave a half-started worker behind.
    this.initialised.catch(() => this._kill());
  }

  /** Starts the tile workers, each with the model's bytes (copied; nothing is downloaded again). */
  _startPool() {
    this._killPool();
    for (let k = 0; k < this.tileWorkers; k++) {
      const worker = new Worker(this.opts.workerUrl, { type: 'module', name: `veer-tiles-${k + 1}` });
      worker.onmessage = (e) => this._receive(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        this._failAll(new WorkerCrashed(`a tile worker stopped unexpectedly (${e.message || 'worker error'}); the run was stopped`));
      };
      worker.onmessageerror = () => this._failAll(new WorkerCrashed('a message from a tile worker could not be read'));
      this.pool.push(worker);
    }
    const model = this.modelData;
    const wasmUrl = String(this.wasmUrl);
    this.slowestTileMs = 0;
    this.poolReady = Promise.all(this.pool.map((w) => this._requestTo(w, 'tileInit', { wasmUrl, model }))).then(
      (/** @type {Array<{tileMs?: number}>} */ answers) => {
        for (const a of answers) this.slowestTileMs = Math.max(this.slowestTileMs, a.tileMs || 0);
        return answers;
      },
    );
    this.poolReady.catch(() => {}); // reported to the run that awaits it
  }

  _killPool() {
    for (const w of this.pool) w.terminate();
    this.pool = [];
    this.poolReady = null;
  }

  _kill() {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.initialised = null;
    this._killPool();
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
      p.reject(veerError(msg.error.kind, msg.error.message));
    }
  }

  /**
   * One request to the worker; resolves to its answer.
   * @param {string} type
   * @param {object} payload
   * @param {(p: Progress) => void} [onProgress]
   * @param {Transferable[]} [transfer]
   * @returns {Promise<any>}
   */
  _request(type, payload, onProgress, transfer) {
    return this._requestTo(this.worker, type, payload, onProgress, transfer);
  }

  /**
   * One request to `worker` (the main worker or a tile worker); answers share one id space.
   * @param {Worker | null} worker
   * @param {string} type
   * @param {object} payload
   * @param {(p: Progress) => void} [onProgress]
   * @param {Transferable[]} [transfer]
   * @returns {Promise<any>}
   */
  _requestTo(worker, type, payload, onProgress, transfer) {
    return this._send(worker, type, payload, onProgress, transfer).answer;
  }

  /**
   * As `_requestTo`, and the request's id (to give up on it).
   * @param {Worker | null} worker
   * @param {string} type
   * @param {object} payload
   * @param {(p: Progress) => void} [onProgress]
   * @param {Transferable[]} [transfer]
   * @returns {{id: number, answer: Promise<any>}}
   */
  _send(worker, type, payload, onProgress, transfer) {
    const id = this.nextId++;
    const answer = new Promise((resolve, reject) => {
      if (!worker) {
        reject(new Cancelled());
        return;
      }
      this.pending.set(id, { resolve, reject, onProgress });
      worker.postMessage({ id, type, ...payload }, transfer || []);
    });
    return { id, answer };
  }

  /**
   * One tile on `worker`; rejects with kind `tile_stalled` when no answer comes within the stall limit
   * (TILE_STALL_FACTOR). The tile's input is sent as a copy, so that it can go to another worker then.
   * @param {Worker} worker
   * @param {{rows: number, cols: number, input: Float32Array}} job
   * @returns {Promise<Float32Array>}
   */
  async _inferTile(worker, job) {
    const input = job.input.slice();
    const limit = Math.max(this.tileStallFloorMs, TILE_STALL_FACTOR * this.slowestTileMs);
    const started = performance.now();
    const { id, answer } = this._send(worker, 'infer', { rows: job.rows, cols: job.cols, input }, undefined, [input.buffer]);
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const stalled = new Promise((_, reject) => {
      timer = setTimeout(() => {
        this.pending.delete(id);
        reject(veerError('tile_stalled', `a tile worker gave no answer for ${Math.round(limit / 1000)} s`));
      }, limit);
    });
    try {
      const output = await Promise.race([answer, stalled]);
      this.slowestTileMs = Math.max(this.slowestTileMs, performance.now() - started);
      return output;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Terminates one tile worker that stopped answering; the next staged run starts a full pool again. */
  _dropTileWorker(/** @type {Worker} */ worker) {
    worker.terminate();
    this.pool = this.pool.filter((w) => w !== worker);
  }

  /**
   * A staged run: the main worker prepares the tracks and plans their tiles (`start`), the
   * tile workers infer them, the main worker blends each output as it comes and then
   * traces (`finishRun`). Answers as the one-call run does; progress reports tiles blended.
   * @param {'startRun' | 'startProject'} start
   * @param {object} payload
   * @param {(p: Progress) => void} [onProgress]
   * @returns {Promise<any>}
   */
  async _staged(start, payload, onProgress) {
    const plan = await this._request(start, payload, onProgress);
    /** @type {Array<{track: number, tile: number, rows: number, cols: number, input: Float32Array}>} */
    const jobs = [];
    plan.tracks.forEach((/** @type {{curve: number, cols: number, rows: number[]}} */ t, /** @type {number} */ track) =>
      t.rows.forEach((rows, tile) => jobs.push({ track, tile, rows, cols: t.cols, input: plan.inputs[track][tile] })),
    );
    if (jobs.length) {
      // A pool that lost a worker to a stall (below) is started again in full.
      if (!this.poolReady || this.pool.length < this.tileWorkers) this._startPool();
      /** The tiles not yet blended, in order; a stalled worker's tile goes back to the front. */
      const queue = [...jobs];
      let failed = false;
      const work = async (/** @type {Worker} */ worker) => {
        try {
          for (let job = queue.shift(); job && !failed; job = queue.shift()) {
            let output;
            try {
              output = await this._inferTile(worker, job);
            } catch (e) {
              if (e.kind !== 'tile_stalled') throw e;
              queue.unshift(job);
              this._dropTileWorker(worker);
              if (this.pool.length === 0) {
                throw new WorkerCrashed(`the tile workers stopped answering (${e.message}); the run was stopped`);
              }
              return; // the workers left take its tile
            }
            job.input = new Float32Array(0); // blended below: its input is not needed again
            const given = await this._request('giveTile', { track: job.track, tile: job.tile, output }, undefined, [output.buffer]);
            const p = { stage: 'infer', done: given.done, total: given.total };
            onProgress?.(start === 'startProject' ? { curve: given.curve, ...p } : p);
          }
        } catch (e) {
          failed = true;
          throw e;
        }
      };
      try {
        await this.poolReady;
        // Rounds, until every tile is blended: a round ends when the queue is empty or its workers
        // stalled, and a stalled worker's tile is left for the next round's workers.
        while (queue.length) {
          await Promise.all(this.pool.slice(0, Math.min(this.pool.length, queue.length)).map(work));
        }
      } catch (e) {
        // A pool that failed to start, or a tile worker that failed (out of memory, say), is not trusted
        // again: the next run starts fresh ones.
        if (e.kind !== 'cancelled' && e.kind !== 'worker_crashed') this._killPool();
        throw e;
      }
    }
    return this._request('finishRun', {}, onProgress);
  }

  /**
   * Starts the worker and loads the model (idempotent).
   * @returns {Promise<WorkerInfo>}
   */
  async ready() {
    if (!this.worker) this._spawn();
    return this.initialised;
  }

  /** @param {string} type @param {object} payload @param {(p: Progress) => void} [onProgress] @param {Transferable[]} [transfer] */
  async _call(type, payload, onProgress, transfer) {
    await this.ready();
    return this._request(type, payload, onProgress, transfer);
  }

  /**
   * Decodes a scan in the worker; resolves to {header, pixels}. `bytes` is copied, not moved.
   * With `{pixels: false}` (a run that draws nothing) it resolves to {header} only.
   * @param {Uint8Array} bytes
   * @param {(p: Progress) => void} [onProgress]
   * @param {{pixels?: boolean}} [opts]
   * @returns {Promise<{header: ScanHeader, pixels?: Uint8Array}>}
   */
  async open(bytes, onProgress, { pixels = true } = {}) {
    this.scanBytes = bytes;
    this.scanOpen = false;
    const out = await this._call('open', { bytes: bytes.slice(0), pixels }, onProgress);
    this.scanOpen = true;
    return pixels ? out : { header: out.header };
  }

  /**
   * Digitises one calibration on the open scan; after a cancel or a crash the scan is opened again first.
   * @param {object} calibration the core's `Calibration`
   * @param {(p: Progress) => void} [onProgress]
   * @returns {Promise<{curve: object, path: Array<[number, number]>, stats: RunStats, memory: number}>}
   */
  async run(calibration, onProgress) {
    await this.ready();
    if (!this.scanOpen) {
      if (!this.scanBytes) throw veerError('bad_parameter', 'no scan is open: open a scan first');
      await this._call('open', { bytes: this.scanBytes.slice(0), pixels: false }, onProgress);
      this.scanOpen = true;
    }
    if (this.tileWorkers > 1) return this._staged('startRun', { calibration }, onProgress);
    return this._call('run', { calibration }, onProgress);
  }

  /**
   * Digitises the curves of a project (the core's form) on the open scan; curves that
   * carry an `edited` path are kept as they are. Resolves to
   * {log, curves: [{mnemonic, path, rows_per_track_row, stats, uncertain?}], memory};
   * `onProgress` gets {curve, stage, done, total}.
   * @param {object | string} project the core's project (or its JSON)
   * @param {(p: Progress) => void} [onProgress]
   * @returns {Promise<ProjectRun>}
   */
  async runProject(project, onProgress) {
    await this.ready();
    if (!this.scanOpen) {
      if (!this.scanBytes) throw veerError('bad_parameter', 'no scan is open: open a scan first');
      await this._call('open', { bytes: this.scanBytes.slice(0), pixels: false }, onProgress);
      this.scanOpen = true;
    }
    if (this.tileWorkers > 1) return this._staged('startProject', { project }, onProgress);
    return this._call('runProject', { project }, onProgress);
  }

  /**
   * The open scan's pixels turned back by `degrees` (a project's `rotation`): what the
   * project's pixels refer to. Same size as the scan.
   * @param {number} degrees
   * @returns {Promise<{pixels: Uint8Array}>}
   */
  async straightened(degrees) {
    await this.ready();
    if (!this.scanOpen) {
      if (!this.scanBytes) throw veerError('bad_parameter', 'no scan is open: open a scan first');
      await this._call('open', { bytes: this.scanBytes.slice(0), pixels: false });
      this.scanOpen = true;
    }
    return this._call('straightened', { degrees });
  }

  /**
   * Loads the depth-number reader into the worker (once; cached like the model), so that
   * `propose` reads the depth numbers. Resolves to {fromCache, bytes}.
   * @returns {Promise<{fromCache: boolean, bytes: number}>}
   */
  loadDigitReader() {
    if (!this.opts.digitsUrl) return Promise.reject(veerError('bad_parameter', 'no digit reader is configured (digitsUrl)'));
    return this._call('loadDigits', {
      digitsUrl: String(this.opts.digitsUrl),
      digitsManifestUrl: this.opts.digitsManifestUrl ? String(this.opts.digitsManifestUrl) : null,
    });
  }

  /**
   * Proposes the open scan's calibration (layout and depth ties, `veer::propose`; the depth
   * ties are absent, with the reason, until `loadDigitReader` has run in this worker); after a
   * cancel or a crash the scan and the digit reader are loaded again first.
   * @param {(p: Progress) => void} [onProgress]
   * @returns {Promise<Proposal>}
   */
  async propose(onProgress) {
    await this.ready();
    if (!this.scanOpen) {
      if (!this.scanBytes) throw veerError('bad_parameter', 'no scan is open: open a scan first');
      await this._call('open', { bytes: this.scanBytes.slice(0), pixels: false }, onProgress);
      this.scanOpen = true;
      // Without it the layout is still proposed (its depth ties absent, with the reason).
      if (this.opts.digitsUrl) await this.loadDigitReader().catch(() => {});
    }
    return this._call('propose', {}, onProgress);
  }

  /**
   * The core's project from a proposal (its edges perhaps moved) and what the person typed
   * (`{depth, depth_unit?, curves: [{track, scale, mnemonic, unit?, log?}]}`).
   * @param {Proposal} proposal
   * @param {object} input
   * @returns {Promise<object>}
   */
  projectFromProposal(proposal, input) {
    return this._call('projectFromProposal', { proposal, input });
  }

  /**
   * The core's reading of a project (JSON text or object; a calibration reads as one curve), checked.
   * @param {object | string} project
   * @returns {Promise<object>}
   */
  parseProject(project) {
    return this._call('parseProject', { project });
  }

  /**
   * A curve's backup (wrap-around) scales from the text typed for them (`150:300[,300:450]`, blank:
   * none), read and checked by the core on a linear or log (`log`) axis; rejects with its message.
   * @param {string} text
   * @param {boolean} log
   * @returns {Promise<number[][]>}
   */
  parseBackup(text, log) {
    return this._call('parseBackup', { text, log });
  }

  /**
   * Every curve of a project (each with its `edited` path) as one CSV, LAS or JSON text.
   * @param {'csv' | 'las' | 'json'} format
   * @param {object} project
   * @param {number} height the scan's height in rows
   * @param {{well?: string, source?: string, model?: string, date?: string}} info
   * @returns {Promise<string>}
   */
  exportProject(format, project, height, info) {
    return this._call('exportProject', { format, project, height, info }).then((r) => r.text);
  }

  /**
   * One curve's path as CSV, LAS or JSON text.
   * @param {'csv' | 'las' | 'json'} format
   * @param {Array<[number, number]>} path
   * @param {object} calibration
   * @param {number} rowsPerTrackRow
   * @param {{well?: string, source?: string, model?: string, date?: string}} info
   * @returns {Promise<string>}
   */
  export(format, path, calibration, rowsPerTrackRow, info) {
    return this._call('export', { format, path, calibration, rowsPerTrackRow, info }).then((r) => r.text);
  }

  /**
   * Re-encodes the open scan under `maxBytes` (default: the cloud's request limit) for upload.
   * @param {number} [maxBytes]
   * @returns {Promise<Shrunk>}
   */
  async shrink(maxBytes) {
    await this.ready();
    if (!this.scanOpen) {
      await this._call('open', { bytes: this.scanBytes.slice(0), pixels: false });
      this.scanOpen = true;
    }
    return this._call('shrink', { maxBytes });
  }

  /**
   * The core's planner.
   * @param {ScanHeader} header
   * @param {object} budget what `deviceBudget` returns
   * @param {number | null} [trackPx] the track's width in scan pixels, when known
   * @returns {Promise<Plan>}
   */
  plan(header, budget, trackPx) {
    return this._call('plan', { header, budget, trackPx: trackPx ?? null });
  }

  /** Stops whatever runs now: pending requests reject with `Cancelled`. */
  cancel() {
    this._failAll(new Cancelled());
  }

  /**
   * Sends the scan to the cloud fallback (DESIGN section 5) and resolves to
   * the shape of a local run: {log, curves, meta} for a project ({curve, path, stats, meta} for a
   * single calibration).
   * @param {Uint8Array} bytes
   * @param {string} contentType
   * @param {object} calibration a project (or one calibration), the core's form
   * @param {{signal?: AbortSignal}} [opts]
   * @returns {Promise<any>}
   */
  async runCloud(bytes, contentType, calibration, { signal } = {}) {
    const url = new URL(this.opts.fallbackUrl, location.href);
    // The calibration (or project) goes as the core's own JSON, which the core parses on the
    // other side: nothing of it (mnemonic, units, depth unit) is re-written here.
    url.searchParams.set('project', JSON.stringify(calibration));
    /** @type {Record<string, string>} */
    const headers = { 'content-type': contentType };
    if (this.opts.cloudToken) {
      let token;
      try {
        token = await this.opts.cloudToken();
      } catch (e) {
        throw veerError('cloud_auth', `no sign-in token for the cloud fallback (${e?.message ?? e}); sign in again and retry, or run on this device`);
      }
      if (token) headers.authorization = `Bearer ${token}`;
    }
    let response;
    try {
      response = await fetch(url, { method: 'POST', body: /** @type {BodyInit} */ (bytes), headers, signal });
    } catch (e) {
      if (e.name === 'AbortError') throw new Cancelled();
      throw Object.assign(new Error(`the cloud fallback (${url.origin}) could not be reached: ${e.message}. Your scan and calibration are kept: check the connection and try again, or run on this device`), { kind: 'cloud_unreachable' });
    }
    if (response.status === 401 || response.status === 403) {
      throw veerError('cloud_auth', `the cloud fallback refused the request (HTTP ${response.status}): it needs a valid sign-in; sign in again and retry, or run on this device`, { status: response.status });
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
