// Compiled (not run) by `npm run check-types` in scripts/build-widget: the
// declarations describe the element the way a portal written in TypeScript uses it.
import type { VeerCalibration, VeerDigitiser, VeerResult } from './veer-digitiser';
import { defineVeerDigitiser } from './veer-digitiser';

const el = document.querySelector('veer-digitiser');
if (el) {
  el.addEventListener('veer-result', (e) => {
    const r: VeerResult = e.detail;
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
  el.cancel();
  el.mode = 'cloud';
}
const made: VeerDigitiser = document.createElement('veer-digitiser');
const registered: boolean = defineVeerDigitiser('my-digitiser');
void made;
void registered;
