// The traced curve as an editable path: one x per row of the resized track the
// model saw (NaN where there is no curve), with undo/redo. Rows map back to scan
// rows exactly as the core's `Track::source_y` does; a run over an interval starts
// its track rows at the interval's top, so the rows' phase is taken from the path.

const MAX_UNDO = 200;

export class PathEditor {
  /**
   * @param {Array<[number, number]>} path  [[x, y], ...] in scan pixels, as a run returns it
   * @param {{rows_per_track_row: number, track_rows?: number, image_height?: number}} stats
   *   the run's stats (or an edited path's `rows_per_track_row` and the scan's height)
   */
  constructor(path, stats) {
    const r = stats.rows_per_track_row;
    this.rowsPerTrackRow = r;
    // Scan row y of track row i is i * r + phase - 0.5 (phase = r / 2 for a run from row 0).
    const y0 = path.length ? path[0][1] : r / 2 - 0.5;
    this.phase = ((((y0 + 0.5) % r) + r) % r);
    const rows = Math.max(stats.track_rows || 0, stats.image_height ? Math.ceil(stats.image_height / r) + 1 : 0);
    this.xs = new Float64Array(rows).fill(NaN);
    for (const [x, y] of path) {
      const i = this.index(y);
      if (i >= 0 && i < this.xs.length) this.xs[i] = x;
    }
    this.undoStack = [];
    this.redoStack = [];
  }

  /** Scan row of track row i. */
  y(i) {
    return i * this.rowsPerTrackRow + this.phase - 0.5;
  }

  /** Nearest track row of scan row y. */
  index(y) {
    return Math.round((y + 0.5 - this.phase) / this.rowsPerTrackRow);
  }

  /** The curve's x at scan row y (NaN in a gap). */
  xAt(y) {
    const i = this.index(y);
    return i >= 0 && i < this.xs.length ? this.xs[i] : NaN;
  }

  /** The core's `edited` form of the path: `{rows_per_track_row, path}`. */
  toEdited() {
    return { rows_per_track_row: this.rowsPerTrackRow, path: this.toPath() };
  }

  /** [[x, y], ...] for export, gaps left out. */
  toPath() {
    const out = [];
    for (let i = 0; i < this.xs.length; i++) if (Number.isFinite(this.xs[i])) out.push([this.xs[i], this.y(i)]);
    return out;
  }

  get canUndo() {
    return this.undoStack.length > 0;
  }

  get canRedo() {
    return this.redoStack.length > 0;
  }

  /** Call before an edit: the state to go back to. */
  checkpoint() {
    this.undoStack.push(this.xs.slice());
    if (this.undoStack.length > MAX_UNDO) this.undoStack.shift();
    this.redoStack = [];
  }

  undo() {
    if (!this.canUndo) return false;
    this.redoStack.push(this.xs);
    this.xs = this.undoStack.pop();
    return true;
  }

  redo() {
    if (!this.canRedo) return false;
    this.undoStack.push(this.xs);
    this.xs = this.redoStack.pop();
    return true;
  }

  /** Sets the curve along a pointer stroke from (xa, ya) to (xb, yb), linearly in between. */
  drawSegment(xa, ya, xb, yb) {
    let ia = this.index(ya);
    let ib = this.index(yb);
    if (ia > ib) {
      [ia, ib] = [ib, ia];
      [xa, xb] = [xb, xa];
    }
    const n = this.xs.length;
    for (let i = Math.max(0, ia); i <= Math.min(n - 1, ib); i++) {
      const t = ib === ia ? 1 : (i - ia) / (ib - ia);
      this.xs[i] = xa + t * (xb - xa);
    }
  }

  /** Removes the curve between scan rows ya and yb (they become a gap). */
  erase(ya, yb) {
    const a = Math.max(0, this.index(Math.min(ya, yb)));
    const b = Math.min(this.xs.length - 1, this.index(Math.max(ya, yb)));
    for (let i = a; i <= b; i++) this.xs[i] = NaN;
  }
}
