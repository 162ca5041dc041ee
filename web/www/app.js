// The drag-and-drop page: open a scan, calibrate its curves, digitise them on this
// device (wasm in a worker) or in the cloud fallback, fix them by hand, export all
// of them in one file. The page's state is a project (project/project.js: the
// core's contract), autosaved in the browser per scan (project/store.js).

import { VeerClient, deviceBudget } from './core/client.js';
import { runProject } from './core/run.js';
import { ScanViewer, depthAt } from './view/viewer.js';
import { PathEditor } from './view/editor.js';
import { drawLog } from './view/plot.js';
import { WELL_FIELDS, newProject, newCurve, fromCore, coreProject, curveCalibration, missing as missingFor, uniqueMnemonic } from './project/project.js';
import { tracks as proposedTracks, ties as proposedTies, absent as proposedAbsent, section as proposedSection, moveEdge, projectInput, xAlong } from './project/proposal.js';
import { sha256Hex, loadRecord, Autosave, rememberWell, recallWell, knownWells, keepLastScan, lastScan } from './project/store.js';

const $ = (id) => document.getElementById(id);
const here = new URL('./', import.meta.url);
const params = new URLSearchParams(location.search);

const client = new VeerClient({
  workerUrl: new URL('core/worker.js', here),
  wasmUrl: new URL('pkg/veer_web_bg.wasm', here),
  modelUrl: new URL(params.get('model') || 'models/veernet-int8.onnx', here),
  manifestUrl: new URL(params.get('manifest') || 'pkg/model-manifest.json', here),
  digitsUrl: new URL('models/digits.onnx', here),
  digitsManifestUrl: new URL('pkg/digits-manifest.json', here),
  fallbackUrl: new URL(params.get('fallback') || 'digitise', here),
  // ?workers=N: the tile workers (default: one per core, at most 4; 1 runs everything in one worker).
  tileWorkers: params.has('workers') ? Number(params.get('workers')) : undefined,
  // ?simd=plain: the plain SIMD core even where the browser has relaxed SIMD.
  relaxedSimd: params.get('simd') !== 'plain',
});

const COLORS = ['#d0143c', '#1d5fd1', '#0a8f3c', '#b35f00', '#7b2cbf', '#00838f', '#5d4037', '#c2185b'];

const viewer = new ScanViewer($('viewer'));
const state = {
  file: null, // {name, bytes: Uint8Array, type}
  hash: null, // SHA-256 of the scan's bytes: its autosave key
  header: null,
  image: null, // {width, height, pixels}
  project: newProject(),
  sel: 0, // the selected curve's index
  editors: new Map(), // curve -> PathEditor of its path
  runs: new Map(), // curve -> {stats, ran, model, seconds, memory}
  uncertain: new Map(), // curve -> [[row_top, row_bottom], ...] the trace is unsure of
  busy: false,
  plan: null,
  proposal: null, // the core's proposed calibration while the person checks it (project/proposal.js)
  picks: [], // per proposed track: {mnemonic, unit, left, right} as typed
  scanPixels: null, // the scan's gray pixels as decoded
  shownRotation: 0, // the rotation the viewer shows the scan turned back by (degrees)
  timings: {}, // {decode_ms, digits_ms, propose_ms} of the open scan in this page (digits_ms: loading the digit reader)
};
const cur = () => state.project.curves[state.sel] ?? null;
Object.defineProperties(state, {
  // The selected curve's editor and run (what the single-curve tools and the tests read).
  editor: { get: () => state.editors.get(cur()) ?? null },
  result: { get: () => state.runs.get(cur()) ?? null },
});
const colorOf = (curve) => COLORS[Math.max(0, state.project.curves.indexOf(curve)) % COLORS.length];

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
  storage: 'The project could not be saved in this browser.',
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

// ---- autosave ----------------------------------------------------------------------

const autosave = new Autosave(
  () => state.hash && {
    hash: state.hash,
    name: state.file.name,
    saved: new Date().toISOString(),
    project: structuredClone(state.project),
    uncertain: state.project.curves.map((c) => state.uncertain.get(c) ?? []),
    runs: state.project.curves.map((c) => {
      const r = state.runs.get(c);
      return r ? { ran: r.ran, model: r.model, seconds: r.seconds, stats: r.stats, reviewed: r.reviewed, handEdited: !!r.handEdited } : null;
    }),
  },
  {
    onSaved: (record) => {
      $('saved').textContent = `Saved in this browser ${new Date(record.saved).toLocaleTimeString()}`;
      $('saved').dataset.saved = record.saved;
    },
    onError: (e) => showError({ kind: 'storage', message: `${e.message}; save the project to a file to keep it` }),
  },
);

/** Something in the project changed: redraw what shows it and save it soon. */
function changed() {
  refresh();
  autosave.changed();
}

/** Rebuilds the editors, runs and unsure stretches from a project and its saved record. */
function adoptProject(project, record = null) {
  state.project = project;
  state.editors.clear();
  state.runs.clear();
  state.uncertain.clear();
  project.curves.forEach((c, i) => {
    if (record?.runs?.[i]) state.runs.set(c, record.runs[i]);
    if (record?.uncertain?.[i]?.length) state.uncertain.set(c, record.uncertain[i]);
  });
  state.sel = Math.min(state.sel, Math.max(0, project.curves.length - 1));
  ensureEditors();
  fillForm();
  showRotation();
}

/**
 * Shows the scan as the project's pixels refer to it: turned back by the project's rotation
 * (veer::deskew, in the worker) when it carries one, else as decoded.
 */
async function showRotation() {
  const want = Number.isFinite(state.project.rotation) && Math.abs(state.project.rotation) >= 0.05 ? state.project.rotation : 0;
  if (!state.image || !state.scanPixels || want === state.shownRotation) return;
  const image = state.image;
  try {
    const pixels = want ? (await client.straightened(want)).pixels : state.scanPixels;
    if (state.image !== image) return; // another scan was opened meanwhile
    state.image = { width: image.width, height: image.height, pixels };
    state.shownRotation = want;
    viewer.setImage(state.image);
    $('rotation-note').hidden = !want;
    $('rotation-note').textContent = want ? `Shown turned back by ${want.toFixed(2)}° (the project's rotation): its rows and columns are the straightened scan's.` : '';
    refresh();
  } catch (e) {
    if (e.kind !== 'cancelled') showError(e);
  }
}

