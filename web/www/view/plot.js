// A small plot of the digitised curve against depth (depth down, value across
// on the track's own scale, linear or log), with the viewer's window shaded.

import { valueAt, depthAt } from './viewer.js';

/** Sizes `canvas` to its box at the device's pixel ratio, cleared; returns its context and CSS size. */
function clearCanvas(canvas) {
  const dpr = globalThis.devicePixelRatio || 1;
  const r = canvas.getBoundingClientRect();
  canvas.width = Math.round(r.width * dpr);
  canvas.height = Math.round(r.height * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, r.width, r.height);
  return { ctx, W: r.width, H: r.height };
}

export function drawPlot(canvas, editor, cal, window) {
  const { ctx, W, H } = clearCanvas(canvas);
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

/**
 * Every curve of a project side by side, one track each, on one depth axis (depth
 * down), the way a log print is read: `tracks` is [{cal, editor, color, selected}]
 * (a track without an editor is drawn empty), `rows` the scan rows shown
 * ([top, bottom]: the interval or the whole scan), `window` the viewer's depths.
 */
export function drawLog(canvas, tracks, rows, window) {
  const { ctx, W, H } = clearCanvas(canvas);
  const usable = tracks.filter((t) => t.cal);
  if (!usable.length) return;
  const cal0 = usable[0].cal;
  const pad = { l: 42, r: 4, t: 30, b: 6, gap: 4 };
  const dTop = depthAt(cal0, rows[0]);
  const dBot = depthAt(cal0, rows[1]);
  if (!Number.isFinite(dTop) || !Number.isFinite(dBot) || dTop === dBot) return;
  const fy = (d) => pad.t + ((d - dTop) / (dBot - dTop)) * (H - pad.t - pad.b);
  const tw = (W - pad.l - pad.r - pad.gap * (usable.length - 1)) / usable.length;
  ctx.font = '10px system-ui, sans-serif';
  // Depth labels, down the left.
  ctx.fillStyle = '#5b6573';
  ctx.textAlign = 'right';
  for (let i = 0; i <= 5; i++) {
    const d = dTop + ((dBot - dTop) * i) / 5;
    ctx.fillText(Math.round(d).toString(), pad.l - 4, fy(d) + 3);
  }
  usable.forEach((t, k) => {
    const x0 = pad.l + k * (tw + pad.gap);
    const { cal, editor } = t;
    ctx.strokeStyle = t.selected ? '#1d5fd1' : '#c9cfd7';
    ctx.lineWidth = t.selected ? 2 : 1;
    ctx.strokeRect(x0, pad.t, tw, H - pad.t - pad.b);
    ctx.fillStyle = t.color || '#d0143c';
    ctx.textAlign = 'center';
    ctx.fillText(`${cal.mnemonic}${cal.unit ? ` (${cal.unit})` : ''}`, x0 + tw / 2, 11, tw);
    ctx.fillStyle = '#5b6573';
    ctx.textAlign = 'left';
    ctx.fillText(String(cal.scale[0]), x0 + 1, 24, tw / 2);
    ctx.textAlign = 'right';
    // With backup scales the track is laid side by side with itself once per scale, as the core
    // traces it (a wrapped stretch's columns lie k track widths right): its right end is the
    // last backup scale's.
    const copies = 1 + (cal.backup?.length || 0);
    ctx.fillText(String(copies > 1 ? cal.backup[copies - 2][1] : cal.scale[1]), x0 + tw - 1, 24, tw / 2);
    if (window) {
      ctx.fillStyle = 'rgba(29, 95, 209, 0.10)';
      const a = fy(window[0]);
      const b = fy(window[1]);
      ctx.fillRect(x0, Math.min(a, b), tw, Math.max(2, Math.abs(b - a)));
    }
    if (!editor || !cal.track.every(Number.isFinite) || cal.track[0] === cal.track[1]) return;
    // A track of the plot is the print's track scaled: its value axis (linear or log) comes along.
    const [c0, c1] = cal.track;
    const fx = (x) => x0 + Math.min(1, Math.max(0, (x - c0) / ((c1 - c0) * copies))) * tw;
    ctx.save();
    ctx.beginPath();
    ctx.rect(x0, pad.t, tw, H - pad.t - pad.b);
    ctx.clip();
    ctx.strokeStyle = t.color || '#d0143c';
    ctx.lineWidth = 1;
    ctx.beginPath();
    let pen = false;
    const i0 = Math.max(0, editor.index(Math.min(...rows)));
    const i1 = Math.min(editor.xs.length - 1, editor.index(Math.max(...rows)));
    const stride = Math.max(1, Math.floor((i1 - i0) / (2 * H)));
    for (let i = i0; i <= i1; i += stride) {
      const x = editor.xs[i];
      if (!Number.isFinite(x)) {
        pen = false;
        continue;
      }
      const px = fx(x);
      const py = fy(depthAt(cal, editor.y(i)));
      if (pen) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      pen = true;
    }
    ctx.stroke();
    ctx.restore();
  });
}
