// Compiled (not run) by `npm run check-types` in scripts/build-widget: the
// declarations describe the element the way a portal written in TypeScript uses it.
import type { VeerCalibration, VeerDigitiser, VeerProject, VeerProjectResult, VeerResult } from './veer-digitiser';
import { defineVeerDigitiser, isProjectResult } from './veer-digitiser';

const el = document.querySelector('veer-digitiser');
if (el) {
  el.addEventListener('veer-result', (e) => {
    const d = e.detail;
    if (isProjectResult(d)) {
      const gr: Array<number | null> = d.log.curves[0].value;
      const rows: number = d.curves[0].path.length + (d.curves[0].uncertain?.length ?? 0);
      void gr;
      void rows;
      return;
    }
    const r: VeerResult = d;
    const first: number = r.curve[0].depth + r.curve[0].value;
    const where: 'browser' | 'lambda' = r.meta.ran;
    void first;
    void where;
  });
  el.addEventListener('veer-error', (e) => console.warn(e.detail.kind, e.detail.message));
  document.addEventListener('veer-progress', (e) => console.log(e.detail.stage, e.detail.done, e.detail.total));
  const cal: VeerCalibration = { track: [17, 392], scale: [0, 150], log: false, depth: [[75, 5010], [2250, 5300]], step: 0.2 };
  const run: Promise<VeerResult> = el.digitise(new Blob([]), cal);
  void run.catch((e: { kind: string }) => e.kind);
  const project: VeerProject = {
    version: 1, depth: [[150, 3050], [12750, 7250]], depth_unit: 'FT', interval: [5800, 7200], well: { WELL: 'A-1', UWI: '42-303-34774' },
    curves: [{ mnemonic: 'RHOB', unit: 'G/C3', track: [507, 882], scale: [1.95, 2.95], seed: [739, 6112] }],
  };
  const all: Promise<VeerProjectResult> = el.digitise('scan.tif', project);
  void all.then((r) => r.curves.map((c) => c.mnemonic));
  el.project = project;
  const las: Promise<string> = el.export('las');
  void las;
  el.cancel();
  el.mode = 'cloud';
}
const made: VeerDigitiser = document.createElement('veer-digitiser');
const registered: boolean = defineVeerDigitiser('my-digitiser');
void made;
void registered;