/** An editor for every curve that carries a path (once the scan's height is known). */
function ensureEditors() {
  if (!state.image) return;
  for (const c of state.project.curves) {
    if (c.edited && !state.editors.has(c)) {
      state.editors.set(c, new PathEditor(c.edited.path, { rows_per_track_row: c.edited.rows_per_track_row, image_height: state.image.height }));
    }
  }
}

// ---- opening a scan -----------------------------------------------------------------

const TYPES = { tif: 'image/tiff', tiff: 'image/tiff', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' };

async function openFile(file) {
  if (state.busy) cancel();
  clearError();
  await autosave.flush(); // the previous scan's project is written before it is left
  const bytes = new Uint8Array(await file.arrayBuffer());
  const ext = file.name.split('.').pop().toLowerCase();
  const hadScan = !!state.hash;
  state.file = { name: file.name, bytes, type: TYPES[ext] || file.type || 'application/octet-stream' };
  state.hash = null;
  state.image = null;
  viewer.setOverlay('editor', null);
  $('scan-name').textContent = `${file.name} · ${(bytes.byteLength / 1e6).toFixed(2)} MB · decoding…`;
  $('saved').textContent = '';
  resetProgress();
  setBusy(true, 'Decoding the scan…');
  clearProposal();
  state.timings = {};
  try {
    const t0 = performance.now();
    const [hash, { header, pixels }] = await Promise.all([
      sha256Hex(bytes),
      client.open(bytes, (p) => setProgress(p.stage, p.done, p.total)).then((out) => {
        state.timings.decode_ms = performance.now() - t0;
        return out;
      }),
    ]);
    state.header = header;
    state.file.header = header;
    client.openScan = state.file; // the run policy re-opens it only in a fresh worker
    state.image = { width: header.width, height: header.height, pixels };
    state.scanPixels = pixels; // the scan as decoded (state.image shows it straightened when the project is rotated)
    state.shownRotation = 0;
    let record = null;
    try {
      if (hash) record = await loadRecord(hash);
    } catch (e) {
      showError({ kind: 'storage', message: `the saved project could not be read (${e.message})` });
    }
    if (record) {
      adoptProject(fromCore(record.project), record);
    } else if (hadScan) {
      // Another scan of the same layout: keep the calibration, not the other scan's paths or header.
      const p = state.project;
      p.curves.forEach((c) => delete c.edited);
      p.well = {};
      adoptProject(p);
    } else {
      adoptProject(state.project);
    }
    state.hash = hash;
    $('reopen').hidden = true;
    // Kept so that a reload can reopen it (its project is saved under its hash).
    if (hash) keepLastScan({ hash, name: file.name, type: state.file.type, bytes }).catch(() => {});
    viewer.setImage(state.image);
    document.body.classList.add('has-scan');
    $('scan-name').textContent = `${file.name} · ${header.width.toLocaleString()} x ${header.height.toLocaleString()} px · ${header.format.toUpperCase()}${header.bits_per_pixel === 1 ? ' (1-bit)' : ''}`;
    refresh();
    if (record) {
      const n = state.project.curves.filter((c) => c.edited).length;
      setStatus(`Restored this scan's project, saved ${new Date(record.saved).toLocaleString()}: ${state.project.curves.length} curves, ${n} digitised.`);
      $('saved').textContent = `Restored from this browser`;
    } else {
      setStatus('Calibrate the track, then digitise.');
      refresh();
    }
    if (!hash) $('saved').textContent = 'Not saved in this browser (it needs https): save the project to a file';
    await showPlan();
    // A restored project is this scan's calibration already; otherwise the core proposes one.
    if (!record) proposeCalibration(state.file);
  } catch (e) {
    state.file = null;
    state.header = null;
    $('scan-name').textContent = `${file.name} could not be opened.`;
    if (e.kind !== 'cancelled') showError(e);
  } finally {
    setBusy(false);
  }
}

/** After a reload: the scan worked on last, offered to reopen (with its project). */
async function offerLastScan() {
  let last = null;
  try {
    last = await lastScan();
  } catch {
    return; // no storage here: nothing to offer
  }
  if (!last || state.file) return;
  const b = $('reopen');
  b.textContent = `Reopen ${last.name}`;
  b.title = `The scan you worked on last (${(last.bytes.byteLength / 1e6).toFixed(2)} MB), with its project`;
  b.hidden = false;
  b.onclick = () => openFile(new File([last.bytes], last.name, { type: last.type }));
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
  if (!f) return;
  if (/\.json$/i.test(f.name) || f.type === 'application/json') openProjectFile(f);
  else openFile(f);
});

// ---- the form: the selected curve and the project's depth --------------------------------

const num = (id) => {
  const v = $(id).value.trim();
  return v === '' ? NaN : Number(v);
};
const show = (v) => (Number.isFinite(v) ? String(v) : '');

/** The selected curve as the core's `Calibration` object (what is filled in so far). */
function calibration() {
  return curveCalibration(state.project, state.sel);
}

/** What is still missing before the selected curve can run, in words; null when complete. */
function missing() {
  if (!state.file) return 'Open a scan first.';
  return missingFor(state.project, state.sel);
}

/** Form fields -> the selected curve and the project. */
function readForm() {
  const p = state.project;
  const c = cur();
  if (c) {
    c.track = [num('x0'), num('x1')];
    c.scale = [num('left'), num('right')];
    c.log = $('log').checked;
    c.mnemonic = $('mnemonic').value;
    c.unit = $('unit').value;
  }
  p.depth_unit = $('depth-unit').value;
  const step = num('step');
  if (Number.isFinite(step)) p.step = step;
  else delete p.step;
}

/** A curve's backup scales as the field shows them: as typed, else the project's numbers. */
function backupText(c) {
  return c.backupText ?? (c.backup || []).map(([l, r]) => `${l}:${r}`).join(',');
}

const backupRead = new WeakMap(); // curve -> the field's text and the axis the core last read for it

