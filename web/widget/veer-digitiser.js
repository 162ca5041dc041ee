// <veer-digitiser>: digitising a scanned well log inside a portal's own page.
//
//   <script type="module" src=".../veer-digitiser/widget/veer-digitiser.js"></script>
//   <veer-digitiser fallback-url="/digitise" calibration="layout.json"></veer-digitiser>
//   <veer-digitiser fallback-url="/digitise" project="print.veer.json"></veer-digitiser>
//
// This module is all a page loads for the first paint. The worker pool, the wasm
// core, the model, the scan viewer and the plot (./runtime.js and web/www) load on
// demand, from URLs next to this module unless attributes say otherwise. Events
// `veer-progress` {done, total, stage}, `veer-result` ({curve, meta} for one
// calibration; {log, curves, meta} for a project: every curve) and `veer-error`
// {kind, message} bubble out of the shadow root (composed).

const TAG = 'veer-digitiser';
const MARK = Symbol.for('veer.digitiser.element');
const HERE = import.meta.url;
const DEFAULTS = {
  worker: new URL('../www/core/worker.js', HERE).href,
  wasm: new URL('../www/pkg/veer_web_bg.wasm', HERE).href,
  model: new URL('../www/models/veernet-int8.onnx', HERE).href,
  manifest: new URL('../www/pkg/model-manifest.json', HERE).href,
};
const TYPES = { tif: 'image/tiff', tiff: 'image/tiff', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' };
const STAGES = {
  model: 'Loading the model',
  decode: 'Decoding the scan',
  prepare: 'Preparing the track',
  infer: 'Finding the curve',
  trace: 'Tracing',
  export: 'Resampling',
  upload: 'In the cloud',
};

let runtime = null;
const loadRuntime = () => (runtime ??= import('./runtime.js').catch((e) => {
  runtime = null;
  throw Object.assign(new Error(`the digitiser's code could not be loaded (${e.message}); check the connection and reload`), { kind: 'network' });
}));

const CSS = `
:host { display: block; height: 480px; min-width: 280px; }
:host([hidden]) { display: none; }
.frame {
  all: initial; box-sizing: border-box; display: grid; grid-template-rows: minmax(0, 1fr) auto;
  width: 100%; height: 100%; overflow: hidden;
  font: var(--veer-font, 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif);
  color: var(--veer-color, #1f2933); background: var(--veer-background, #fff);
  border: 1px solid var(--veer-border-color, #ccd3db); border-radius: var(--veer-radius, 8px);
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.stage { position: relative; display: grid; grid-template-columns: minmax(0, 1fr); grid-template-rows: minmax(0, 1fr); min-height: 0; overflow: hidden; background: var(--veer-stage-background, #f4f6f8); }
.stage.result { grid-template-columns: minmax(0, 1fr) minmax(110px, 34%); }
.stage.result.no-scan { grid-template-columns: minmax(0, 1fr); }
.drop { display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 10px; margin: 12px; padding: 16px;
  border: 2px dashed var(--veer-border-color, #ccd3db); border-radius: var(--veer-radius, 8px); text-align: center; color: var(--veer-muted, #52606d); }
.frame.dragging .drop, .frame.dragging .stage { outline: 3px solid var(--veer-accent, #0b6bcb); outline-offset: -3px; }
.drop p { margin: 0; }
canvas { display: block; width: 100%; height: 100%; min-height: 0; }
canvas:focus-visible { outline: 2px solid var(--veer-accent, #0b6bcb); outline-offset: -2px; }
.plot { background: var(--veer-background, #fff); border-left: 1px solid var(--veer-border-color, #ccd3db); }
.controls { display: grid; gap: 8px; padding: 10px 12px; border-top: 1px solid var(--veer-border-color, #ccd3db); }
.row { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.grow { flex: 1 1 auto; }
label { display: inline-flex; align-items: center; gap: 6px; }
input, select, button { font: inherit; color: inherit; margin: 0; }
input[type=number], input[type=text], select { padding: 3px 6px; border: 1px solid var(--veer-border-color, #ccd3db); border-radius: 4px; background: var(--veer-background, #fff); }
input[type=number] { width: 6.5em; }
input.wide { width: 12em; }
.button, button { display: inline-flex; align-items: center; padding: 5px 12px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--veer-border-color, #ccd3db); background: var(--veer-button-background, #fff); }
.run { background: var(--veer-accent, #0b6bcb); border-color: var(--veer-accent, #0b6bcb); color: var(--veer-accent-text, #fff); font-weight: 600; }
button:disabled { opacity: 0.5; cursor: default; }
button:focus-visible, select:focus-visible, input:focus-visible, summary:focus-visible, .button:focus-within {
  outline: 2px solid var(--veer-accent, #0b6bcb); outline-offset: 2px; }
.file { position: absolute; width: 1px; height: 1px; opacity: 0; overflow: hidden; }
details { border: 1px solid var(--veer-border-color, #ccd3db); border-radius: 6px; padding: 4px 8px; }
summary { cursor: pointer; font-weight: 600; }
.cal { display: flex; flex-wrap: wrap; gap: 6px 14px; padding: 6px 0 2px; }
progress { width: 9em; height: 0.8em; accent-color: var(--veer-accent, #0b6bcb); }
.status { margin: 0; min-height: 1.4em; color: var(--veer-muted, #52606d); }
.status.bad { color: var(--veer-error, #b42318); }
.project-note { margin: 6px 0 2px; }
.name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 24em; }
`;

const HTML = `
<div class="frame" part="frame">
  <div class="stage" part="stage">
    <div class="drop" part="drop">
      <p>Drop a scanned log here (PNG, JPEG or TIFF)</p>
      <label class="button" part="button file-button"><input class="file" type="file" accept=".png,.jpg,.jpeg,.tif,.tiff,image/png,image/jpeg,image/tiff">Choose a scan…</label>
    </div>
    <canvas class="scan" part="scan" tabindex="0" role="img" aria-label="The scan (arrow keys scroll, + and - zoom)" hidden></canvas>
    <canvas class="plot" part="plot" role="img" aria-label="The digitised curve against depth" hidden></canvas>
  </div>
  <form class="controls" part="controls" novalidate>
    <div class="row">
      <span class="name grow" part="scan-name">No scan yet</span>
      <label>Run <select name="mode" aria-label="Where to run">
        <option value="auto">where it fits</option><option value="local">on this device</option><option value="cloud">in the cloud</option>
      </select></label>
    </div>
    <details part="calibration">
      <summary>Calibration</summary>
      <p class="project-note" hidden></p>
      <div class="cal">
        <label>Track left (px) <input name="x0" type="number" step="any" required></label>
        <label>right (px) <input name="x1" type="number" step="any" required></label>
        <label>Value at left <input name="left" type="number" step="any" required></label>
        <label>at right <input name="right" type="number" step="any" required></label>
        <label><input name="log" type="checkbox"> Logarithmic</label>
        <label>Depth ties (row=depth, …) <input name="depth" type="text" class="wide" placeholder="75=5010, 2250=5300" required></label>
        <label>Curve point x,y <input name="seed" type="text" placeholder="optional"></label>
        <label>Step <input name="step" type="number" step="any" min="0" placeholder="auto"></label>
      </div>
    </details>
    <div class="row">
      <button type="submit" class="run" part="button run">Digitise</button>
      <button type="button" class="cancel" part="button cancel" disabled>Cancel</button>
      <progress part="progress" max="1" value="0" aria-label="Progress"></progress>
      <span class="stage-text grow" aria-hidden="true"></span>
    </div>
    <p class="status" part="status" role="status" aria-live="polite"></p>
  </form>
</div>`;

let sheet = null;
function styles(root) {
  // A constructed sheet: no <style> for a strict style-src to refuse, nothing in the document.
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    root.adoptedStyleSheets = [sheet];
  } else {
    const s = document.createElement('style');
    s.textContent = CSS;
    root.prepend(s);
  }
}

