// Draws the core's proposed calibration over the scan: each track's edges through
// their measured points (a skewed scan's overlay follows the slant), the track's grid
// divisions (linear, or log decades), the depth lines of the log section by weight,
// and the depth ties as `row = depth` labels. If the grid sits on the printed one,
// the proposal fits. The readers of the proposal's parts are here too (the page's
// project/proposal.js uses them), so the view needs nothing outside view/.

/** The found value of a core `Finding` (`{found}` or `{absent}`), else null. */
export const found = (f) => (f && 'found' in f ? f.found : null);

/**
 * The column of an edge line at `row`, through its measured points (as the core's
 * `EdgeLine::x_along`): the overlay follows a skewed or wobbling print.
 */
export function xAlong(edge, row) {
  const p = edge.points || [];
  const n = p.length;
  if (n < 2) return edge.x0 + edge.slope * row;
  const slope = (a, b) => (b[0] > a[0] ? (b[1] - a[1]) / (b[0] - a[0]) : edge.slope);
  const j = p.findIndex((q) => q[0] > row);
  if (j === 0) return p[0][1] + slope(p[0], p[1]) * (row - p[0][0]);
  if (j < 0) return p[n - 1][1] + slope(p[n - 2], p[n - 1]) * (row - p[n - 1][0]);
  const f = (row - p[j - 1][0]) / (p[j][0] - p[j - 1][0]);
  return p[j - 1][1] * (1 - f) + p[j][1] * f;
}

/** The proposal's tracks (an empty list when none were found). */
export const tracks = (proposal) => found(proposal?.layout.tracks) || [];

/** The proposal's depth ties `[{row, depth, confidence, read}]` (empty when none were read). */
export const ties = (proposal) => found(proposal?.depth)?.ties || [];

/**
 * What the proposal did not find, in words: `[{what, why}]`, one per absent finding
 * (the scan's skew, tracks, each track's grid, depth lines, depth column, depth ties).
 */
export function absent(proposal) {
  if (!proposal) return [];
  const out = [];
  const add = (what, f) => f && 'absent' in f && out.push({ what, why: f.absent });
  const l = proposal.layout;
  add('skew', l.skew);
  add('tracks', l.tracks);
  tracks(proposal).forEach((t, i) => add(`track ${i + 1} grid`, t.grid));
  add('depth lines', l.depth_lines);
  add('depth column', l.depth_column);
  add('depth ties', proposal.depth);
  return out;
}

/**
 * The log section (`{rows, spacing, count}`) that holds the middle depth tie, else the
 * one with the most lines; null when no depth lines were found.
 */
export function section(proposal) {
  const lines = found(proposal?.layout.depth_lines);
  if (!lines || !lines.sections.length) return null;
  const rows = ties(proposal).map((t) => t.row).sort((a, b) => a - b);
  const mid = rows[Math.floor(rows.length / 2)];
  return (mid !== undefined && lines.sections.find((s) => s.rows[0] <= mid && mid <= s.rows[1]))
    || lines.sections.reduce((a, b) => (b.count > a.count ? b : a));
}

const EDGE = 'rgba(200, 0, 160, 0.9)';
const GRID = 'rgba(200, 0, 160, 0.45)';
const DEPTH = 'rgba(0, 120, 220, 0.55)';
const TIE = '#0050c8';

/** Fractions of the track's width where its grid's vertical lines are. */
function divisions(grid) {
  if (!grid) return [];
  if (grid.kind === 'linear') return Array.from({ length: grid.divisions - 1 }, (_, i) => (i + 1) / grid.divisions);
  const out = [];
  const start = Math.log10(grid.start_mantissa || 1);
  for (let d = 0; d <= grid.decades; d++) {
    for (let k = 1; k <= 9; k++) {
      const f = (d + Math.log10(k) - start) / grid.decades;
      if (f > 1e-6 && f < 1 - 1e-6) out.push(f);
    }
  }
  return out;
}

/** A line down the scan at fraction `f` between two edges, over the rows on screen. */
function strokeDown(ctx, viewer, left, right, f, top, bottom) {
  const n = 24;
  ctx.beginPath();
  for (let i = 0; i <= n; i++) {
    const row = top + ((bottom - top) * i) / n;
    const x = xAlong(left, row) * (1 - f) + xAlong(right, row) * f;
    const p = viewer.toCanvas(x, row);
    if (i === 0) ctx.moveTo(p.x, p.y);
    else ctx.lineTo(p.x, p.y);
  }
  ctx.stroke();
}