/**
 * The selected curve's backup scales from the field, read and checked by the core
 * (client.parseBackup: the CLI's --backup rules); its message is shown, and kept on the curve
 * (which then cannot run) while it refuses the text. Awaited before a run, an export and a save.
 */
async function settleBackup() {
  const c = cur();
  if (!c) return;
  const text = $('backup').value;
  const log = $('log').checked;
  const key = `${log} ${text}`;
  if (backupRead.get(c) === key) return;
  backupRead.set(c, key);
  const before = c.backupError;
  try {
    const backup = await client.parseBackup(text, log);
    if (backup.length) c.backup = backup;
    else delete c.backup;
    delete c.backupError;
    if (before && $('banner-text').textContent.includes(before)) clearError();
  } catch (e) {
    if (e.kind !== 'bad_parameter') {
      backupRead.delete(c);
      throw e;
    }
    c.backupError = e.message;
    showError(e);
  }
  if (text.trim()) c.backupText = text;
  else delete c.backupText;
  if (cur() === c) $('backup').setAttribute('aria-invalid', String(!!c.backupError));
  changed();
}

/** The selected curve and the project -> form fields. */
function fillForm() {
  const p = state.project;
  const c = cur() || newCurve('', '');
  $('x0').value = show(c.track[0]);
  $('x1').value = show(c.track[1]);
  $('left').value = show(c.scale[0]);
  $('right').value = show(c.scale[1]);
  $('log').checked = !!c.log;
  $('backup').value = backupText(c);
  $('backup').setAttribute('aria-invalid', String(!!c.backupError));
  $('mnemonic').value = c.mnemonic;
  $('unit').value = c.unit;
  $('depth-unit').value = p.depth_unit || 'M';
  $('step').value = show(p.step);
  for (const [k] of WELL_FIELDS) $(`well-${k}`).value = p.well[k] ?? '';
  renderTies();
  renderExcludes();
  renderCurves();
}

for (const id of ['x0', 'x1', 'left', 'right', 'log', 'step', 'mnemonic', 'unit', 'depth-unit']) {
  $(id).addEventListener('input', () => {
    readForm();
    changed();
  });
}
// Read by the core when the person is done with the field (Enter, leaving it), and when the
// axis changes (a log axis needs positive scales).
for (const id of ['backup', 'log']) $(id).addEventListener('change', () => settleBackup().catch(showError));

function refresh() {
  const cal = calibration();
  const c = cur();
  viewer.setOverlay('calibration', cal);
  viewer.setOverlay('seed', c?.seed ?? null);
  viewer.setOverlay('editor', state.editor);
  viewer.setOverlay('color', c ? colorOf(c) : null);
  viewer.setOverlay('others', state.project.curves.filter((o) => o !== c && state.editors.has(o)).map((o) => ({ editor: state.editors.get(o), color: `${colorOf(o)}99`, cal: curveCalibration(state.project, state.project.curves.indexOf(o)) })));
  viewer.setOverlay('uncertain', c && state.uncertain.get(c)?.length ? { track: c.track, stretches: state.uncertain.get(c) } : null);
  refreshInterval();
  $('seed-text').textContent = c?.seed ? `at ${Math.round(c.seed[0])}, ${Math.round(c.seed[1])}` : 'optional: where a track holds several curves';
  $('clear-seed').hidden = !c?.seed;
  const why = missing();
  $('run').disabled = state.busy || !!why;
  $('run').title = why || `Digitise ${c.mnemonic.trim()}${c.edited ? ' again (its hand edits are replaced)' : ''}`;
  $('run-all').disabled = state.busy || !state.file || !state.project.curves.some((o, i) => !o.edited && !missingFor(state.project, i));
  if (!state.busy && state.file && !state.editor) setStatus(why || `Ready: press Digitise for ${c.mnemonic.trim()}.`);
  renderCurves();
  renderUncertain();
  updateExports();
  setEditing(!!state.editor);
  redrawPlot();
}

// ---- curves --------------------------------------------------------------------------------

function renderCurves() {
  const list = $('curves');
  list.replaceChildren();
  state.project.curves.forEach((c, i) => {
    const li = document.createElement('li');
    const pickBtn = document.createElement('button');
    pickBtn.type = 'button';
    pickBtn.className = 'pick-curve';
    pickBtn.dataset.mnemonic = c.mnemonic.trim();
    pickBtn.setAttribute('aria-current', String(i === state.sel));
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colorOf(c);
    const name = document.createElement('span');
    name.textContent = `${c.mnemonic.trim() || '(no mnemonic)'}${c.unit.trim() ? ` · ${c.unit.trim()}` : ''}`;
    const st = document.createElement('span');
    st.className = 'state';
    const run = state.runs.get(c);
    st.textContent = !c.edited ? (missingFor(state.project, i) ? 'to calibrate' : 'not digitised')
      : `${run?.stats ? `${Math.round(run.stats.coverage * 100)}% traced` : 'digitised'}${run?.handEdited ? ', edited' : ''}`;
    pickBtn.append(swatch, name, st);
    pickBtn.onclick = () => selectCurve(i);
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.className = 'link remove-curve';
    rm.textContent = 'delete';
    rm.setAttribute('aria-label', `Delete curve ${c.mnemonic.trim()}`);
    rm.onclick = () => deleteCurve(i);
    li.append(pickBtn, rm);
    list.append(li);
  });
}

function selectCurve(i) {
  endPick();
  state.sel = i;
  fillForm();
  refresh();
  showPlan();
}

function addCurve() {
  const p = state.project;
  // A new curve starts on the selected one's track (the usual case: another curve in the same
  // track); its mnemonic and scale are typed, its track edges clicked again if it lies elsewhere.
  const from = cur();
  const c = newCurve(uniqueMnemonic(p, 'CURVE'), '');
  if (from) c.track = [...from.track];
  p.curves.push(c);
  selectCurve(p.curves.length - 1);
  changed();
  $('mnemonic').focus();
  $('mnemonic').select();
}
$('add-curve').onclick = addCurve;

