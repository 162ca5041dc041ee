// A small plot of the digitised curve against depth (depth down, value across
// on the track's own scale, linear or log), with the viewer's window shaded.

import { valueAt, depthAt } from './viewer.js';

export function drawPlot(canvas, editor, cal, window) {
  const dpr = globalThis.devicePixelRatio || 1;
  const r = canvas.getBoundingClientRect();
  canvas.width = Math.round(r.width * dpr);
  canvas.height = Math.round(r.height * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const W = r.width;
  const H = r.height;
  ctx.clearRect(0, 0, W, H);
  if (!editor || !cal) return;
  const pad = { l: 46, r: 10, t: 18, b: 8 };
  const pts = [];
  for (let i = 0; i < editor.xs.length; i++) {
    const x = editor.xs[i];
    pts.push(Number.isFinite(x) ? [valueAt(cal, x), depthAt(cal, editor.y(i))] : null);
  }
  const depths = pts.filter(Boolean).map((p) => p[1]);
  if (depths.length < 2) return;
  const dTop = depthAt(cal, editor.y(0));
  const dBot = depthAt(cal, editor.y(editor.xs.length - 1));
  const [l, rgt] = cal.scale;
  const fx = (v) => {
    const t = cal.log ? (Math.log10(v) - Math.log10(l)) / (Math.log10(rgt) - Math.log10(l)) : (v - l) / (rgt - l);
    return pad.l + t * (W - pad.l - pad.r);
  };
  const fy = (d) => pad.t + ((d - dTop) / (dBot - dTop)) * (H - pad.t - pad.b);
  // Frame, scale labels, depth labels.
  ctx.strokeStyle = '#c9cfd7';
  ctx.strokeRect(pad.l, pad.t, W - pad.l - pad.r, H - pad.t - pad.b);
  ctx.fillStyle = '#5b6573';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.fillText(String(l), pad.l, 12);
  ctx.textAlign = 'right';
  ctx.fillText(String(rgt), W - pad.r, 12);
  for (let i = 0; i <= 4; i++) {
    const d = dTop + ((dBot - dTop) * i) / 4;
    ctx.fillText(Math.round(d).toString(), pad.l - 4, fy(d) + 4);
  }
  if (window) {
    ctx.fillStyle = 'rgba(29, 95, 209, 0.12)';
    const a = fy(window[0]);
    const b = fy(window[1]);
    ctx.fillRect(pad.l, Math.min(a, b), W - pad.l - pad.r, Math.max(2, Math.abs(b - a)));
  }
  ctx.strokeStyle = '#d0143c';
  ctx.lineWidth = 1;
  ctx.beginPath();
  let pen = false;
  const stride = Math.max(1, Math.floor(pts.length / (2 * H)));
  for (let i = 0; i < pts.length; i += stride) {
    const p = pts[i];
    if (!p) {
      pen = false;
      continue;
    }
    const x = fx(p[0]);
    const y = fy(p[1]);
    if (pen) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
    pen = true;
  }
  ctx.stroke();
}