/** An edge through its measured points (and on beyond them), over the rows on screen. */
function strokeEdge(ctx, viewer, edge, top, bottom) {
  const rows = [top, ...edge.points.map((q) => q[0]).filter((r) => r > top && r < bottom), bottom];
  ctx.beginPath();
  rows.forEach((row, i) => {
    const p = viewer.toCanvas(xAlong(edge, row), row);
    if (i === 0) ctx.moveTo(p.x, p.y);
    else ctx.lineTo(p.x, p.y);
  });
  ctx.stroke();
}

function tag(ctx, text, x, y, color) {
  const m = ctx.measureText(text).width;
  ctx.fillStyle = 'rgba(255,255,255,0.9)';
  ctx.fillRect(x - 2, y - 11, m + 4, 14);
  ctx.fillStyle = color;
  ctx.fillText(text, x, y);
}

/** Draws `proposal` on the viewer's canvas (`w` x `h` CSS pixels). */
export function drawProposal(ctx, viewer, proposal, w, h) {
  const img = viewer.img;
  if (!img) return;
  const top = Math.max(0, viewer.toImage(0, 0).y);
  const bottom = Math.min(img.height, viewer.toImage(0, h).y);
  if (bottom <= top) return;
  const ts = tracks(proposal);
  ctx.save();
  ctx.font = '11px system-ui, sans-serif';
  // Depth lines of the log section, across the tracks.
  const lines = found(proposal.layout.depth_lines);
  const sec = section(proposal);
  if (lines && sec && ts.length) {
    const x0 = Math.min(...ts.map((t) => xAlong(t.left, (top + bottom) / 2)));
    const x1 = Math.max(...ts.map((t) => xAlong(t.right, (top + bottom) / 2)));
    const pxPerLine = sec.spacing * viewer.view.scale;
    for (const l of lines.lines) {
      if (l.row < sec.rows[0] - 0.5 || l.row > sec.rows[1] + 0.5 || l.row < top - 50 || l.row > bottom + 50) continue;
      // Light lines only when they are far enough apart on screen to tell.
      if (l.weight === 'light' && pxPerLine < 4) continue;
      ctx.strokeStyle = DEPTH;
      ctx.lineWidth = l.weight === 'heavy' ? 2 : l.weight === 'medium' ? 1.4 : 0.8;
      const a = viewer.toCanvas(x0, l.row + l.slope * (x0 - lines.at_column));
      const b = viewer.toCanvas(x1, l.row + l.slope * (x1 - lines.at_column));
      ctx.beginPath();
      ctx.moveTo(a.x, a.y);
      ctx.lineTo(b.x, b.y);
      ctx.stroke();
    }
  }
  ts.forEach((t, i) => {
    ctx.setLineDash([3, 4]);
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    for (const f of divisions(found(t.grid))) strokeDown(ctx, viewer, t.left, t.right, f, top, bottom);
    ctx.setLineDash([]);
    ctx.strokeStyle = EDGE;
    ctx.lineWidth = 2;
    strokeEdge(ctx, viewer, t.left, top, bottom);
    strokeEdge(ctx, viewer, t.right, top, bottom);
    const g = found(t.grid);
    const p = viewer.toCanvas(xAlong(t.left, top), top);
    tag(ctx, `track ${i + 1}${g ? (g.kind === 'linear' ? ` · ${g.divisions} div` : ` · log ${g.decades} dec`) : ' · no grid'}`, p.x + 4, 14, EDGE);
  });
  // Depth ties: a mark on the row and its depth, by the depth column.
  const col = found(proposal.layout.depth_column);
  for (const t of ties(proposal)) {
    if (t.row < top - 20 || t.row > bottom + 20) continue;
    const xa = col ? xAlong(col.left, t.row) : ts.length ? xAlong(ts[0].right, t.row) : 0;
    const xb = col ? xAlong(col.right, t.row) : xa + 60;
    const a = viewer.toCanvas(xa, t.row);
    const b = viewer.toCanvas(xb, t.row);
    ctx.strokeStyle = TIE;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    tag(ctx, `${Math.round(t.row)} = ${t.depth}${t.read ? '' : ' (placed)'}`, b.x + 4, a.y - 3, TIE);
  }
  ctx.restore();
}