function deleteCurve(i) {
  const p = state.project;
  const c = p.curves[i];
  if (c.edited && !confirm(`Delete ${c.mnemonic.trim()} and its digitised path?`)) return;
  p.curves.splice(i, 1);
  state.editors.delete(c);
  state.runs.delete(c);
  state.uncertain.delete(c);
  if (!p.curves.length) p.curves.push(newCurve(uniqueMnemonic(p, 'GR'), ''));
  state.sel = Math.min(state.sel >= i ? Math.max(0, state.sel - 1) : state.sel, p.curves.length - 1);
  fillForm();
  changed();
}

// ---- depth tie points -------------------------------------------------------------------

function renderTies() {
  const body = $('ties');
  body.replaceChildren();
  const ties = state.project.depth;
  ties.forEach((t, i) => {
    const tr = document.createElement('tr');
    const y = document.createElement('td');
    y.textContent = t[0].toFixed(1);
    const d = document.createElement('td');
    const input = document.createElement('input');
    input.type = 'number';
    input.step = 'any';
    input.className = 'tie-depth';
    input.setAttribute('aria-label', `Depth at row ${t[0].toFixed(0)}`);
    input.value = show(t[1]);
    input.addEventListener('input', () => {
      t[1] = input.value.trim() === '' ? NaN : Number(input.value);
      changed();
    });
    d.append(input);
    const x = document.createElement('td');
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.className = 'link';
    rm.textContent = 'remove';
    rm.setAttribute('aria-label', `Remove the tie point at row ${t[0].toFixed(0)}`);
    rm.onclick = () => {
      ties.splice(i, 1);
      renderTies();
      changed();
    };
    x.append(rm);
    tr.append(y, d, x);
    body.append(tr);
  });
}

// ---- interval and excluded rows ------------------------------------------------------------

function refreshInterval() {
  const iv = state.project.interval;
  const on = !!(iv && iv.every(Number.isFinite));
  viewer.setOverlay('interval', on ? iv : null);
  viewer.setOverlay('exclude', state.project.exclude.filter((r) => r.every(Number.isFinite)));
  viewer.handles = [...(on ? [{ id: 'top', y: iv[0] }, { id: 'bottom', y: iv[1] }] : []), ...edgeHandles()];
  if (document.activeElement !== $('interval-top')) $('interval-top').value = on ? String(Math.round(iv[0])) : '';
  if (document.activeElement !== $('interval-bottom')) $('interval-bottom').value = on ? String(Math.round(iv[1])) : '';
  $('clear-interval').hidden = !on;
}

$('set-interval').onclick = () => {
  if (!state.image) return showError({ kind: 'bad_parameter', message: 'Open a scan first, then drag the interval handles on it.' });
  if (!state.project.interval) {
    // Start on what is on screen: the handles are then in view to drag.
    const r = viewer.canvas.getBoundingClientRect();
    const clamp = (y) => Math.round(Math.min(state.image.height - 1, Math.max(0, y)));
    const top = clamp(viewer.toImage(0, r.height * 0.15).y);
    const bottom = clamp(viewer.toImage(0, r.height * 0.85).y);
    state.project.interval = [top, Math.max(bottom, top + 1)];
  }
  setStatus('Drag the green handles onto the top and the bottom of the logged interval.');
  changed();
};

$('clear-interval').onclick = () => {
  delete state.project.interval;
  changed();
};

for (const id of ['interval-top', 'interval-bottom']) {
  $(id).addEventListener('input', () => {
    const [a, b] = [num('interval-top'), num('interval-bottom')];
    if (Number.isFinite(a) && Number.isFinite(b)) state.project.interval = [a, b];
    else if (!Number.isFinite(a) && !Number.isFinite(b)) delete state.project.interval;
    else return;
    changed();
  });
}

viewer.addEventListener('handle', (e) => {
  const { id, y, done } = e.detail;
  if (id.startsWith('edge:')) return dragEdge(e.detail);
  const iv = state.project.interval;
  if (!iv || !state.image) return;
  const row = Math.round(Math.min(state.image.height - 1, Math.max(0, y)));
  iv[id === 'top' ? 0 : 1] = row;
  if (done && iv[0] > iv[1]) iv.reverse();
  if (done) changed();
  else refreshInterval();
});

function renderExcludes() {
  const list = $('excludes');
  list.replaceChildren();
  const cal = calibration();
  const haveDepth = !missingFor({ ...state.project, curves: [{ ...newCurve('X'), track: [0, 1], scale: [0, 1] }] }, 0);
  state.project.exclude.forEach((r, i) => {
    const li = document.createElement('li');
    const text = document.createElement('span');
    const [a, b] = [Math.min(...r), Math.max(...r)];
    text.textContent = `rows ${Math.round(a)}–${Math.round(b)}${haveDepth ? ` (${depthAt(cal, a).toFixed(1)}–${depthAt(cal, b).toFixed(1)} ${cal.depth_unit})` : ''} never traced`;
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.className = 'link';
    rm.textContent = 'remove';
    rm.setAttribute('aria-label', `Trace rows ${Math.round(a)} to ${Math.round(b)} again`);
    rm.onclick = () => {
      state.project.exclude.splice(i, 1);
      renderExcludes();
      changed();
    };
    li.append(text, rm);
    list.append(li);
  });
}

// ---- the proposed calibration --------------------------------------------------------------
// On drop the core proposes the print's calibration (tracks, grids, depth lines, depth ties,
// in the worker). The person types the scale of the tracks they want, drags an edge or retypes
// a tie, and accepts: the core makes the project from it. Ignoring it leaves the manual path.

function clearProposal() {
  state.proposal = null;
  state.picks = [];
  viewer.setOverlay('proposal', null);
  $('proposal').hidden = true;
  if (state.image) refreshInterval();
}