const veerError = (kind, message) => Object.assign(new Error(message), { kind });
const fmt = (n) => (Number.isFinite(n) ? String(Math.round(n * 1e6) / 1e6) : '');

/** Whether a parsed object is a project (README "The project") rather than one calibration. */
const isProject = (v) => !!v && typeof v === 'object' && !Array.isArray(v) && ('curves' in v || 'version' in v);

/** A project from an object or its JSON text; the core checks the rest when it runs. Throws kind 'bad_parameter'. */
function parseProject(value) {
  let p = value;
  if (typeof value === 'string') {
    try {
      p = JSON.parse(value);
    } catch (e) {
      throw veerError('bad_parameter', `the project is not JSON (${e.message}); give {"version": 1, "depth": [[row, depth], ...], "curves": [{"mnemonic", "track", "scale"}, ...]}`);
    }
  }
  if (!isProject(p) || !Array.isArray(p.curves) || !p.curves.length || !p.curves.every((c) => c && Array.isArray(c.track))) {
    throw veerError('bad_parameter', 'the project needs "curves": [{"mnemonic": "GR", "track": [x0, x1], "scale": [left, right]}, ...] and "depth": [[row, depth], ...]');
  }
  return p;
}

/** A calibration from an object or its JSON text; throws kind 'bad_parameter'. */
function parseCalibration(value) {
  let cal = value;
  if (typeof value === 'string') {
    try {
      cal = JSON.parse(value);
    } catch (e) {
      throw veerError('bad_parameter', `the calibration is not JSON (${e.message}); give {"track": [x0, x1], "scale": [left, right], "depth": [[row, depth], ...]}`);
    }
  }
  if (!cal || typeof cal !== 'object' || !Array.isArray(cal.track) || !Array.isArray(cal.scale) || !Array.isArray(cal.depth)) {
    throw veerError('bad_parameter', 'the calibration needs "track": [x0, x1], "scale": [left, right] and "depth": [[row, depth], ...]');
  }
  return cal;
}

