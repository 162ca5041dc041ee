// The traced curve as an editable path: one x per row of the resized track the
// model saw (NaN where there is no curve), with undo/redo. Rows map back to scan
// rows exactly as the core's `Track::source_y` does.

const MAX_UNDO = 200;

export class PathEditor {
  /**
   * @param {Array<[number, number]>} path  [[x, y], ...] in scan pixels, as a run returns it
   * @param {{track_rows: number, rows_per_track_row: number}} stats
   */
  constructor(path, stats) {
    this.rowsPerTrackRow = stats.rows_per_track_row;
    this.xs = new Float64Array(stats.track_rows).fill(NaN);
    for (const [x, y] of path) {
      const i = this.index(y);
      if (i >= 0 && i < this.xs.length) this.xs[i] = x;
    }
    this.undoStack = [];
    this.redoStack = [];
  }

  /** Scan row of track row i. */
  y(i) {
    return (i + 0.5) * this.rowsPerTrackRow - 0.5;
  }

  /** Nearest track row of scan row y. */
  index(y) {
    return Math.round((y + 0.5) / this.rowsPerTrackRow - 0.5);
  }

  /** The curve's x at scan row y (NaN in a gap). */
  xAt(y) {
    const i = this.index(y);
    return i >= 0 && i < this.xs.length ? this.xs[i] : NaN;
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