async function proposeCalibration(file) {
  $('proposal').hidden = false;
  $('proposal').dataset.state = 'running';
  $('proposal-status').textContent = 'Finding the tracks, depth lines and depth numbers…';
  for (const id of ['proposal-tracks', 'proposal-ties', 'proposal-absent']) $(id).replaceChildren();
  $('proposal-accept').disabled = true;
  try {
    const t0 = performance.now();
    // Without the digit reader the layout is still proposed; its depth ties are absent, with this reason.
    const digitsFailed = await client.loadDigitReader().then(() => null, (e) => (e.kind === 'cancelled' ? Promise.reject(e) : e));
    const t1 = performance.now();
    const proposal = await client.propose();
    if (state.file !== file) return; // another scan was opened meanwhile
    state.timings.digits_ms = t1 - t0;
    state.timings.propose_ms = performance.now() - t1;
    state.proposal = proposal;
    state.picks = proposedTracks(proposal).map(() => ({ mnemonic: '', unit: '', left: NaN, right: NaN }));
    $('proposal').dataset.state = 'ready';
    renderProposal();
    if (digitsFailed) $('proposal-status').textContent += ` The depth numbers were not read: ${digitsFailed.message}.`;
  } catch (e) {
    if (state.file !== file) return;
    $('proposal').dataset.state = 'failed';
    $('proposal-status').textContent = e.kind === 'cancelled' ? 'Proposal cancelled: calibrate by hand below.' : `No proposal: ${e.message}. Calibrate by hand below.`;
  }
}

/** The proposal's track edges as lines to drag sideways. */
function edgeHandles() {
  if (!state.proposal) return [];
  return proposedTracks(state.proposal).flatMap((t, i) => ['left', 'right'].map((side) => ({ id: `edge:${i}:${side}`, xAt: (row) => xAlong(t[side], row) })));
}

function dragEdge({ id, x, y, done }) {
  const [, i, side] = id.split(':');
  moveEdge(state.proposal, Number(i), side, x, y);
  viewer.redraw();
  if (done) renderProposal();
}

function renderProposal() {
  const p = state.proposal;
  if (!p) return;
  viewer.setOverlay('proposal', p);
  refreshInterval(); // the edge handles
  const ts = proposedTracks(p);
  const ties = proposedTies(p);
  const sec = proposedSection(p);
  const mid = state.image ? state.image.height / 2 : 0;
  $('proposal-status').textContent = `${ts.length} track${ts.length === 1 ? '' : 's'}, ${ties.length} depth tie${ties.length === 1 ? '' : 's'} (${ties.filter((t) => t.read).length} read)`
    + `${sec ? `, log section rows ${Math.round(sec.rows[0])}–${Math.round(sec.rows[1])}` : ''}; found in ${((state.timings.propose_ms || 0) / 1000).toFixed(1)} s.`
    + ' Give the tracks you want a mnemonic and their edge values; drag an edge or retype a depth if it is off; then accept.';
  const body = $('proposal-tracks');
  body.replaceChildren();
  ts.forEach((t, i) => {
    const tr = document.createElement('tr');
    tr.dataset.track = String(i);
    const name = document.createElement('td');
    const g = t.grid.found;
    name.textContent = `${i + 1} · ${Math.round(xAlong(t.left, mid))}–${Math.round(xAlong(t.right, mid))}${g ? (g.kind === 'log' ? ' · log' : ' · linear') : ''}`;
    name.title = g ? (g.kind === 'log' ? `logarithmic grid, ${g.decades} decades` : `linear grid, ${g.divisions} divisions`) : `grid not found: ${t.grid.absent}`;
    tr.append(name);
    const pick = state.picks[i];
    for (const [key, label, type] of [['mnemonic', 'mnemonic', 'text'], ['unit', 'unit', 'text'], ['left', 'value at the left edge', 'number'], ['right', 'value at the right edge', 'number']]) {
      const td = document.createElement('td');
      const input = document.createElement('input');
      input.type = type;
      if (type === 'number') input.step = 'any';
      input.size = 5;
      input.className = `proposal-${key}`;
      input.setAttribute('aria-label', `Track ${i + 1} ${label}`);
      input.value = type === 'number' ? (Number.isFinite(pick[key]) ? String(pick[key]) : '') : pick[key];
      input.addEventListener('input', () => {
        pick[key] = type === 'number' ? (input.value.trim() === '' ? NaN : Number(input.value)) : input.value;
      });
      td.append(input);
      tr.append(td);
    }
    body.append(tr);
  });
  const tb = $('proposal-ties');
  tb.replaceChildren();
  ties.forEach((t, i) => {
    const tr = document.createElement('tr');
    const y = document.createElement('td');
    y.textContent = t.row.toFixed(1);
    y.title = `${t.read ? 'read' : 'placed between the labels read'}, confidence ${t.confidence.toFixed(2)}`;
    const d = document.createElement('td');
    const input = document.createElement('input');
    input.type = 'number';
    input.step = 'any';
    input.className = 'proposal-tie';
    input.setAttribute('aria-label', `Proposed depth at row ${t.row.toFixed(0)}`);
    input.value = String(t.depth);
    input.addEventListener('input', () => {
      t.depth = input.value.trim() === '' ? NaN : Number(input.value);
      viewer.redraw();
    });
    d.append(input);
    const x = document.createElement('td');
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.className = 'link';
    rm.textContent = 'remove';
    rm.onclick = () => {
      ties.splice(i, 1);
      renderProposal();
    };
    x.append(rm);
    tr.append(y, d, x);
    tb.append(tr);
  });
  const ab = $('proposal-absent');
  ab.replaceChildren();
  for (const { what, why } of proposedAbsent(p)) {
    const li = document.createElement('li');
    li.dataset.what = what;
    li.textContent = `No ${what}: ${why}`;
    ab.append(li);
  }
  $('proposal-accept').disabled = !ts.length;
}

