// The page's project: the core's project contract (crate/src/project.rs, README
// "The project") held as the page's state while it is filled in. Fields a user has
// not given yet are NaN; `coreProject` writes the core's form, which the wasm
// exports (parseProject, runProject, exportProject) and the cloud read and check.
// Nothing here interprets the contract beyond filling it in: the core validates it.
// A curve's backup scales are typed as text; the core reads them (client.parseBackup) into
// `backup`, the contract's numbers; the page keeps the text as typed (`backupText`) and, while
// the core refuses it, the core's message (`backupError`), neither of which is in the core's form.

export const VERSION = 1;

/** LAS ~W fields the core writes (`veer::project::WELL_FIELDS`), with the page's labels. */
export const WELL_FIELDS = [
  ['WELL', 'Well'],
  ['COMP', 'Company'],
  ['FLD', 'Field'],
  ['LOC', 'Location'],
  ['CNTY', 'County'],
  ['STAT', 'State'],
  ['CTRY', 'Country'],
  ['SRVC', 'Service company'],
  ['DATE', 'Log date'],
  ['UWI', 'UWI'],
  ['API', 'API number'],
];

export function newCurve(mnemonic = 'GR', unit = '') {
  return { mnemonic, unit, track: [NaN, NaN], scale: [NaN, NaN], log: false };
}

export function newProject() {
  return { version: VERSION, depth: [], depth_unit: 'M', exclude: [], well: {}, curves: [newCurve('GR', 'GAPI')] };
}

const finite = (v) => typeof v === 'number' && Number.isFinite(v);
const nums = (a) => (Array.isArray(a) ? a.map((v) => (v === null || v === '' || v === undefined ? NaN : Number(v))) : [NaN, NaN]);

/**
 * A project as the page holds it, from the core's form (what `parseProject` returns,
 * a saved file, or an autosaved record): missing numbers become NaN.
 */
export function fromCore(p) {
  return {
    version: VERSION,
    depth: (p.depth || []).map(nums),
    depth_unit: p.depth_unit || 'M',
    ...(finite(p.step) ? { step: p.step } : {}),
    ...(finite(p.rotation) ? { rotation: p.rotation } : {}),
    ...(Array.isArray(p.interval) ? { interval: nums(p.interval) } : {}),
    exclude: (p.exclude || []).map(nums),
    well: { ...(p.well || {}) },
    curves: (p.curves || []).map((c) => ({
      mnemonic: String(c.mnemonic ?? ''),
      unit: String(c.unit ?? ''),
      track: nums(c.track),
      scale: nums(c.scale),
      log: !!c.log,
      ...(Array.isArray(c.seed) ? { seed: nums(c.seed) } : {}),
      ...(Array.isArray(c.backup) && c.backup.length ? { backup: c.backup.map(nums) } : {}),
      ...(typeof c.backupText === 'string' ? { backupText: c.backupText } : {}),
      ...(typeof c.backupError === 'string' ? { backupError: c.backupError } : {}),
      ...(c.edited ? { edited: { rows_per_track_row: Number(c.edited.rows_per_track_row), path: c.edited.path } } : {}),
    })),
  };
}

/**
 * The core's form of a project (crate/src/project.rs): empty optional fields left out,
 * empty well values dropped. `curves` picks the curves (default: all); `edited: false`
 * leaves their paths out (a run traces them again).
 */
export function coreProject(p, { curves = p.curves, edited = true } = {}) {
  const well = Object.fromEntries(Object.entries(p.well || {}).map(([k, v]) => [k, String(v).trim()]).filter(([, v]) => v));
  const out = { version: VERSION, depth: p.depth.map((t) => [...t]), depth_unit: p.depth_unit || 'M' };
  if (finite(p.step)) out.step = p.step;
  if (finite(p.rotation)) out.rotation = p.rotation;
  if (p.interval && p.interval.every(finite)) out.interval = [...p.interval];
  const exclude = (p.exclude || []).filter((r) => r.every(finite));
  if (exclude.length) out.exclude = exclude.map((r) => [...r]);
  if (Object.keys(well).length) out.well = well;
  out.curves = curves.map((c) => {
    const o = { mnemonic: c.mnemonic.trim(), unit: c.unit.trim(), track: [...c.track], scale: [...c.scale], log: !!c.log };
    if (c.seed) o.seed = [...c.seed];
    if (c.backup?.length) o.backup = c.backup.map((b) => [...b]);
    if (edited && c.edited) o.edited = c.edited;
    return o;
  });
  return out;
}

/**
 * Curve `i` as the core's single-curve `Calibration` (the project's depth ties, step
 * and units with the curve's track and scale): what the viewer's overlays draw.
 */
export function curveCalibration(p, i) {
  const c = p.curves[i];
  const cal = {
    track: c ? [...c.track] : [NaN, NaN],
    scale: c ? [...c.scale] : [NaN, NaN],
    log: !!c?.log,
    depth: p.depth.map((t) => [...t]),
    mnemonic: c?.mnemonic.trim() || 'CURVE',
    unit: c?.unit.trim() ?? '',
    depth_unit: p.depth_unit || 'M',
  };
  if (c?.seed) cal.seed = [...c.seed];
  if (c?.backup?.length) cal.backup = c.backup.map((b) => [...b]);
  if (finite(p.step)) cal.step = p.step;
  return cal;
}

/** What is still missing before curve `i` can run, in words; null when it is filled in. */
export function missing(p, i) {
  const c = p.curves[i];
  if (!c) return 'Add a curve first.';
  if (!finite(c.track[0])) return "Click the track's left edge (or type its column).";
  if (!finite(c.track[1])) return "Click the track's right edge (or type its column).";
  if (!c.scale.every(finite)) return 'Type the values printed at the track edges.';
  if (!c.mnemonic.trim()) return 'Give the curve a mnemonic (e.g. GR).';
  if (c.backupError) return `Fix the backup scales: ${c.backupError}`;
  if (p.depth.filter((t) => finite(t[1])).length < 2) return 'Click two or more depth lines and type their depths.';
  if (p.depth.some((t) => !finite(t[1]))) return 'Type a depth for every tie point (or remove it).';
  return null;
}

/** A mnemonic not used yet by another curve: `base`, else `base_2`, `base_3`, ... */
export function uniqueMnemonic(p, base, except = null) {
  const used = new Set(p.curves.filter((c) => c !== except).map((c) => c.mnemonic.trim().toUpperCase()));
  if (!used.has(base.toUpperCase())) return base;
  for (let n = 2; ; n++) if (!used.has(`${base}_${n}`.toUpperCase())) return `${base}_${n}`;
}
