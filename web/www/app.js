// The drag-and-drop page: open a scan, calibrate it, digitise it on this device
// (wasm in a worker) or in the cloud fallback, fix the curve by hand, export.

import { VeerClient, deviceBudget, recordSpeed } from './client.js';
import { ScanViewer, depthAt } from './viewer.js';
import { PathEditor } from './editor.js';
import { drawPlot } from './plot.js';

const $ = (id) => document.getElementById(id);
const here = new URL('./', import.meta.url);
const params = new URLSearchParams(location.search);

const client = new VeerClient({
  workerUrl: new URL('worker.js', here),
  wasmUrl: new URL('pkg/veer_web_bg.wasm', here),
  modelUrl: new URL(params.get('model') || 'models/veernet-int8.onnx', here),
  manifestUrl: new URL(params.get('manifest') || 'pkg/model-manifest.json', here),
  fallbackUrl: new URL(params.get('fallback') || 'digitise', here),
});

const viewer = new ScanViewer($('viewer'));
const state = {
  file: null, // {name, bytes: Uint8Array, type}
  header: null,
  image: null, // {width, height, pixels}
  ties: [], // [{y, d}]
  seed: null,
  result: null, // {stats, ran, model, seconds}
  editor: null,
  busy: false,
};

// ---- messages ------------------------------------------------------------------

const TITLES = {
  bad_input: 'This file cannot be read.',
  unsupported: 'This image is not supported.',
  limits: 'This scan is too large.',
  bad_parameter: 'Check the calibration.',
  no_curve: 'No curve was found.',
  model: 'The model could not be used.',
  network: 'The model could not be downloaded.',
  memory: 'This device ran out of memory.',
  worker_crashed: 'The digitiser stopped.',
  cloud_unreachable: 'The cloud fallback cannot be reached.',
  payload_too_large: 'The scan is too large to send.',
  cloud_error: 'The cloud fallback failed.',
};

function showError(err) {
  const kind = err?.kind || 'internal';
  $('banner-title').textContent = TITLES[kind] || 'Something went wrong.';
  $('banner-text').textContent = err?.message || String(err);
  $('banner').dataset.kind = kind;
  $('banner').hidden = false;
  setStatus(`${TITLES[kind] || 'Failed.'}`, true);
}

function clearError() {
  $('banner').hidden = true;
}

function setStatus(text, bad = false) {
  $('status').textContent = text;
  $('status').classList.toggle('bad', bad);
}

$('banner-close').onclick = clearError;
window.addEventListener('unhandledrejection', (e) => showError(e.reason));

// ---- progress --------------------------------------------------------------------

function resetProgress(stages = ['decode', 'infer', 'trace']) {
  for (const s of stages) setProgress(s, 0, 1);
}

function setProgress(stage, done, total) {
  const bar = $(`p-${stage === 'prepare' || stage === 'export' ? 'trace' : stage}`);
  if (!bar) return;
  if (stage === 'prepare' || stage === 'export') return;
  bar.max = Math.max(total, 1);
  bar.value = done;
  const pct = bar.parentElement.querySelector('.pct');
  pct.textContent = stage === 'infer' && total > 1 ? `${done}/${total}` : `${Math.round((100 * done) / Math.max(total, 1))}%`;
}

client.onModelProgress = (p) => {
  setProgress('model', p.done, p.total || p.done || 1);
  if (p.total) $('p-model').parentElement.querySelector('.pct').textContent = `${(p.done / 1e6).toFixed(1)} MB`;
};

// ---- opening a scan -----------------------------------------------------------------