async function acceptProposal() {
  const p = state.proposal;
  if (!p) return;
  const input = projectInput(p, state.picks, $('proposal-unit').value);
  if (!input.curves.length) {
    showError({ kind: 'bad_parameter', message: 'Give at least one proposed track a mnemonic and the values printed at its two edges, then accept.' });
    return;
  }
  if (!input.depth.length) {
    // No ties proposed (or all removed): the ones clicked by hand in "2 · Depth", if any.
    input.depth = state.project.depth.filter((t) => t.every(Number.isFinite)).map((t) => [...t]);
    if (input.depth.length < 2) {
      showError({ kind: 'bad_parameter', message: 'No depth ties were proposed: click two or more depth lines under "2 · Depth" and type their depths, then accept.' });
      return;
    }
  }
  if (input.depth.some(([, d]) => !Number.isFinite(d))) {
    showError({ kind: 'bad_parameter', message: 'Type a depth for every proposed tie point (or remove it), then accept.' });
    return;
  }
  try {
    // The core makes the project (edges at the ties' middle row, the log section as the interval).
    const core = await client.projectFromProposal(p, input);
    const project = fromCore(core);
    project.well = state.project.well;
    state.sel = 0;
    adoptProject(project);
    clearProposal();
    $('proposal').hidden = false;
    $('proposal').dataset.state = 'accepted';
    $('proposal-status').textContent = `Accepted: ${project.curves.length} curve${project.curves.length === 1 ? '' : 's'}, ${project.depth.length} depth ties. Press Digitise.`;
    for (const id of ['proposal-tracks', 'proposal-ties', 'proposal-absent']) $(id).replaceChildren();
    $('proposal-accept').disabled = true;
    changed();
  } catch (e) {
    showError(e);
  }
}

$('proposal-accept').onclick = acceptProposal;
$('proposal-dismiss').onclick = () => clearProposal();

// ---- snapping and picking -------------------------------------------------------------------

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
    const c = cur();
    if (kind === 'left' || kind === 'right') {
      const sx = snapColumn(x, y);
      $(kind === 'left' ? 'x0' : 'x1').value = sx.toFixed(1).replace(/\.0$/, '');
      readForm();
      endPick();
      // After the pointer's own focus change (the canvas takes focus on mousedown).
      setTimeout(() => $(kind === 'left' ? 'left' : 'right').focus(), 0);
    } else if (kind === 'depth') {
      const sy = snapRow(x, y);
      state.project.depth.push([Math.round(sy * 10) / 10, NaN]);
      state.project.depth.sort((a, b) => a[0] - b[0]);
      renderTies();
      endPick();
      setTimeout(() => [...document.querySelectorAll('.tie-depth')].find((i) => i.value === '')?.focus(), 0);
    } else if (kind === 'seed' && c) {
      c.seed = [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
      endPick();
    } else if (kind === 'exclude') {
      const row = Math.round(Math.min(state.image.height - 1, Math.max(0, y)));
      if (picking.first === undefined) {
        picking.first = row;
        $('pick-hint').textContent = `Now click the other end of the rows to exclude (row ${row} so far; Esc to stop)`;
        return;
      }
      state.project.exclude.push([Math.min(picking.first, row), Math.max(picking.first, row)]);
      endPick();
      renderExcludes();
    }
    changed();
    return;
  }
  editPress(e.detail);
});

$('pick-left').onclick = () => pick('left', $('pick-left'), "Click the track's left edge line");
$('pick-right').onclick = () => pick('right', $('pick-right'), "Click the track's right edge line");
$('pick-depth').onclick = () => pick('depth', $('pick-depth'), 'Click a depth line you can read the depth of');
$('pick-seed').onclick = () => pick('seed', $('pick-seed'), 'Click on the ink of the wanted curve');
$('pick-exclude').onclick = () => pick('exclude', $('pick-exclude'), 'Click one end of the rows never to trace');
$('clear-seed').onclick = () => {
  if (cur()) delete cur().seed;
  changed();
};

// ---- calibration and project files ------------------------------------------------------------

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

const baseName = () => (state.file ? state.file.name.replace(/\.[^.]+$/, '') : 'veer');

$('save-cal').onclick = () => {
  download(JSON.stringify(calibration(), null, 2), `${baseName()}.calibration.json`, 'application/json');
};

$('load-cal').addEventListener('change', async (e) => {
  const f = e.target.files[0];
  e.target.value = '';
  if (!f) return;
  try {
    // The core reads it (a calibration, or a project whose first curve is taken) and says what is wrong.
    const p = await client.parseProject(await f.text());
    const c = p.curves[0];
    applyCalibration({ ...c, depth: p.depth, step: p.step, depth_unit: p.depth_unit });
  } catch (err) {
    showError({ kind: 'bad_parameter', message: `${f.name} is not a veer calibration: ${err.message}` });
  }
});

/** Fills the selected curve and the project's depth from a core `Calibration` object. */
function applyCalibration(cal) {
  if (!cal || !Array.isArray(cal.track) || !Array.isArray(cal.scale) || !Array.isArray(cal.depth)) {
    throw new Error('it needs "track", "scale" and "depth"');
  }
  const p = state.project;
  let c = cur();
  if (!c) {
    c = newCurve('CURVE');
    p.curves.push(c);
    state.sel = p.curves.length - 1;
  }
  c.track = cal.track.map(Number);
  c.scale = cal.scale.map(Number);
  c.log = !!cal.log;
  if (Array.isArray(cal.seed)) c.seed = cal.seed.map(Number);
  else delete c.seed;
  if (Array.isArray(cal.backup) && cal.backup.length) c.backup = cal.backup.map((b) => b.map(Number));
  else delete c.backup;
  delete c.backupText;
  delete c.backupError;
  if (cal.mnemonic) c.mnemonic = uniqueMnemonic(p, cal.mnemonic, c);
  if (cal.unit !== undefined) c.unit = cal.unit;
  p.depth = cal.depth.map(([y, d]) => [Number(y), Number(d)]);
  if (Number.isFinite(cal.step)) p.step = cal.step;
  else delete p.step;
  if (cal.depth_unit) p.depth_unit = cal.depth_unit;
  fillForm();
  changed();
}

$('save-project').onclick = async () => {
  readForm();
  await settleBackup();
  const project = coreProject(state.project);
  try {
    // Only a project the core reads is saved as a file (work in progress is autosaved here).
    state.project.curves.forEach((c, i) => {
      const why = missingFor(state.project, i);
      if (why) throw new Error(`${c.mnemonic.trim() || `curve ${i + 1}`}: ${why}`);
    });
    await client.parseProject(project);
  } catch (e) {
    showError({ kind: 'bad_parameter', message: `The project cannot be saved as a file yet: ${e.message}` });
    return;
  }
  download(JSON.stringify(project), `${baseName()}.veer.json`, 'application/json');
};

