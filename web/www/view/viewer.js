// A viewer for tall scans (1,500 x 25,000 px and more): zoom, pan, a magnifier
// at the cursor, and the overlays of the calibration and the traced curve.
//
// The gray pixels stay in one Uint8Array. They are drawn through a pyramid of
// 512-row chunks (level L = 1/2^L of full size, each level built from the one
// below by a 2x2 min/mean blend, so thin curves stay visible when zoomed out);
// only the chunks on screen are turned into canvases, a few per frame, and the
// least recently used ones are dropped. Nothing ever holds the whole scan as RGBA.

import { drawProposal } from './proposal.js';

const CHUNK_ROWS = 512;
const MAX_CANVASES = 48;
const FRAME_BUDGET_MS = 10;

export class ScanViewer extends EventTarget {
  constructor(canvas) {
    super();
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.img = null;
    this.view = { scale: 1, ox: 0, oy: 0 };
    this.mode = 'pan';
    this.magnifier = false;
    this.pointer = null;
    // calibration, seed, editor (the selected curve), others ([{editor, color}]: the other
    // curves), erase ([y0, y1] while erasing), interval ([top, bottom]), exclude ([[a, b]]),
    // uncertain ({track: [x0, x1], stretches: [[a, b]]}), color (the selected curve's),
    // proposal (the core's proposed calibration, view/proposal.js).
    this.overlay = { proposal: null, calibration: null, seed: null, editor: null, others: null, erase: null, interval: null, exclude: null, uncertain: null, color: null };
    // Lines a user can drag in pan mode: rows [{id, y}] and lines down the scan [{id, xAt(row)}];
    // dragging one fires `handle` {id, x, y, done}.
    this.handles = [];
    this.grays = new Map(); // `${L}:${k}` -> {w, h, data} for L >= 1
    this.canvases = new Map(); // key -> canvas, in LRU order
    this.frame = 0;
    this._bindEvents();
    new ResizeObserver(() => this._resize()).observe(canvas);
    this._resize();
  }

  // ---- image and view --------------------------------------------------------

  setImage(img) {
    this.img = img;
    this.grays.clear();
    this.canvases.clear();
    this.fitWidth();
  }

  /** Fit the scan's width to the view (tall scans are then scrolled). */
  fitWidth() {
    if (!this.img) return;
    const { w } = this._size();
    this.view.scale = w / this.img.width;
    this.view.ox = 0;
    this.view.oy = 0;
    this._clamp();
    this.redraw();
  }

  /** Show the whole scan. */
  fitAll() {
    if (!this.img) return;
    const { w, h } = this._size();
    this.view.scale = Math.min(w / this.img.width, h / this.img.height);
    this.view.ox = -(w / this.view.scale - this.img.width) / 2;
    this.view.oy = 0;
    this.redraw();
  }

  zoomBy(factor, cx, cy) {
    const { w, h } = this._size();
    cx ??= w / 2;
    cy ??= h / 2;
    const before = this.toImage(cx, cy);
    this.view.scale = Math.min(16, Math.max(0.005, this.view.scale * factor));
    this.view.ox = before.x - cx / this.view.scale;
    this.view.oy = before.y - cy / this.view.scale;
    this._clamp();
    this.redraw();
  }

  panBy(dx, dy) {
    this.view.ox -= dx / this.view.scale;
    this.view.oy -= dy / this.view.scale;
    this._clamp();
    this.redraw();
  }

  /** Centre the view on an image point (keeps the zoom). */
  centreOn(x, y) {
    const { w, h } = this._size();
    this.view.ox = x - w / 2 / this.view.scale;
    this.view.oy = y - h / 2 / this.view.scale;
    this._clamp();
    this.redraw();
  }

  /** Canvas-relative CSS pixels to image pixels. */
  toImage(cx, cy) {
    return { x: cx / this.view.scale + this.view.ox, y: cy / this.view.scale + this.view.oy };
  }

  /** Image pixels to canvas-relative CSS pixels. */
  toCanvas(x, y) {
    return { x: (x - this.view.ox) * this.view.scale, y: (y - this.view.oy) * this.view.scale };
  }