const TYPES = { tif: 'image/tiff', tiff: 'image/tiff', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' };

async function openFile(file) {
  if (state.busy) cancel();
  clearError();
  const bytes = new Uint8Array(await file.arrayBuffer());
  const ext = file.name.split('.').pop().toLowerCase();
  state.file = { name: file.name, bytes, type: TYPES[ext] || file.type || 'application/octet-stream' };
  state.result = null;
  state.editor = null;
  state.image = null;
  viewer.setOverlay('editor', null);
  $('scan-name').textContent = `${file.name} · ${(bytes.byteLength / 1e6).toFixed(2)} MB · decoding…`;
  setEditing(false);
  updateExports();
  resetProgress();
  setBusy(true, 'Decoding the scan…');
  try {
    const { header, pixels } = await client.open(bytes, (p) => setProgress(p.stage, p.done, p.total));
    state.header = header;
    state.image = { width: header.width, height: header.height, pixels };
    viewer.setImage(state.image);
    document.body.classList.add('has-scan');
    $('scan-name').textContent = `${file.name} · ${header.width.toLocaleString()} x ${header.height.toLocaleString()} px · ${header.format.toUpperCase()}${header.bits_per_pixel === 1 ? ' (1-bit)' : ''}`;
    setStatus('Calibrate the track, then digitise.');
    refreshCalibration();
    await showPlan();
  } catch (e) {
    state.file = null;
    state.header = null;
    $('scan-name').textContent = `${file.name} could not be opened.`;
    if (e.kind !== 'cancelled') showError(e);
  } finally {
    setBusy(false);
  }
}

$('file').addEventListener('change', (e) => {
  const f = e.target.files[0];
  e.target.value = '';
  if (f) openFile(f);
});

let dragDepth = 0;
document.addEventListener('dragenter', (e) => {
  e.preventDefault();
  dragDepth++;
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', () => {
  if (--dragDepth <= 0) document.body.classList.remove('dragging');
});
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  document.body.classList.remove('dragging');
  const f = e.dataTransfer?.files?.[0];
  if (f) openFile(f);
});

// ---- calibration ------------------------------------------------------------------------

const num = (id) => {
  const v = $(id).value.trim();
  return v === '' ? NaN : Number(v);
};

/** The calibration as the core's `Calibration` object (what is filled in so far). */
function calibration() {
  const cal = {
    track: [num('x0'), num('x1')],
    scale: [num('left'), num('right')],
    log: $('log').checked,
    depth: state.ties.map((t) => [t.y, t.d]),
    mnemonic: $('mnemonic').value.trim() || 'CURVE',
    unit: $('unit').value.trim(),
    depth_unit: $('depth-unit').value,
  };
  if (state.seed) cal.seed = state.seed;
  const step = num('step');
  if (Number.isFinite(step)) cal.step = step;
  return cal;
}

/** What is still missing before a run, in words; null when complete. */
function missing(cal) {
  if (!state.file) return 'Open a scan first.';
  if (!Number.isFinite(cal.track[0])) return "Click the track's left edge (or type its column).";
  if (!Number.isFinite(cal.track[1])) return "Click the track's right edge (or type its column).";
  if (!Number.isFinite(cal.scale[0]) || !Number.isFinite(cal.scale[1])) return 'Type the values printed at the track edges.';
  if (cal.depth.filter((t) => Number.isFinite(t[1])).length < 2) return 'Click two or more depth lines and type their depths.';
  if (cal.depth.some((t) => !Number.isFinite(t[1]))) return 'Type a depth for every tie point (or remove it).';
  return null;
}

function refreshCalibration() {
  const cal = calibration();
  viewer.setOverlay('calibration', cal);
  viewer.setOverlay('seed', state.seed);
  $('seed-text').textContent = state.seed ? `at ${Math.round(state.seed[0])}, ${Math.round(state.seed[1])}` : 'optional: where a track holds several curves';
  $('clear-seed').hidden = !state.seed;
  const why = missing(cal);
  $('run').disabled = state.busy || !!why;
  $('run').title = why || 'Digitise the curve';
  if (!state.busy && state.file && !state.result) setStatus(why || 'Ready: press Digitise.');
  if (state.editor) redrawPlot();
}

for (const id of ['x0', 'x1', 'left', 'right', 'log', 'step', 'mnemonic', 'unit', 'depth-unit']) {
  $(id).addEventListener('input', refreshCalibration);
  $(id).addEventListener('change', refreshCalibration);
}