async function openProjectFile(f) {
  try {
    // The core reads it (a calibration reads as a project of one curve) and says what is wrong.
    const parsed = await client.parseProject(await f.text());
    state.sel = 0;
    adoptProject(fromCore(parsed));
    changed();
    setStatus(`Opened ${f.name}: ${state.project.curves.length} curve${state.project.curves.length === 1 ? '' : 's'}.`);
  } catch (err) {
    showError({ kind: 'bad_parameter', message: `${f.name} could not be opened as a project: ${err.message}` });
  }
}

$('open-project').addEventListener('change', (e) => {
  const f = e.target.files[0];
  e.target.value = '';
  if (f) openProjectFile(f);
});

// ---- well header ----------------------------------------------------------------------------------

function buildWellForm() {
  const grid = $('well-fields');
  for (const [key, label] of WELL_FIELDS) {
    const l = document.createElement('label');
    l.htmlFor = `well-${key}`;
    l.textContent = `${label} (${key})`;
    const input = document.createElement('input');
    input.id = `well-${key}`;
    input.dataset.key = key;
    if (key === 'WELL') input.setAttribute('list', 'known-wells');
    input.addEventListener('input', () => {
      state.project.well[key] = input.value;
      changed();
    });
    input.addEventListener('change', () => {
      const well = state.project.well;
      if (key === 'WELL') {
        // A well typed before: its other fields come back (only where empty here).
        const known = recallWell(input.value);
        if (known) for (const [k, v] of Object.entries(known)) if (!String(well[k] ?? '').trim()) well[k] = v;
        fillForm();
      }
      rememberWell(well);
      renderKnownWells();
      changed();
    });
    grid.append(l, input);
  }
  renderKnownWells();
}

function renderKnownWells() {
  $('known-wells').replaceChildren(...knownWells().map((w) => Object.assign(document.createElement('option'), { value: w })));
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
  $('run').disabled = busy || !!missing();
  $('run-all').disabled = busy || !state.file;
  if (text) setStatus(text);
}

let cloudAbort = null;

function cancel() {
  client.cancel();
  cloudAbort?.abort();
  setBusy(false);
  setStatus('Cancelled. Your scan and project are kept.');
}
$('cancel').onclick = cancel;

/** Digitises the curves at `indices` one after the other (each replaces only its own path). */
async function runCurves(indices) {
  clearError();
  endPick();
  readForm();
  try {
    await settleBackup();
  } catch (e) {
    showError(e);
    return;
  }
  for (const i of indices) {
    const why = missingFor(state.project, i);
    if (why) {
      showError({ kind: 'bad_parameter', message: `${state.project.curves[i].mnemonic.trim() || `Curve ${i + 1}`}: ${why}` });
      return;
    }
  }
  const mode = $('where').value;
  try {
    for (const i of indices) await runCurve(state.project.curves[i], mode);
  } catch (err) {
    if (err.kind === 'cancelled') return;
    showError(err);
  } finally {
    cloudAbort = null;
    setBusy(false);
  }
}

/** Runs one curve where the run policy (core/run.js) says: only it, traced afresh. */
async function runCurve(curve, mode) {
  const name = curve.mnemonic.trim();
  resetProgress(['infer', 'trace']);
  setBusy(true, `Digitising ${name}…`);
  cloudAbort = new AbortController();
  const t0 = performance.now();
  const plan = await showPlan();
  const out = await runProject(state.file, coreProject(state.project, { curves: [curve], edited: false }), {
    mode,
    plan,
    withClient: (fn) => fn(client),
    fallbackUrl: client.opts.fallbackUrl,
    signal: cloudAbort.signal,
    onProgress: (p) => p.stage !== 'upload' && setProgress(p.stage, p.done, p.total),
    onRoute: ({ where, why, shrunk }) => {
      if (where === 'device') setStatus(`Digitising ${name} on this device…`);
      else if (where === 'shrink') setStatus('Re-saving the scan compactly for upload…');
      else {
        setProgress('infer', 0, 1);
        setStatus(`${/local run failed/.test(why || '') ? 'The device could not finish: ' : ''}sending the scan to the cloud fallback for ${name}${shrunk ? ` (${shrunk.description})` : ''}…`);
      }
    },
  });
  if (out.ran === 'cloud') for (const s of ['decode', 'infer', 'trace']) setProgress(s, 1, 1);
  const seconds = (performance.now() - t0) / 1000;
  const res = out.curves[0];
  const model = `veernet-${out.ran === 'device' ? res.stats.model : out.meta?.model || 'fp32'}`;
  showResult(curve, res, { ran: out.ran, model, seconds, memory: out.memory, meta: out.meta, why: out.why, shrunk: out.shrunk });
}

/** A run's curve `{path, rows_per_track_row, stats, uncertain?}` becomes the curve's path. */
function showResult(curve, res, run) {
  if (!state.project.curves.includes(curve)) return; // deleted while it ran
  const stats = { ...res.stats, image_height: state.image.height };
  const editor = new PathEditor(res.path, stats);
  state.editors.set(curve, editor);
  curve.edited = editor.toEdited();
  // `reviewed`: whether the core reports unsure stretches at all (a core before them does not).
  state.runs.set(curve, { stats: res.stats, ran: run.ran, model: run.model, seconds: run.seconds, memory: run.memory, reviewed: Array.isArray(res.uncertain) });
  if (Array.isArray(res.uncertain) && res.uncertain.length) state.uncertain.set(curve, res.uncertain);
  else state.uncertain.delete(curve);
  const where = run.ran === 'device' ? 'on this device' : `in the cloud${run.meta?.cold_start ? ' (cold start)' : ''}`;
  const traced = `${Math.round(res.stats.coverage * 100)}% of rows traced`;
  const why = run.ran === 'cloud' && run.why ? ` Why the cloud: ${run.why}.` : '';
  const shrunk = run.shrunk ? ` Uploaded ${run.shrunk.description}.` : '';
  const unsure = state.uncertain.get(curve)?.length ? ` ${state.uncertain.get(curve).length} unsure stretches to review (N).` : '';
  changed();
  setStatus(`Digitised ${where}, ${run.seconds.toFixed(1)} s: ${traced} (${curve.mnemonic.trim()}).${why}${shrunk}${unsure}`);
  showPlan();
  document.body.dataset.ran = run.ran;
}

