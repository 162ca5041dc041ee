// The example portal: its own table of wells, each with a scan and the
// calibration of its print layout. Everything it does with the digitiser goes
// through the element's public attributes, events and methods.

const WELLS = [
  { id: 'gr-linear-png', well: 'Kestrel Ridge 4', field: 'North Basin', log: 'GR (gAPI)', scan: 'scans/gr-linear-png.png' },
  { id: 'jpeg-gr', well: 'Heron Flats 12', field: 'North Basin', log: 'GR (gAPI)', scan: 'scans/jpeg-gr.jpg' },
  { id: 'res-log-g4', well: 'Osprey Deep 1', field: 'Delta', log: 'ILD (ohm·m, log)', scan: 'scans/res-log-g4.tif' },
  { id: 'nphi-reversed', well: 'Plover 7A', field: 'Delta', log: 'NPHI (v/v)', scan: 'scans/nphi-reversed.png' },
  { id: 'dashed-png', well: 'Tern Hollow 3', field: 'South Shelf', log: 'SP (mV)', scan: 'scans/dashed-png.png' },
];

const digitiser = document.getElementById('digitiser');
const body = document.querySelector('#wells-table tbody');
const results = new Map(); // well id -> veer-result detail
let current = null;

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

for (const w of WELLS) {
  const tr = document.createElement('tr');
  tr.dataset.well = w.id;
  tr.tabIndex = 0;
  tr.setAttribute('aria-label', `Open ${w.well} in the digitiser`);
  const name = cell('', 'well');
  const strong = document.createElement('strong');
  strong.textContent = w.well;
  name.append(strong);
  const ext = w.scan.split('.').pop().toUpperCase();
  tr.append(name, cell(w.field), cell(w.log), cell(ext === 'TIF' ? 'TIFF G4' : ext), cell('not yet', 'state'), cell('', 'dl'));
  tr.addEventListener('click', () => open(w));
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open(w);
    }
  });
  body.append(tr);
}

const rowOf = (id) => body.querySelector(`tr[data-well="${id}"]`);

function open(w) {
  current = w;
  for (const tr of body.rows) tr.classList.toggle('selected', tr.dataset.well === w.id);
  document.getElementById('panel-well').textContent = `${w.well} · ${w.log}`;
  // The layout is known: the widget skips its calibration step.
  digitiser.setAttribute('calibration', `scans/${w.id}.calibration.json`);
  digitiser.setAttribute('src', w.scan);
  log(`Opened ${w.well}: press Digitise.`);
}

function log(text) {
  document.getElementById('portal-log').textContent = text;
}

digitiser.addEventListener('veer-progress', (e) => {
  if (!current) return;
  const { stage, done, total } = e.detail;
  if (stage === 'infer' || stage === 'upload') rowOf(current.id).querySelector('.state').textContent = `running… ${stage === 'infer' ? `${done}/${total}` : ''}`.trim();
});

digitiser.addEventListener('veer-result', (e) => {
  const w = current;
  if (!w) return;
  const { curve, meta } = e.detail;
  results.set(w.id, e.detail);
  const tr = rowOf(w.id);
  const first = curve[0];
  const last = curve[curve.length - 1];
  tr.querySelector('.state').textContent =
    `${curve.length.toLocaleString('en')} samples, ${first.depth}–${last.depth} ${meta.depth_unit} · ${meta.ran === 'browser' ? 'in browser' : 'in cloud'}`;
  tr.classList.add('done');
  const csv = ['depth,value', ...curve.map((p) => `${p.depth},${p.value}`)].join('\n') + '\n';
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  a.download = `${w.id}-${meta.mnemonic || 'curve'}.csv`;
  a.textContent = 'CSV';
  a.className = 'download';
  a.addEventListener('click', (ev) => ev.stopPropagation());
  tr.querySelector('.dl').replaceChildren(a);
  log(`${w.well}: digitised ${meta.ran === 'browser' ? 'on this device' : 'in the cloud'} in ${(meta.elapsed_ms / 1000).toFixed(1)} s.`);
});

digitiser.addEventListener('veer-error', (e) => {
  if (current && e.detail.kind !== 'cancelled') rowOf(current.id).querySelector('.state').textContent = `failed (${e.detail.kind})`;
  log(e.detail.kind === 'cancelled' ? 'Cancelled.' : `The digitiser says: ${e.detail.message}`);
});

// For the tests and the console.
window.portal = { results, open: (id) => open(WELLS.find((w) => w.id === id)) };