function renderTies() {
  const body = $('ties');
  body.replaceChildren();
  state.ties.forEach((t, i) => {
    const tr = document.createElement('tr');
    const y = document.createElement('td');
    y.textContent = t.y.toFixed(1);
    const d = document.createElement('td');
    const input = document.createElement('input');
    input.type = 'number';
    input.step = 'any';
    input.className = 'tie-depth';
    input.setAttribute('aria-label', `Depth at row ${t.y.toFixed(0)}`);
    input.value = Number.isFinite(t.d) ? String(t.d) : '';
    input.addEventListener('input', () => {
      t.d = input.value.trim() === '' ? NaN : Number(input.value);
      refreshCalibration();
    });
    d.append(input);
    const x = document.createElement('td');
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.className = 'link';
    rm.textContent = 'remove';
    rm.setAttribute('aria-label', `Remove the tie point at row ${t.y.toFixed(0)}`);
    rm.onclick = () => {
      state.ties.splice(i, 1);
      renderTies();
      refreshCalibration();
    };
    x.append(rm);
    tr.append(y, d, x);
    body.append(tr);
  });
}

// Snapping: a click near a printed line lands on the line (darkest column or row
// within 6 px), so edges and tie points are exact without zooming in.
function snapColumn(x, y) {
  const img = state.image;
  const r = 6;
  const y0 = Math.max(0, Math.round(y) - 200);
  const y1 = Math.min(img.height, Math.round(y) + 200);
  let best = Math.round(x);
  let bestInk = -1;
  for (let c = Math.max(0, Math.round(x) - r); c <= Math.min(img.width - 1, Math.round(x) + r); c++) {
    let ink = 0;
    for (let row = y0; row < y1; row++) ink += 255 - img.pixels[row * img.width + c];
    if (ink > bestInk) {
      bestInk = ink;
      best = c;
    }
  }
  // Snap only onto a line that is mostly dark along those rows.
  return bestInk / Math.max(1, y1 - y0) > 110 ? best : x;
}

function snapRow(x, y) {
  const img = state.image;
  const r = 6;
  const [t0, t1] = [num('x0'), num('x1')];
  const x0 = Number.isFinite(t0) && Number.isFinite(t1) ? Math.round(Math.min(t0, t1)) : Math.max(0, Math.round(x) - 150);
  const x1 = Number.isFinite(t0) && Number.isFinite(t1) ? Math.round(Math.max(t0, t1)) : Math.min(img.width - 1, Math.round(x) + 150);
  let best = Math.round(y);
  let bestInk = -1;
  for (let row = Math.max(0, Math.round(y) - r); row <= Math.min(img.height - 1, Math.round(y) + r); row++) {
    let ink = 0;
    for (let c = x0; c <= x1; c++) ink += 255 - img.pixels[row * img.width + c];
    if (ink > bestInk) {
      bestInk = ink;
      best = row;
    }
  }
  return bestInk / Math.max(1, x1 - x0 + 1) > 110 ? best : y;
}

let picking = null;
function pick(kind, button, hint) {
  if (!state.image) {
    showError({ kind: 'bad_parameter', message: 'Open a scan first, then click on it.' });
    return;
  }
  endPick();
  picking = { kind, button, previous: viewer.mode };
  button.classList.add('picking');
  viewer.setMode('pick');
  $('pick-hint').textContent = `${hint} (Esc to stop)`;
  $('pick-hint').hidden = false;
  viewer.canvas.focus();
}

function endPick() {
  if (!picking) return;
  picking.button.classList.remove('picking');
  viewer.setMode(picking.previous === 'pick' ? 'pan' : picking.previous);
  $('pick-hint').hidden = true;
  picking = null;
}