export class VeerDigitiser extends HTMLElement {
  static get observedAttributes() {
    return ['src', 'calibration', 'project', 'mode'];
  }

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    styles(root);
    const tpl = document.createElement('template');
    tpl.innerHTML = HTML;
    root.append(tpl.content.cloneNode(true));
    const $ = (s) => root.querySelector(s);
    this._ui = {
      frame: $('.frame'), stage: $('.stage'), drop: $('.drop'), file: $('.file'), scan: $('.scan'), plot: $('.plot'),
      form: $('form'), mode: $('select'), details: $('details'), run: $('.run'), cancel: $('.cancel'),
      progress: $('progress'), stageText: $('.stage-text'), status: $('.status'), name: $('.name'),
      cal: $('.cal'), projectNote: $('.project-note'), summary: $('summary'),
    };
    this._project = null; // a project (every curve of a print), when one was given instead of a calibration
    this._scan = null; // {bytes, type, name, header?}
    this._job = null; // {abort: AbortController}
    this._extra = {}; // calibration fields the form does not show (mnemonic, unit, depth_unit)
    this._pending = new Set(); // attribute loads (src, calibration URL) a run waits for
    this._viewer = null;
    this._editor = null;
    this._editors = [];
    this.result = null;
    /** For a fallback behind a portal's JWT authoriser: a function giving the signed-in user's token. */
    this.cloudToken = null;
    this._bind();
  }

  // ---- properties mirroring attributes ------------------------------------------

  get mode() {
    const m = this.getAttribute('mode');
    return m === 'local' || m === 'cloud' ? m : 'auto';
  }
  set mode(v) {
    this.setAttribute('mode', v);
  }
  get src() {
    return this.getAttribute('src');
  }
  set src(v) {
    this.setAttribute('src', v);
  }
  /** The calibration the form holds now (a core `Calibration` object). */
  get calibration() {
    return this._missing() ? null : this._readForm();
  }
  set calibration(v) {
    this._fillForm(parseCalibration(v));
  }
  /** The project the widget runs (every curve of the print), or null when it holds one calibration. */
  get project() {
    return this._project;
  }
  set project(v) {
    if (v === null || v === undefined) this._setProject(null);
    else this._setProject(parseProject(v));
  }
  get busy() {
    return !!this._job;
  }

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (name === 'mode') this._ui.mode.value = this.mode;
    else if (name === 'calibration' && value) this._track(this._loadCalibration(value));
    else if (name === 'project' && value) this._track(this._loadProject(value));
    else if (name === 'src' && value) this._track(this._loadSrc(value));
  }

  disconnectedCallback() {
    // Moved to another place in the page: keep going; removed: stop.
    queueMicrotask(() => this.isConnected || this.cancel());
  }

  // ---- public methods ------------------------------------------------------------------

  /**
   * Digitises `file` (a File, Blob, ArrayBuffer, typed array or URL; the open scan
   * when omitted) with `calibration` (an object or JSON; the form's when omitted), or
   * with a project (an object or JSON with `curves`: every curve of the print).
   * Resolves to the `veer-result` detail ({curve, meta} for a calibration, {log,
   * curves, meta} for a project); rejects with an Error whose `kind` the `veer-error`
   * event also carries. A call while one runs cancels that one.
   */
  async digitise(file, calibration) {
    this.cancel();
    const abort = new AbortController();
    const job = { abort };
    this._job = job;
    this._setBusy(true);
    try {
      await Promise.allSettled([...this._pending]);
      if (file !== undefined && file !== null) this._setScan(await this._read(file), { show: false });
      if (calibration !== undefined && calibration !== null) {
        const given = typeof calibration === 'string' ? (() => {
          try {
            return JSON.parse(calibration);
          } catch {
            return calibration; // parseCalibration says what is wrong
          }
        })() : calibration;
        if (isProject(given)) this._setProject(parseProject(given));
        else this._fillForm(parseCalibration(given));
      }
      if (!this._scan) throw veerError('bad_parameter', 'no scan to digitise: drop one, choose one, or pass it to digitise(file)');
      const why = this._missing();
      if (why) {
        this._ui.details.open = true;
        throw veerError('bad_parameter', why);
      }
      const project = this._project;
      const cal = project ? null : this._readForm();
      const scan = this._scan;
      this._clearResult();
      const rt = await loadRuntime();
      const run = project ? (...a) => rt.digitiseProject(scan, project, ...a) : (...a) => rt.digitise(scan, cal, ...a);
      const out = await run(this._ui.mode.value, {
        urls: this._urls(),
        fallbackUrl: this._resolve(this.getAttribute('fallback-url')),
        cloudToken: this.cloudToken,
        memoryBytes: Number(this.getAttribute('memory-budget')) * 2 ** 20 || undefined,
        maxLocalPixels: Number(this.getAttribute('max-local-pixels')) || undefined,
        signal: abort.signal,
        onProgress: (p) => this._progress(p),
        // Decoded pixels come back only when this scan is not on screen yet.
        onOpened: this._shown === scan ? undefined : (opened) => this._show(rt, opened),
      });
      if (this._job !== job) throw veerError('cancelled', 'cancelled');
      if (project) this._showProjectResult(rt, out, project);
      else this._showResult(rt, out, cal);
      this._lastRun = { project: out.project, runs: out.runs, source: scan.name, model: out.result.meta.model, height: out.runs[0]?.stats?.image_height };
      this.result = out.result;
      this._emit('veer-result', out.result);
      return out.result;
    } catch (e) {
      const current = this._job === job;
      const err = current || e?.kind === 'cancelled' ? e : veerError('cancelled', 'cancelled');
      this._fail(err, { quiet: !current && !!this._job });
      throw err;
    } finally {
      if (this._job === job) {
        this._job = null;
        this._setBusy(false);
      }
    }
  }

  /**
   * The last result written by veer's core as `format` ('csv', 'las' or 'json'): every curve on
   * one depth index (one curve: CSV `depth,value`), LAS with DEPT and one column per curve and the
   * project's well header. Resolves to the file's text; rejects with kind 'bad_parameter' before a result.
   */
  async export(format = 'csv') {
    const last = this._lastRun;
    if (!this.result || !last) throw veerError('bad_parameter', 'nothing to export yet: digitise a scan first');
    const rt = await loadRuntime();
    const info = { source: last.source, model: last.model ? `veernet-${last.model}` : '', date: new Date().toISOString().slice(0, 10) };
    return rt.exportRun(this._urls(), last.project, last.runs, last.height, String(format).toLowerCase(), info);
  }

  /** Stops the run in progress (its promise rejects with kind 'cancelled'); the scan and calibration are kept. */
  cancel() {
    const job = this._job;
    if (!job) return;
    this._job = null;
    job.abort.abort();
    this._setBusy(false);
  }

  // ---- internals -----------------------------------------------------------------------------

  _bind() {
    const ui = this._ui;
    ui.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.digitise().catch(() => {}); // reported through veer-error and the status line
    });
    ui.cancel.addEventListener('click', () => this.cancel());
    ui.mode.addEventListener('change', () => this.setAttribute('mode', ui.mode.value));
    ui.file.addEventListener('change', () => {
      const f = ui.file.files[0];
      ui.file.value = '';
      if (f) this._open(f);
    });
    ui.frame.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this._job) {
        e.preventDefault();
        this.cancel();
      }
    });
    ui.frame.addEventListener('input', () => this._overlayCalibration());
    let depth = 0;
    ui.frame.addEventListener('dragenter', (e) => {
      e.preventDefault();
      depth++;
      ui.frame.classList.add('dragging');
    });
    ui.frame.addEventListener('dragleave', () => {
      if (--depth <= 0) ui.frame.classList.remove('dragging');
    });
    ui.frame.addEventListener('dragover', (e) => e.preventDefault());
    ui.frame.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      ui.frame.classList.remove('dragging');
      const f = e.dataTransfer?.files?.[0];
      if (f) this._open(f);
    });
  }

  /** A scan the user dropped or chose: what ran on the previous one stops. */
  _open(file) {
    this.cancel();
    this._track(this._read(file).then((s) => this._setScan(s)));
  }

  _urls() {
    const model = this._resolve(this.getAttribute('model-src'));
    const manifest = this._resolve(this.getAttribute('model-manifest'));
    return {
      worker: this._resolve(this.getAttribute('worker-src')) || DEFAULTS.worker,
      wasm: this._resolve(this.getAttribute('wasm-src')) || DEFAULTS.wasm,
      model: model || DEFAULTS.model,
      // A portal's own model is checked against its own manifest, if it names one.
      manifest: model ? manifest : manifest || DEFAULTS.manifest,
    };
  }

  _resolve(url) {
    return url ? new URL(url, document.baseURI).href : null;
  }

  /** Keeps a background load (attribute) so a run waits for it; its failure is a veer-error. */
  _track(promise) {
    const p = promise.catch((e) => this._fail(e));
    this._pending.add(p);
    p.finally(() => this._pending.delete(p));
    return p;
  }

  async _loadCalibration(value) {
    const text = await this._attributeJson('calibration', value);
    if (text !== null) this._fillForm(parseCalibration(text));
  }

  async _loadProject(value) {
    const text = await this._attributeJson('project', value);
    if (text !== null) this._setProject(parseProject(text));
  }

  /**
   * The JSON text an attribute gives: inline (`{...}`) or fetched from the URL it names;
   * null when the attribute changed while it was being fetched.
   */
  async _attributeJson(name, value) {
    const v = value.trim();
    if (v.startsWith('{')) return v;
    const url = this._resolve(v);
    let text;
    try {
      const r = await fetch(url);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      text = await r.text();
    } catch (e) {
      throw veerError('network', `the ${name} ${url} could not be loaded (${e.message}); check the ${name} attribute`);
    }
    return this.getAttribute(name) === value ? text : null; // null: replaced meanwhile
  }

  /** Holds a project (null: back to the one calibration of the form). */
  _setProject(project) {
    const ui = this._ui;
    this._project = project;
    ui.cal.hidden = !!project;
    ui.projectNote.hidden = !project;
    ui.summary.textContent = project ? `Project: ${project.curves.length} curve${project.curves.length === 1 ? '' : 's'}` : 'Calibration';
    if (project) {
      const tracks = new Set(project.curves.map((c) => c.track.join(':'))).size;
      ui.projectNote.textContent = `${project.curves.map((c) => c.mnemonic).join(', ')} in ${tracks} track${tracks === 1 ? '' : 's'}; depth ties ${project.depth?.map((t) => t.join('=')).join(', ') || 'missing'}${project.interval ? `; rows ${project.interval.join(' to ')}` : ''}.`;
    }
    this._overlayCalibration();
    if (this._scan && !this._job) this._status(this._missing() || 'Ready: press Digitise.');
  }

  async _loadSrc(value) {
    this.cancel();
    const scan = await this._read(value);
    if (this.getAttribute('src') !== value) return;
    await this._setScan(scan);
  }

  /** Reads a File, Blob, buffer or URL into {bytes, type, name}. */
  async _read(file) {
    if (typeof file === 'string' || file instanceof URL) {
      const url = this._resolve(String(file));
      let r;
      try {
        r = await fetch(url);
      } catch (e) {
        throw veerError('network', `the scan ${url} could not be downloaded (${e.message})`);
      }
      if (!r.ok) throw veerError('network', `the scan ${url} could not be downloaded (HTTP ${r.status})`);
      const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'scan');
      return this._scanOf(new Uint8Array(await r.arrayBuffer()), name, r.headers.get('content-type'));
    }
    if (file instanceof Blob) return this._scanOf(new Uint8Array(await file.arrayBuffer()), file.name || 'scan', file.type);
    if (file instanceof ArrayBuffer) return this._scanOf(new Uint8Array(file.slice(0)), 'scan', '');
    if (ArrayBuffer.isView(file)) return this._scanOf(new Uint8Array(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength)), 'scan', '');
    throw veerError('bad_parameter', 'digitise(file) takes a File, Blob, ArrayBuffer, typed array or URL');
  }

  _scanOf(bytes, name, type) {
    const ext = name.split('.').pop().toLowerCase();
    const sniffed = bytes[0] === 0x89 && bytes[1] === 0x50 ? 'image/png' : bytes[0] === 0xff && bytes[1] === 0xd8 ? 'image/jpeg'
      : (bytes[0] === 0x49 && bytes[1] === 0x49) || (bytes[0] === 0x4d && bytes[1] === 0x4d) ? 'image/tiff' : null;
    const clean = type && type.split(';')[0].trim();
    return { bytes, name, type: TYPES[ext] || sniffed || (clean?.startsWith('image/') ? clean : 'application/octet-stream') };
  }

  /** Makes `scan` the open one; `show` decodes it in the worker to draw it (not in cloud mode). */
  async _setScan(scan, { show = true } = {}) {
    this._scan = scan;
    this._clearResult();
    if (this._viewer && this._shown !== scan) {
      this._ui.scan.hidden = true;
      this._ui.drop.hidden = false;
    }
    this._ui.name.textContent = `${scan.name} · ${(scan.bytes.byteLength / 1e6).toFixed(2)} MB`;
    this._ui.name.title = scan.name;
    if (!show) return;
    this._status(this.mode === 'cloud' ? 'Ready: the scan will be digitised in the cloud.' : 'Opening the scan…');
    if (this.mode === 'cloud') return;
    // Show it (decoded in the worker: the browser cannot draw TIFF).
    const rt = await loadRuntime();
    const opened = await rt.openScan(this._urls(), scan, { onProgress: (p) => this._progress(p) });
    if (this._scan !== scan) return;
    scan.header = opened.header;
    this._show(rt, opened);
    this._progress({ stage: 'decode', done: 1, total: 1 });
    this._status(this._missing() || 'Ready: press Digitise.');
  }

  _show(rt, { header, pixels }) {
    if (!pixels) return;
    const ui = this._ui;
    ui.drop.hidden = true;
    ui.scan.hidden = false;
    ui.stage.classList.remove('no-scan');
    this._viewer ??= new rt.ScanViewer(ui.scan);
    this._viewer.setImage({ width: header.width, height: header.height, pixels });
    this._shown = this._scan;
    ui.name.textContent = `${this._scan.name} · ${header.width.toLocaleString('en')} x ${header.height.toLocaleString('en')} px`;
    this._overlayCalibration();
  }

  _showResult(rt, out, cal) {
    const ui = this._ui;
    this._editor = new rt.PathEditor(out.path, out.stats);
    ui.stage.classList.add('result');
    ui.stage.classList.toggle('no-scan', !this._viewer || ui.scan.hidden);
    if (ui.scan.hidden) ui.drop.hidden = true;
    ui.plot.hidden = false;
    if (this._viewer && !ui.scan.hidden) {
      this._viewer.setOverlay('editor', this._editor);
      this._viewer.redraw();
    }
    requestAnimationFrame(() => rt.drawPlot(ui.plot, this._editor, cal, null));
    ui.progress.value = ui.progress.max;
    ui.stageText.textContent = 'Done';
    const m = out.result.meta;
    const where = m.ran === 'browser' ? 'on this device' : `in the cloud${m.cold_start ? ' (cold start)' : ''}`;
    const secs = ((m.elapsed_ms ?? m.ms?.total ?? 0) / 1000).toFixed(1);
    const why = m.ran !== 'browser' && m.reason ? ` Why the cloud: ${m.reason}.` : '';
    this._status(`Digitised ${where} in ${secs} s: ${out.result.curve.length.toLocaleString('en')} samples, ${Math.round(m.coverage * 100)}% of rows traced.${why}`);
  }

  /** A project's result: every curve over the scan and side by side in the plot. */
  _showProjectResult(rt, out, project) {
    const ui = this._ui;
    const { log, curves, meta: m } = out.result;
    const height = m.image?.[1] ?? this._viewer?.img?.height ?? 0;
    this._editors = curves.map((c) => new rt.PathEditor(c.path, { rows_per_track_row: c.rows_per_track_row, image_height: height }));
    ui.stage.classList.add('result');
    ui.stage.classList.toggle('no-scan', !this._viewer || ui.scan.hidden);
    if (ui.scan.hidden) ui.drop.hidden = true;
    ui.plot.hidden = false;
    if (this._viewer && !ui.scan.hidden) {
      this._viewer.setOverlay('editor', this._editors[0]);
      this._viewer.setOverlay('others', this._editors.slice(1).map((editor) => ({ editor, color: 'rgba(29, 95, 209, 0.85)' })));
      this._viewer.redraw();
    }
    const colors = ['#d0143c', '#1d5fd1', '#0a8f3c', '#b35f00', '#7b2cbf', '#00838f'];
    const tracks = curves.map((c, i) => ({ cal: rt.curveCalibration(project, i), editor: this._editors[i], color: colors[i % colors.length] }));
    const rows = project.interval ? [Math.min(...project.interval), Math.max(...project.interval)] : [0, Math.max(1, height - 1)];
    requestAnimationFrame(() => rt.drawLog(ui.plot, tracks, rows, null));
    ui.progress.value = ui.progress.max;
    ui.stageText.textContent = 'Done';
    const where = m.ran === 'browser' ? 'on this device' : `in the cloud${m.cold_start ? ' (cold start)' : ''}`;
    const why = m.ran !== 'browser' && m.reason ? ` Why the cloud: ${m.reason}.` : '';
    this._status(`Digitised ${where} in ${(m.elapsed_ms / 1000).toFixed(1)} s: ${curves.map((c) => c.mnemonic).join(', ')} on ${log.depth.length.toLocaleString('en')} depths.${why}`);
  }

  _clearResult() {
    const ui = this._ui;
    this.result = null;
    this._lastRun = null;
    this._editor = null;
    this._editors = [];
    ui.plot.hidden = true;
    ui.stage.classList.remove('result');
    if (this._viewer) {
      this._viewer.setOverlay('editor', null);
      this._viewer.setOverlay('others', null);
    }
  }

  _overlayCalibration() {
    if (!this._viewer) return;
    const p = this._project;
    // With a project, its first curve's track and the depth ties are drawn.
    const first = p?.curves?.[0];
    const cal = p ? (first && Array.isArray(p.depth) ? { track: first.track, scale: first.scale, log: !!first.log, depth: p.depth } : null) : this._missing() ? null : this._readForm();
    this._viewer.setOverlay('calibration', cal);
    this._viewer.redraw();
  }

  _fillForm(cal) {
    if (this._project) this._setProject(null);
    const f = this._ui.form.elements;
    f.x0.value = fmt(Number(cal.track[0]));
    f.x1.value = fmt(Number(cal.track[1]));
    f.left.value = fmt(Number(cal.scale[0]));
    f.right.value = fmt(Number(cal.scale[1]));
    f.log.checked = !!cal.log;
    f.depth.value = cal.depth.map(([y, d]) => `${fmt(Number(y))}=${fmt(Number(d))}`).join(', ');
    f.seed.value = Array.isArray(cal.seed) ? cal.seed.map((v) => fmt(Number(v))).join(',') : '';
    f.step.value = cal.step ? fmt(Number(cal.step)) : '';
    const { mnemonic, unit, depth_unit: depthUnit } = cal;
    this._extra = { mnemonic, unit, depth_unit: depthUnit };
    this._overlayCalibration();
    if (this._scan && !this._job) this._status(this._missing() || 'Ready: press Digitise.');
  }

  /** What the form still lacks, in words; null when complete. */
  _missing() {
    if (this._project) return null; // the core checks a project when it runs
    const f = this._ui.form.elements;
    for (const [name, what] of [['x0', "the track's left column"], ['x1', "the track's right column"], ['left', 'the value at the left edge'], ['right', 'the value at the right edge']]) {
      if (f[name].value.trim() === '' || !Number.isFinite(Number(f[name].value))) return `Calibration: type ${what}.`;
    }
    const ties = f.depth.value.split(',').filter((t) => t.trim());
    if (ties.length < 2 || ties.some((t) => !/^\s*-?[\d.]+(e-?\d+)?\s*=\s*-?[\d.]+(e-?\d+)?\s*$/i.test(t))) {
      return 'Calibration: give two or more depth ties as row=depth, separated by commas.';
    }
    return null;
  }

  /** The form as a core `Calibration` (call when `_missing()` is null). */
  _readForm() {
    const f = this._ui.form.elements;
    const cal = {
      track: [Number(f.x0.value), Number(f.x1.value)],
      scale: [Number(f.left.value), Number(f.right.value)],
      log: f.log.checked,
      depth: f.depth.value.split(',').filter((t) => t.trim()).map((t) => t.split('=').map(Number)),
    };
    const seed = f.seed.value.split(',').map((v) => v.trim()).filter(Boolean).map(Number);
    if (seed.length === 2 && seed.every(Number.isFinite)) cal.seed = seed;
    const step = Number(f.step.value);
    if (f.step.value.trim() && step > 0) cal.step = step;
    for (const [k, v] of Object.entries(this._extra)) if (v !== undefined && v !== null) cal[k] = v;
    return cal;
  }

  _progress(p) {
    const ui = this._ui;
    ui.progress.max = Math.max(1, p.total || 1);
    ui.progress.value = Math.min(p.done, ui.progress.max);
    const count = p.stage === 'model' && p.total > 1 ? ` ${(p.done / 1e6).toFixed(1)} of ${(p.total / 1e6).toFixed(1)} MB`
      : p.stage === 'infer' && p.total > 1 ? ` (${p.done}/${p.total})` : '';
    ui.stageText.textContent = `${STAGES[p.stage] || p.stage}${count}`;
    // With a project, `curve` is the index of the curve in progress.
    this._emit('veer-progress', { done: p.done, total: p.total, stage: p.stage, ...(Number.isInteger(p.curve) ? { curve: p.curve } : {}) });
  }

  _setBusy(busy) {
    this._ui.run.disabled = busy;
    this._ui.cancel.disabled = !busy;
    this.toggleAttribute('busy', busy);
    if (busy) this._status('Working…');
  }

  _status(text, bad = false) {
    this._ui.status.textContent = text;
    this._ui.status.classList.toggle('bad', bad);
  }

  _fail(e, { quiet = false } = {}) {
    const kind = e?.kind || 'internal';
    const message = kind === 'cancelled' ? 'Cancelled: the scan and calibration are kept.' : e?.message || String(e);
    if (!quiet) {
      this._status(kind === 'cancelled' ? message : `Not digitised: ${message}`, kind !== 'cancelled');
      this._ui.stageText.textContent = '';
    }
    this._emit('veer-error', { kind, message });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}
VeerDigitiser[MARK] = true;

/** Whether a result is a project's ({log, curves, meta}: every curve) rather than one calibration's ({curve, meta}). */
export const isProjectResult = (result) => !!result && Array.isArray(result.curves) && !!result.log;

/**
 * Registers the element as `name` (default `veer-digitiser`). Loading this module
 * twice, or a name some other script took first, is not an error: the name keeps
 * its first owner, a warning says so, and the function returns false.
 */
export function defineVeerDigitiser(name = TAG) {
  const taken = customElements.get(name);
  if (!taken) {
    // A fresh subclass per name: one constructor cannot be defined under two names.
    customElements.define(name, name === TAG ? VeerDigitiser : class extends VeerDigitiser {});
    return true;
  }
  if (!taken[MARK]) console.warn(`veer: <${name}> is already defined by another script; call defineVeerDigitiser('another-name') to use the digitiser`);
  return false;
}

defineVeerDigitiser();