  /** Image pixels to page (client) coordinates: what a click at that point uses. */
  toClient(x, y) {
    const r = this.canvas.getBoundingClientRect();
    const p = this.toCanvas(x, y);
    return { x: r.left + p.x, y: r.top + p.y };
  }

  setMode(mode) {
    this.mode = mode;
    this.canvas.dataset.mode = mode;
    this.redraw();
  }

  setOverlay(part, value) {
    this.overlay[part] = value;
    this.redraw();
  }

  /** The draggable line within 7 CSS px of a canvas point, if any. */
  _handleAt(p) {
    const im = this.toImage(p.cx, p.cy);
    return this.handles.find((hd) => (hd.xAt
      ? Math.abs(this.toCanvas(hd.xAt(im.y), im.y).x - p.cx) <= 7
      : Math.abs(this.toCanvas(0, hd.y).y - p.cy) <= 7));
  }

  _size() {
    const r = this.canvas.getBoundingClientRect();
    return { w: Math.max(1, r.width), h: Math.max(1, r.height) };
  }

  _resize() {
    const { w, h } = this._size();
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.redraw();
  }

  _clamp() {
    if (!this.img) return;
    const { w, h } = this._size();
    const vw = w / this.view.scale;
    const vh = h / this.view.scale;
    // Narrower than the view: centred; wider: no blank margin beyond its edges.
    if (vw >= this.img.width) this.view.ox = -(vw - this.img.width) / 2;
    else this.view.ox = Math.min(Math.max(this.view.ox, 0), this.img.width - vw);
    // Along depth a little overscroll, so the first and last rows can be centred for picking.
    this.view.oy = Math.min(Math.max(this.view.oy, -vh * 0.5), Math.max(this.img.height - vh * 0.5, -vh * 0.5));
  }

  // ---- pixel pyramid ------------------------------------------------------------

  _gray(L, k) {
    const img = this.img;
    if (L === 0) {
      const y0 = k * CHUNK_ROWS;
      const h = Math.min(CHUNK_ROWS, img.height - y0);
      return { w: img.width, h, data: img.pixels.subarray(y0 * img.width, (y0 + h) * img.width) };
    }
    const key = `${L}:${k}`;
    let g = this.grays.get(key);
    if (g) return g;
    const a = this._gray(L - 1, 2 * k);
    const bRows = (2 * k + 1) * CHUNK_ROWS * (1 << (L - 1)) < img.height ? this._gray(L - 1, 2 * k + 1) : null;
    const srcH = a.h + (bRows ? bRows.h : 0);
    const sw = a.w;
    const w = Math.ceil(sw / 2);
    const h = Math.ceil(srcH / 2);
    const data = new Uint8Array(w * h);
    const at = (y, x) => (y < a.h ? a.data[y * sw + x] : bRows.data[(y - a.h) * sw + x]);
    for (let y = 0; y < h; y++) {
      const y0 = 2 * y;
      const y1 = Math.min(2 * y + 1, srcH - 1);
      for (let x = 0; x < w; x++) {
        const x0 = 2 * x;
        const x1 = Math.min(2 * x + 1, sw - 1);
        const p = at(y0, x0), q = at(y0, x1), r = at(y1, x0), s = at(y1, x1);
        const min = Math.min(p, q, r, s);
        data[y * w + x] = (min + ((p + q + r + s) >> 2)) >> 1;
      }
    }
    g = { w, h, data };
    this.grays.set(key, g);
    return g;
  }

  _chunkCanvas(L, k, build) {
    const key = `${L}:${k}`;
    const hit = this.canvases.get(key);
    if (hit) {
      this.canvases.delete(key);
      this.canvases.set(key, hit);
      return hit;
    }
    if (!build) return null;
    const g = this._gray(L, k);
    const c = document.createElement('canvas');
    c.width = g.w;
    c.height = g.h;
    const id = new ImageData(g.w, g.h);
    const out = new Uint32Array(id.data.buffer);
    for (let i = 0; i < g.data.length; i++) {
      const v = g.data[i];
      out[i] = 0xff000000 | (v << 16) | (v << 8) | v;
    }
    c.getContext('2d').putImageData(id, 0, 0);
    this.canvases.set(key, c);
    while (this.canvases.size > MAX_CANVASES) this.canvases.delete(this.canvases.keys().next().value);
    return c;
  }