viewer.addEventListener('press', (e) => {
  const { x, y } = e.detail;
  if (picking) {
    const kind = picking.kind;
    if (kind === 'left' || kind === 'right') {
      const sx = snapColumn(x, y);
      $(kind === 'left' ? 'x0' : 'x1').value = sx.toFixed(1).replace(/\.0$/, '');
      endPick();
      // After the pointer's own focus change (the canvas takes focus on mousedown).
      setTimeout(() => $(kind === 'left' ? 'left' : 'right').focus(), 0);
    } else if (kind === 'depth') {
      const sy = snapRow(x, y);
      state.ties.push({ y: Math.round(sy * 10) / 10, d: NaN });
      state.ties.sort((a, b) => a.y - b.y);
      renderTies();
      endPick();
      setTimeout(() => [...document.querySelectorAll('.tie-depth')].find((i) => i.value === '')?.focus(), 0);
    } else if (kind === 'seed') {
      state.seed = [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
      endPick();
    }
    refreshCalibration();
    return;
  }
  editPress(e.detail);
});

$('pick-left').onclick = () => pick('left', $('pick-left'), "Click the track's left edge line");
$('pick-right').onclick = () => pick('right', $('pick-right'), "Click the track's right edge line");
$('pick-depth').onclick = () => pick('depth', $('pick-depth'), 'Click a depth line you can read the depth of');
$('pick-seed').onclick = () => pick('seed', $('pick-seed'), 'Click on the ink of the wanted curve');
$('clear-seed').onclick = () => {
  state.seed = null;
  refreshCalibration();
};

$('save-cal').onclick = () => {
  const cal = calibration();
  const base = state.file ? state.file.name.replace(/\.[^.]+$/, '') : 'veer';
  download(JSON.stringify(cal, null, 2), `${base}.calibration.json`, 'application/json');
};

$('load-cal').addEventListener('change', async (e) => {
  const f = e.target.files[0];
  e.target.value = '';
  if (!f) return;
  try {
    applyCalibration(JSON.parse(await f.text()));
  } catch (err) {
    showError({ kind: 'bad_parameter', message: `${f.name} is not a veer calibration (${err.message}); save one from this page to see the format` });
  }
});

/** Fills the form from a core `Calibration` object. */
function applyCalibration(cal) {
  if (!cal || !Array.isArray(cal.track) || !Array.isArray(cal.scale) || !Array.isArray(cal.depth)) {
    throw new Error('it needs "track", "scale" and "depth"');
  }
  $('x0').value = cal.track[0];
  $('x1').value = cal.track[1];
  $('left').value = cal.scale[0];
  $('right').value = cal.scale[1];
  $('log').checked = !!cal.log;
  state.ties = cal.depth.map(([y, d]) => ({ y: Number(y), d: Number(d) }));
  state.seed = Array.isArray(cal.seed) ? cal.seed.map(Number) : null;
  $('step').value = cal.step ?? '';
  if (cal.mnemonic) $('mnemonic').value = cal.mnemonic;
  if (cal.unit !== undefined) $('unit').value = cal.unit;
  if (cal.depth_unit) $('depth-unit').value = cal.depth_unit;
  renderTies();
  refreshCalibration();
}

// ---- where to run --------------------------------------------------------------------------

async function showPlan() {
  if (!state.header) return null;
  try {
    const cal = calibration();
    const trackPx = Number.isFinite(cal.track[0]) && Number.isFinite(cal.track[1]) ? cal.track[1] - cal.track[0] : null;
    const plan = await client.plan(state.header, deviceBudget(), trackPx);
    state.plan = plan;
    $('plan').textContent = `${plan.decision === 'local' ? 'Fits this device' : 'Needs the cloud'}: ${plan.reason}`;
    return plan;
  } catch (e) {
    $('plan').textContent = '';
    return null;
  }
}

// ---- running ---------------------------------------------------------------------------------

function setBusy(busy, text) {
  state.busy = busy;
  $('cancel').disabled = !busy;
  $('run').disabled = busy || !!missing(calibration());
  if (text) setStatus(text);
}

let cloudAbort = null;

function cancel() {
  client.cancel();
  cloudAbort?.abort();
  setBusy(false);
  setStatus('Cancelled. Your scan and calibration are kept.');
}
$('cancel').onclick = cancel;

$('cal-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const cal = calibration();
  const why = missing(cal);
  if (why) {
    showError({ kind: 'bad_parameter', message: why });
    return;
  }
  clearError();
  endPick();
  const choice = $('where').value;
  let where = choice;
  if (choice === 'auto') {
    const plan = await showPlan();
    where = plan && plan.decision === 'cloud' ? 'cloud' : 'local';
  }
  resetProgress(['infer', 'trace']);
  const t0 = performance.now();
  try {
    if (where === 'local') {
      try {
        await runLocal(cal, t0);
      } catch (err) {
        // Out of memory or a crashed worker: the cloud can still do it (calibration kept).
        if (choice === 'auto' && (err.kind === 'memory' || err.kind === 'worker_crashed')) {
          setStatus(`${TITLES[err.kind]} Sending the scan to the cloud instead…`);
          await runCloud(cal, performance.now(), `local run failed (${err.message})`);
        } else throw err;
      }
    } else {
      await runCloud(cal, t0, choice === 'cloud' ? 'chosen' : state.plan?.reason);
    }
  } catch (err) {
    if (err.kind === 'cancelled') return;
    showError(err);
  } finally {
    setBusy(false);
  }
});