$('cal-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  // Enter in the backup field commits it too: the core reads it before the curve is checked.
  await settleBackup().catch(showError);
  const why = missing();
  if (why) {
    showError({ kind: 'bad_parameter', message: why });
    return;
  }
  const c = cur();
  if (state.runs.get(c)?.handEdited && !confirm(`${c.mnemonic.trim()} was corrected by hand. Digitise it again and replace those corrections?`)) return;
  runCurves([state.sel]);
});

$('run-all').onclick = () => {
  const todo = state.project.curves.map((c, i) => i).filter((i) => !state.project.curves[i].edited);
  if (todo.length) runCurves(todo);
};

// ---- editing ------------------------------------------------------------------------------------

let stroke = null;

function setEditing(on) {
  for (const id of ['mode-drag', 'mode-erase']) $(id).disabled = !on;
  if (!on && viewer.mode !== 'pick') setMode('pan');
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
  afterEdit();
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
/** The selected curve's path changed by hand: it is the curve's path now (and saved). */
function afterEdit() {
  const c = cur();
  if (c && state.editor) {
    c.edited = state.editor.toEdited();
    // Corrected by hand: a new run of this curve asks before it replaces the corrections.
    state.runs.set(c, { ...(state.runs.get(c) ?? {}), handEdited: true });
  }
  updateUndo();
  changed();
  viewer.redraw();
}
$('undo').onclick = undo;
$('redo').onclick = redo;

// ---- review: the stretches the trace is unsure of ------------------------------------------------

function renderUncertain() {
  const c = cur();
  const list = (c && state.uncertain.get(c)) || [];
  $('next-uncertain').disabled = !list.length;
  $('uncertain-text').textContent = !c?.edited ? '' : list.length
    ? `${c.mnemonic.trim()}: ${list.length} stretch${list.length === 1 ? '' : 'es'} where the trace is unsure, shaded yellow on the scan; N goes to the next.`
    : state.runs.get(c)?.reviewed === false ? '' : `${c.mnemonic.trim()}: no stretch marked unsure.`;
}

/** Centres the view on the selected curve's next unsure stretch below the view's centre (then wraps). */
function nextUncertain() {
  const c = cur();
  const list = [...((c && state.uncertain.get(c)) || [])].sort((a, b) => a[0] - b[0]);
  if (!list.length) return;
  const r = viewer.canvas.getBoundingClientRect();
  const centre = viewer.toImage(0, r.height / 2).y;
  const next = list.find(([a, b]) => (a + b) / 2 > centre + 1) || list[0];
  viewer.centreOn((c.track[0] + c.track[1]) / 2, (next[0] + next[1]) / 2);
  $('hover').textContent = `unsure: rows ${Math.round(next[0])}–${Math.round(next[1])}`;
}
$('next-uncertain').onclick = nextUncertain;

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') endPick();
  const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
  if (inField) return;
  if ((e.key === 'n' || e.key === 'N') && !e.ctrlKey && !e.metaKey && !e.altKey) {
    nextUncertain();
    return;
  }
  if (!(e.ctrlKey || e.metaKey)) return;
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

const depthKnown = () => !missingFor({ ...state.project, curves: [{ ...newCurve('X'), track: [0, 1], scale: [0, 1] }] }, 0);

viewer.addEventListener('hover', (e) => {
  const { x, y } = e.detail;
  const cal = calibration();
  let text = `x ${x.toFixed(0)}, y ${y.toFixed(0)}`;
  if (depthKnown()) text += ` · depth ${depthAt(cal, y).toFixed(1)} ${cal.depth_unit}`;
  $('hover').textContent = text;
});

let plotPending = false;
function redrawPlot() {
  if (plotPending) return;
  plotPending = true;
  requestAnimationFrame(() => {
    plotPending = false;
    if (!state.image || !depthKnown()) {
      drawLog($('plot'), [], [0, 1], null);
      return;
    }
    const p = state.project;
    const tracks = p.curves.map((c, i) => ({ cal: curveCalibration(p, i), editor: state.editors.get(c), color: colorOf(c), selected: i === state.sel }));
    const iv = p.interval && p.interval.every(Number.isFinite) ? [Math.min(...p.interval), Math.max(...p.interval)] : [0, state.image.height - 1];
    const cal = tracks[0]?.cal;
    const h = viewer.canvas.getBoundingClientRect().height;
    const win = cal ? [depthAt(cal, viewer.toImage(0, 0).y), depthAt(cal, viewer.toImage(0, h).y)] : null;
    drawLog($('plot'), tracks, iv, win);
  });
}
viewer.addEventListener('draw', () => state.editors.size && redrawPlot());

// ---- export -------------------------------------------------------------------------------------

function updateExports() {
  const p = state.project;
  const todo = p.curves.filter((c) => !c.edited).map((c) => c.mnemonic.trim() || '(no mnemonic)');
  for (const id of ['export-csv', 'export-las', 'export-json']) {
    $(id).disabled = !state.file || !p.curves.some((c) => c.edited) || todo.length > 0;
    $(id).title = todo.length ? `Digitise ${todo.join(', ')} first (or delete ${todo.length === 1 ? 'it' : 'them'})` : 'Every curve in one file';
  }
}

async function exportAs(format) {
  try {
    readForm();
    await settleBackup();
    const model = [...state.runs.values()].find((r) => r.model)?.model || '';
    const info = { well: baseName(), source: state.file.name, model, date: new Date().toISOString().slice(0, 10) };
    const text = await client.exportProject(format, coreProject(state.project), state.image.height, info);
    const types = { csv: 'text/csv', las: 'text/plain', json: 'application/json' };
    download(text, `${baseName()}.${format}`, types[format]);
  } catch (e) {
    showError(e);
  }
}
$('export-csv').onclick = () => exportAs('csv');
$('export-las').onclick = () => exportAs('las');
$('export-json').onclick = () => exportAs('json');

// ---- start ------------------------------------------------------------------------------------------

buildWellForm();
fillForm();
refresh();
offerLastScan();
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
window.veer = { viewer, state, client, acceptProposal, autosave, applyCalibration, calibration, selectCurve, addCurve, nextUncertain };