  // ---- drawing ------------------------------------------------------------------

  redraw() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this._draw());
  }

  _draw() {
    this.frame = 0;
    const ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const { w, h } = this._size();
    ctx.fillStyle = getComputedStyle(this.canvas).getPropertyValue('--viewer-bg') || '#3a3f47';
    ctx.fillRect(0, 0, w, h);
    if (!this.img) return;
    const missing = this._drawScan(w, h);
    this._drawOverlays(w, h);
    if (this.magnifier && this.pointer) this._drawMagnifier();
    if (missing) this.redraw();
    this.dispatchEvent(new Event('draw'));
  }

  /** Draws the visible chunks; returns true while some are still to be built. */
  _drawScan(w, h) {
    const { scale } = this.view;
    const L = Math.max(0, Math.min(12, Math.floor(Math.log2(1 / scale / dprOrOne()))));
    const f = 1 << L;
    const top = this.toImage(0, 0).y;
    const bottom = this.toImage(w, h).y;
    const rows = CHUNK_ROWS * f;
    const k0 = Math.max(0, Math.floor(top / rows));
    const k1 = Math.min(Math.ceil(this.img.height / rows) - 1, Math.floor(bottom / rows));
    const ctx = this.ctx;
    ctx.imageSmoothingEnabled = scale < 1;
    const started = performance.now();
    let missing = false;
    for (let k = k0; k <= k1; k++) {
      const build = performance.now() - started < FRAME_BUDGET_MS;
      const c = this._chunkCanvas(L, k, build);
      const y0 = k * rows;
      const p = this.toCanvas(0, y0);
      if (!c) {
        missing = true;
        ctx.fillStyle = '#d8d8d8';
        ctx.fillRect(p.x, p.y, this.img.width * scale, Math.min(rows, this.img.height - y0) * scale);
        continue;
      }
      ctx.drawImage(c, p.x, p.y, c.width * f * scale, c.height * f * scale);
    }
    return missing;
  }

  _drawOverlays(w, h) {
    const ctx = this.ctx;
    const rowBand = (a, b, fill) => {
      const pa = this.toCanvas(0, Math.min(a, b));
      const pb = this.toCanvas(0, Math.max(a, b));
      ctx.fillStyle = fill;
      ctx.fillRect(0, pa.y, w, Math.max(2, pb.y - pa.y));
    };
    const iv = this.overlay.interval;
    if (iv && this.img) {
      // Rows outside the interval are dimmed; the handles are drawn last.
      rowBand(-1e9, Math.min(...iv), 'rgba(20, 24, 30, 0.35)');
      rowBand(Math.max(...iv) + 1, 1e9, 'rgba(20, 24, 30, 0.35)');
    }
    for (const [a, b] of this.overlay.exclude || []) {
      rowBand(a, b + 1, 'rgba(20, 24, 30, 0.35)');
      const pa = this.toCanvas(0, Math.min(a, b));
      label(ctx, 'excluded', 4, pa.y + 14, 'left', '#444');
    }
    const unc = this.overlay.uncertain;
    if (unc && unc.stretches?.length) {
      const [x0, x1] = unc.track;
      const l = this.toCanvas(Math.min(x0, x1), 0).x;
      const r = this.toCanvas(Math.max(x0, x1), 0).x;
      ctx.save();
      ctx.fillStyle = 'rgba(255, 196, 0, 0.35)';
      ctx.strokeStyle = 'rgba(214, 140, 0, 0.95)';
      ctx.lineWidth = 1.5;
      for (const [a, b] of unc.stretches) {
        // At least 10 px tall, so a stretch of a row or two is seen when zoomed out.
        const pa = this.toCanvas(0, a);
        const pb = this.toCanvas(0, b + 1);
        const hgt = Math.max(10, pb.y - pa.y);
        const top = (pa.y + pb.y) / 2 - hgt / 2;
        if (top + hgt < 0 || top > h) continue;
        ctx.fillRect(l, top, r - l, hgt);
        ctx.strokeRect(l, top, r - l, hgt);
      }
      ctx.restore();
    }
    if (this.overlay.proposal) drawProposal(ctx, this, this.overlay.proposal, w, h);
    const cal = this.overlay.calibration;
    if (cal) drawCalibration(ctx, this, cal, w, h);
    for (const o of this.overlay.others || []) drawPath(ctx, this, o.editor, h, o.color, 1.5, foldOf(o.cal));
    const ed = this.overlay.editor;
    if (ed) drawPath(ctx, this, ed, h, this.overlay.color, 2, foldOf(cal));
    if (iv) {
      ctx.save();
      ctx.strokeStyle = '#0a8f3c';
      ctx.fillStyle = '#0a8f3c';
      ctx.lineWidth = 2;
      iv.forEach((y, i) => {
        const p = this.toCanvas(0, y);
        ctx.beginPath();
        ctx.moveTo(0, p.y);
        ctx.lineTo(w, p.y);
        ctx.stroke();
        // A grip in the middle: the handle to drag.
        ctx.fillRect(w / 2 - 18, p.y - 4, 36, 8);
        label(ctx, i === 0 ? 'interval top (drag)' : 'interval bottom (drag)', w / 2 + 24, p.y + (i === 0 ? -5 : 15), 'left', '#0a8f3c');
      });
      ctx.restore();
    }
    const er = this.overlay.erase;
    if (er) {
      const a = this.toCanvas(0, Math.min(er[0], er[1]));
      const b = this.toCanvas(0, Math.max(er[0], er[1]));
      ctx.fillStyle = 'rgba(220, 40, 40, 0.18)';
      ctx.fillRect(0, a.y, w, Math.max(2, b.y - a.y));
    }
    const seed = this.overlay.seed;
    if (seed) {
      const p = this.toCanvas(seed[0], seed[1]);
      ctx.strokeStyle = '#0a8f3c';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(p.x, p.y, 7, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }

  _drawMagnifier() {
    const ctx = this.ctx;
    const { cx, cy } = this.pointer;
    const R = 70;
    const zoom = Math.max(4, 4 / this.view.scale) * this.view.scale; // screen px per image px inside
    const mag = Math.max(zoom, 3);
    const centre = this.toImage(cx, cy);
    const px = cx + R + 16 + R > this._size().w ? cx - R - 16 : cx + R + 16;
    const py = Math.max(R, Math.min(cy, this._size().h - R));
    ctx.save();
    ctx.beginPath();
    ctx.arc(px, py, R, 0, 2 * Math.PI);
    ctx.clip();
    ctx.fillStyle = '#fff';
    ctx.fillRect(px - R, py - R, 2 * R, 2 * R);
    ctx.imageSmoothingEnabled = false;
    const half = R / mag;
    const y0 = Math.floor(centre.y - half);
    const y1 = Math.ceil(centre.y + half);
    for (let k = Math.max(0, Math.floor(y0 / CHUNK_ROWS)); k <= Math.min(Math.floor(y1 / CHUNK_ROWS), Math.ceil(this.img.height / CHUNK_ROWS) - 1); k++) {
      const c = this._chunkCanvas(0, k, true);
      const top = k * CHUNK_ROWS;
      ctx.drawImage(c, px + (0 - centre.x) * mag, py + (top - centre.y) * mag, c.width * mag, c.height * mag);
    }
    // The overlays, magnified, so a pick can be checked against the ink.
    const saved = { ...this.view };
    this.view = { scale: mag, ox: centre.x - px / mag, oy: centre.y - py / mag };
    this._drawOverlays(this._size().w, this._size().h);
    this.view = saved;
    ctx.strokeStyle = 'rgba(255, 0, 80, 0.9)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(px - 10, py);
    ctx.lineTo(px + 10, py);
    ctx.moveTo(px, py - 10);
    ctx.lineTo(px, py + 10);
    ctx.stroke();
    ctx.restore();
    ctx.strokeStyle = '#222';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(px, py, R, 0, 2 * Math.PI);
    ctx.stroke();
  }

  // ---- input ----------------------------------------------------------------------

  _bindEvents() {
    const c = this.canvas;
    let drag = null;
    const local = (e) => {
      const r = c.getBoundingClientRect();
      return { cx: e.clientX - r.left, cy: e.clientY - r.top };
    };
    c.addEventListener('wheel', (e) => {
      if (!this.img) return;
      e.preventDefault();
      const { cx, cy } = local(e);
      if (e.ctrlKey || e.metaKey) this.zoomBy(Math.exp(-e.deltaY * 0.002), cx, cy);
      else if (e.shiftKey) this.panBy(-e.deltaY, 0);
      else this.panBy(-e.deltaX, -e.deltaY);
    }, { passive: false });
    c.addEventListener('pointerdown', (e) => {
      if (!this.img) return;
      c.setPointerCapture(e.pointerId);
      const p = local(e);
      const im = this.toImage(p.cx, p.cy);
      const handle = this.mode === 'pan' && !e.shiftKey && this._handleAt(p);
      if (handle) {
        drag = { ...p, start: im, handle: handle.id, moved: false };
        return;
      }
      const pan = this.mode === 'pan' || e.button === 1 || e.shiftKey;
      drag = { ...p, start: im, pan, moved: false };
      if (!pan) this.dispatchEvent(new CustomEvent('press', { detail: { x: im.x, y: im.y, mode: this.mode } }));
    });
    c.addEventListener('pointermove', (e) => {
      const p = local(e);
      this.pointer = p;
      if (!drag) {
        const hd = this.mode === 'pan' && this._handleAt(p);
        c.classList.toggle('on-handle', !!hd && !hd.xAt);
        c.classList.toggle('on-edge', !!hd && !!hd.xAt);
      }
      if (drag) {
        const dx = p.cx - drag.cx;
        const dy = p.cy - drag.cy;
        if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
        if (drag.handle) {
          const im = this.toImage(p.cx, p.cy);
          this.dispatchEvent(new CustomEvent('handle', { detail: { id: drag.handle, x: im.x, y: im.y, done: false } }));
        } else if (drag.pan) {
          this.panBy(dx, dy);
          drag.cx = p.cx;
          drag.cy = p.cy;
        } else {
          const im = this.toImage(p.cx, p.cy);
          this.dispatchEvent(new CustomEvent('drag', { detail: { x: im.x, y: im.y, mode: this.mode } }));
        }
      }
      if (this.magnifier) this.redraw();
      if (this.img) {
        const im = this.toImage(p.cx, p.cy);
        this.dispatchEvent(new CustomEvent('hover', { detail: im }));
      }
    });
    const end = (e) => {
      if (!drag) return;
      const p = local(e);
      const im = this.toImage(p.cx, p.cy);
      if (drag.handle) {
        this.dispatchEvent(new CustomEvent('handle', { detail: { id: drag.handle, x: im.x, y: im.y, done: true } }));
        drag = null;
        return;
      }
      if (!drag.pan) this.dispatchEvent(new CustomEvent('release', { detail: { x: im.x, y: im.y, mode: this.mode, moved: drag.moved } }));
      drag = null;
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('pointerleave', () => {
      this.pointer = null;
      if (this.magnifier) this.redraw();
    });
    c.addEventListener('keydown', (e) => {
      const step = 60;
      const keys = {
        ArrowUp: () => this.panBy(0, step),
        ArrowDown: () => this.panBy(0, -step),
        ArrowLeft: () => this.panBy(step, 0),
        ArrowRight: () => this.panBy(-step, 0),
        PageUp: () => this.panBy(0, this._size().h * 0.9),
        PageDown: () => this.panBy(0, -this._size().h * 0.9),
        '+': () => this.zoomBy(1.25),
        '=': () => this.zoomBy(1.25),
        '-': () => this.zoomBy(0.8),
      };
      const f = keys[e.key];
      if (f) {
        e.preventDefault();
        f();
      }
    });
  }
}

function dprOrOne() {
  return window.devicePixelRatio || 1;
}

// ---- calibration geometry (mirrors crate/src/calibrate.rs) ------------------------

/** Value at pixel column x. */
export function valueAt(cal, x) {
  const [x0, x1] = cal.track;
  const t = (x - x0) / (x1 - x0);
  const [l, r] = cal.scale;
  return cal.log ? 10 ** (Math.log10(l) + t * (Math.log10(r) - Math.log10(l))) : l + t * (r - l);
}

/** Pixel column of a value. */
export function xAt(cal, v) {
  const [x0, x1] = cal.track;
  const [l, r] = cal.scale;
  const t = cal.log ? (Math.log10(v) - Math.log10(l)) / (Math.log10(r) - Math.log10(l)) : (v - l) / (r - l);
  return x0 + t * (x1 - x0);
}

/** Depth at pixel row y: piecewise linear through the tie points, extrapolated outside. */
export function depthAt(cal, y) {
  const t = [...cal.depth].sort((a, b) => a[0] - b[0]);
  let i = 0;
  while (i < t.length - 2 && y > t[i + 1][0]) i++;
  const [ya, da] = t[i];
  const [yb, db] = t[i + 1];
  return da + ((y - ya) * (db - da)) / (yb - ya);
}

/** Pixel row of a depth (inverse of depthAt; depth is monotonic in row). */
export function rowAt(cal, d) {
  const t = [...cal.depth].sort((a, b) => a[0] - b[0]);
  const inc = t[t.length - 1][1] > t[0][1];
  let i = 0;
  while (i < t.length - 2 && (inc ? d > t[i + 1][1] : d < t[i + 1][1])) i++;
  const [ya, da] = t[i];
  const [yb, db] = t[i + 1];
  return ya + ((d - da) * (yb - ya)) / (db - da);
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function drawCalibration(ctx, viewer, cal, w, h) {
  const [x0, x1] = cal.track ?? [null, null];
  ctx.save();
  ctx.font = '11px system-ui, sans-serif';
  const haveTrack = Number.isFinite(x0) && Number.isFinite(x1) && x1 > x0;
  const haveScale = haveTrack && cal.scale && cal.scale.every(Number.isFinite) && cal.scale[0] !== cal.scale[1] && (!cal.log || (cal.scale[0] > 0 && cal.scale[1] > 0));
  // Value grid from the calibration: if it sits on the printed grid, the calibration fits.
  if (haveScale) {
    ctx.strokeStyle = 'rgba(0, 150, 200, 0.55)';
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 3]);
    const lines = [];
    if (cal.log) {
      const lo = Math.min(...cal.scale);
      const hi = Math.max(...cal.scale);
      for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
        for (let m = 1; m < 10; m++) {
          const v = m * 10 ** e;
          if (v >= lo * 0.999 && v <= hi * 1.001) lines.push({ v, major: m === 1 });
        }
      }
    } else {
      for (let i = 0; i <= 10; i++) lines.push({ v: cal.scale[0] + (i * (cal.scale[1] - cal.scale[0])) / 10, major: i % 5 === 0 });
    }
    for (const { v, major } of lines) {
      const p = viewer.toCanvas(xAt(cal, v), 0);
      ctx.globalAlpha = major ? 1 : 0.6;
      ctx.beginPath();
      ctx.moveTo(p.x, 0);
      ctx.lineTo(p.x, h);
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    ctx.setLineDash([]);
  }
  if (haveTrack || Number.isFinite(x0) || Number.isFinite(x1)) {
    ctx.strokeStyle = '#1d5fd1';
    ctx.lineWidth = 2;
    [x0, x1].forEach((x, i) => {
      if (!Number.isFinite(x)) return;
      const p = viewer.toCanvas(x, 0);
      ctx.beginPath();
      ctx.moveTo(p.x, 0);
      ctx.lineTo(p.x, h);
      ctx.stroke();
      const v = cal.scale?.[i];
      if (Number.isFinite(v)) label(ctx, String(v), p.x + (i === 0 ? 4 : -4), 14, i === 0 ? 'left' : 'right', '#1d5fd1');
    });
  }
  const ties = (cal.depth || []).filter((t) => Number.isFinite(t[0]));
  // Depth grid from the tie points, at a round interval at least ~60 px apart on screen.
  const usable = ties.filter((t) => Number.isFinite(t[1]));
  if (usable.length >= 2 && new Set(usable.map((t) => t[0])).size === usable.length && new Set(usable.map((t) => t[1])).size === usable.length) {
    const c = { depth: usable };
    const dTop = depthAt(c, viewer.toImage(0, 0).y);
    const dBot = depthAt(c, viewer.toImage(0, h).y);
    const perPx = Math.abs(dBot - dTop) / h;
    const step = niceStep(perPx * 60);
    const lo = Math.min(dTop, dBot);
    const hi = Math.max(dTop, dBot);
    ctx.strokeStyle = 'rgba(230, 130, 0, 0.45)';
    ctx.lineWidth = 1;
    for (let d = Math.ceil(lo / step) * step; d <= hi; d += step) {
      const p = viewer.toCanvas(0, rowAt(c, d));
      ctx.beginPath();
      ctx.moveTo(0, p.y);
      ctx.lineTo(w, p.y);
      ctx.stroke();
      label(ctx, fmtDepth(d), w - 4, p.y - 3, 'right', '#a35c00');
    }
  }
  ctx.strokeStyle = '#e07b00';
  ctx.lineWidth = 2;
  for (const [y, d] of ties) {
    const p = viewer.toCanvas(0, y);
    ctx.beginPath();
    ctx.moveTo(0, p.y);
    ctx.lineTo(w, p.y);
    ctx.stroke();
    label(ctx, Number.isFinite(d) ? `${fmtDepth(d)} (tie)` : 'depth?', 4, p.y - 4, 'left', '#b35f00');
  }
  ctx.restore();
}

function fmtDepth(d) {
  return Math.abs(d - Math.round(d)) < 1e-6 ? String(Math.round(d)) : d.toFixed(2);
}

function label(ctx, text, x, y, align, color) {
  ctx.textAlign = align;
  const m = ctx.measureText(text).width;
  ctx.fillStyle = 'rgba(255,255,255,0.85)';
  ctx.fillRect(align === 'right' ? x - m - 2 : x - 2, y - 11, m + 4, 14);
  ctx.fillStyle = color;
  ctx.fillText(text, x, y);
}

/**
 * How a curve with backup scales lies on the scan: the core's path puts a wrapped stretch's
 * columns k track widths right of the track, k its backup scale (crate/src/pipeline.rs); it is
 * drawn back over its ink, `{x0, w, copies}`. Null without backup scales.
 */
function foldOf(cal) {
  const n = cal?.backup?.length || 0;
  if (!n || !cal.track.every(Number.isFinite) || cal.track[1] <= cal.track[0]) return null;
  return { x0: cal.track[0], w: cal.track[1] - cal.track[0], copies: n + 1 };
}

function drawPath(ctx, viewer, ed, h, color = 'rgba(230, 20, 60, 0.9)', width = 2, fold = null) {
  const top = viewer.toImage(0, 0).y;
  const bottom = viewer.toImage(0, h).y;
  const i0 = Math.max(0, ed.index(top) - 1);
  const i1 = Math.min(ed.xs.length - 1, ed.index(bottom) + 1);
  ctx.save();
  ctx.strokeStyle = color || 'rgba(230, 20, 60, 0.9)';
  ctx.lineWidth = width;
  ctx.lineJoin = 'round';
  ctx.beginPath();
  let pen = false;
  let copy = 0;
  // Thin the path on screen to about one point per screen pixel row.
  const stride = Math.max(1, Math.floor(1 / (viewer.view.scale * ed.rowsPerTrackRow)));
  for (let i = i0; i <= i1; i += stride) {
    let x = ed.xs[i];
    if (!Number.isFinite(x)) {
      pen = false;
      continue;
    }
    if (fold) {
      const k = Math.min(fold.copies - 1, Math.max(0, Math.floor((x - fold.x0) / fold.w)));
      x -= k * fold.w;
      // Where the curve wraps the pen jumps to the track's other edge.
      if (k !== copy) pen = false;
      copy = k;
    }
    const p = viewer.toCanvas(x, ed.y(i));
    if (pen) ctx.lineTo(p.x, p.y);
    else ctx.moveTo(p.x, p.y);
    pen = true;
  }
  ctx.stroke();
  ctx.restore();
}