async function runLocal(cal, t0) {
  setBusy(true, 'Digitising on this device…');
  const res = await client.run(cal, (p) => setProgress(p.stage, p.done, p.total));
  const seconds = (performance.now() - t0) / 1000;
  recordSpeed(res.stats, seconds);
  showResult(res.path, res.stats, { ran: 'device', model: `veernet-${res.stats.model}`, seconds, memory: res.memory });
}

async function runCloud(cal, t0, why) {
  setBusy(true, 'Sending the scan to the cloud fallback…');
  cloudAbort = new AbortController();
  setProgress('infer', 0, 1);
  let bytes = state.file.bytes;
  let type = state.file.type;
  let shrunk = null;
  if (state.plan && !state.plan.cloud_fits) {
    // Over the request limit as it is: re-save it compactly first (the core's PNG encoder).
    setStatus('Re-saving the scan compactly for upload…');
    shrunk = await client.shrink();
    bytes = shrunk.bytes;
    type = shrunk.content_type;
    setStatus(`Sending the scan to the cloud fallback (${shrunk.description})…`);
  }
  const body = await client.runCloud(bytes, type, cal, { signal: cloudAbort.signal });
  cloudAbort = null;
  setProgress('decode', 1, 1);
  setProgress('infer', 1, 1);
  setProgress('trace', 1, 1);
  const seconds = (performance.now() - t0) / 1000;
  if (!body.path || !body.stats) {
    throw Object.assign(new Error('the cloud fallback answered without the traced path; update the fallback server'), { kind: 'cloud_error' });
  }
  showResult(body.path, body.stats, { ran: 'cloud', model: `veernet-${body.meta?.model || 'fp32'}`, seconds, meta: body.meta, why, shrunk });
}

function showResult(path, stats, run) {
  state.result = { stats, ...run };
  state.editor = new PathEditor(path, stats);
  viewer.setOverlay('editor', state.editor);
  setEditing(true);
  updateExports();
  redrawPlot();
  const where = run.ran === 'device' ? 'on this device' : `in the cloud${run.meta?.cold_start ? ' (cold start)' : ''}`;
  const traced = `${Math.round(stats.coverage * 100)}% of rows traced`;
  const why = run.ran === 'cloud' && run.why ? ` Why the cloud: ${run.why}.` : '';
  const shrunk = run.shrunk ? ` Uploaded ${run.shrunk.description}.` : '';
  setStatus(`Digitised ${where}, ${run.seconds.toFixed(1)} s: ${traced}.${why}${shrunk}`);
  showPlan();
  document.body.dataset.ran = run.ran;
}

// ---- editing ------------------------------------------------------------------------------------

let stroke = null;

function setEditing(on) {
  for (const id of ['mode-drag', 'mode-erase']) $(id).disabled = !on;
  if (!on) setMode('pan');
  updateUndo();
}

function setMode(mode) {
  viewer.setMode(mode);
  for (const [id, m] of [['mode-pan', 'pan'], ['mode-drag', 'drag'], ['mode-erase', 'erase']]) $(id).setAttribute('aria-pressed', String(mode === m));
}
$('mode-pan').onclick = () => setMode('pan');
$('mode-drag').onclick = () => setMode('drag');
$('mode-erase').onclick = () => setMode('erase');

function editPress({ x, y, mode }) {
  const ed = state.editor;
  if (!ed) return;
  if (mode === 'drag') {
    ed.checkpoint();
    ed.drawSegment(x, y, x, y);
    stroke = { x, y };
  } else if (mode === 'erase') {
    stroke = { y };
    viewer.setOverlay('erase', [y, y]);
  }
  viewer.redraw();
}

viewer.addEventListener('drag', (e) => {
  const ed = state.editor;
  if (!ed || !stroke) return;
  const { x, y, mode } = e.detail;
  if (mode === 'drag') {
    ed.drawSegment(stroke.x, stroke.y, x, y);
    stroke = { x, y };
  } else if (mode === 'erase') {
    viewer.setOverlay('erase', [stroke.y, y]);
  }
  viewer.redraw();
});

viewer.addEventListener('release', (e) => {
  const ed = state.editor;
  if (!ed || !stroke) return;
  if (e.detail.mode === 'erase') {
    ed.checkpoint();
    ed.erase(stroke.y, e.detail.y);
    viewer.setOverlay('erase', null);
  }
  stroke = null;
  updateUndo();
  redrawPlot();
  viewer.redraw();
});

function updateUndo() {
  $('undo').disabled = !state.editor?.canUndo;
  $('redo').disabled = !state.editor?.canRedo;
}

function undo() {
  if (state.editor?.undo()) afterEdit();
}
function redo() {
  if (state.editor?.redo()) afterEdit();
}
function afterEdit() {
  updateUndo();
  redrawPlot();
  viewer.redraw();
}
$('undo').onclick = undo;
$('redo').onclick = redo;

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') endPick();
  const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
  if (inField || !(e.ctrlKey || e.metaKey)) return;
  if (e.key === 'z' && !e.shiftKey) {
    e.preventDefault();
    undo();
  } else if (e.key === 'y' || (e.key === 'z' && e.shiftKey)) {
    e.preventDefault();
    redo();
  }
});

// ---- view ---------------------------------------------------------------------------------------

$('zoom-in').onclick = () => viewer.zoomBy(1.5);
$('zoom-out').onclick = () => viewer.zoomBy(1 / 1.5);
$('fit-width').onclick = () => viewer.fitWidth();
$('fit-all').onclick = () => viewer.fitAll();
$('magnifier').onchange = (e) => {
  viewer.magnifier = e.target.checked;
  viewer.redraw();
};

viewer.addEventListener('hover', (e) => {
  const { x, y } = e.detail;
  const cal = calibration();
  let text = `x ${x.toFixed(0)}, y ${y.toFixed(0)}`;
  if (cal.depth.filter((t) => Number.isFinite(t[1])).length >= 2 && !missing({ ...cal, track: [0, 1], scale: [0, 1] })) {
    text += ` · depth ${depthAt(cal, y).toFixed(1)} ${cal.depth_unit}`;
  }
  $('hover').textContent = text;
});

let plotPending = false;
function redrawPlot() {
  if (plotPending) return;
  plotPending = true;
  requestAnimationFrame(() => {
    plotPending = false;
    const cal = calibration();
    let win = null;
    if (!missing(cal)) {
      const h = viewer.canvas.getBoundingClientRect().height;
      win = [depthAt(cal, viewer.toImage(0, 0).y), depthAt(cal, viewer.toImage(0, h).y)];
    }
    drawPlot($('plot'), state.editor, missing(cal) ? null : cal, win);
  });
}
viewer.addEventListener('draw', () => state.editor && redrawPlot());

// ---- export -------------------------------------------------------------------------------------

function updateExports() {
  for (const id of ['export-csv', 'export-las', 'export-json']) $(id).disabled = !state.editor;
}

function download(text, name, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function exportAs(format) {
  if (!state.editor) return;
  try {
    const cal = calibration();
    const base = state.file.name.replace(/\.[^.]+$/, '');
    const info = {
      well: base,
      source: state.file.name,
      model: state.result.model,
      date: new Date().toISOString().slice(0, 10),
    };
    const text = await client.export(format, state.editor.toPath(), cal, state.editor.rowsPerTrackRow, info);
    const types = { csv: 'text/csv', las: 'text/plain', json: 'application/json' };
    download(text, `${base}.${format}`, types[format]);
  } catch (e) {
    showError(e);
  }
}
$('export-csv').onclick = () => exportAs('csv');
$('export-las').onclick = () => exportAs('las');
$('export-json').onclick = () => exportAs('json');

// ---- start ------------------------------------------------------------------------------------------

refreshCalibration();
// Load the model in the background so the first run starts at once.
client.ready().then(
  (info) => {
    $('p-model').max = 1;
    $('p-model').value = 1;
    $('p-model').parentElement.querySelector('.pct').textContent = info.fromCache ? 'cached' : `${(info.modelBytes / 1e6).toFixed(1)} MB`;
  },
  (e) => showError(e),
);

// For the browser tests and for debugging from the console.
window.veer = { viewer, state, client, applyCalibration, calibration };
