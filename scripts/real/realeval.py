"""Real-scan benchmark: veer and a nearest-dark-pixel tracer against true curves on real prints.

The prints live outside this repository (`../shared/data/real/`, see its README); what this folder
keeps is their geometry (`prints.json`) and, per print, a true curve made by a person (`truth/`,
how: `README.md`). Everything is in scan pixels: a trace is one column (sub-pixel) per scan row.

Subcommands (`scripts/eval-real` runs `eval`):

    eval     run veer (and the nearest-dark-pixel tracer) on every print, score against the truth,
             write overlays of trace and truth on the scan for looking at
    start    write a print's starting trace (veer's, seeded) for the stretches without truth yet
    truth    rebuild truth/<print>.csv from its starting trace and the person's edits
    review   overlays of one print's truth (and any trace) for checking by eye

Scoring (per print, over the rows of its true stretches):

* error of a row: the distance in track widths from the traced column to the span of columns the
  true curve passes through within that row (half a row up and down, linearly between row
  centres): where the pen sweeps sideways, any column it drew in that row is on the curve;
* mean error: over traced rows; off: the share of traced rows whose error exceeds 0.05 track widths;
  coverage: the share of true rows that were traced at all;
* marked: the share of traced rows veer marks uncertain (its JSON's `uncertain` depth ranges); and the
  share of the rows off the curve that are marked.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATA = Path(os.environ.get("VEER_REAL_DATA", REPO.parent / "shared" / "data" / "real"))
OFF = 0.05  # rows off the curve: error above this many track widths (the issue's bound)

Image.MAX_IMAGE_PIXELS = None


def load_prints():
    return json.loads((HERE / "prints.json").read_text())["prints"]


def scan_path(p):
    path = DATA / p["file"]
    if not path.exists():
        sys.exit(f"eval-real: {path} not found: the real prints are not in this repository; put them in "
                 f"../shared/data/real/ beside it or point VEER_REAL_DATA at their folder")
    return path


def load_ink(p):
    """The scan as a boolean ink array (True = dark), rows x columns."""
    return np.asarray(Image.open(scan_path(p)).convert("L")) < 128


def truth_rows(p):
    rows = []
    for top, bottom in p["stretches"]:
        rows.extend(range(top, bottom + 1))
    return np.array(rows)


# ---------------------------------------------------------------------------------------------
# Traces


def row_runs(row, x0, x1):
    """Dark runs [lo, hi] (inclusive) of one scan row between columns x0 and x1."""
    seg = row[x0:x1 + 1].astype(np.int8)
    d = np.diff(np.concatenate(([0], seg, [0])))
    lo = np.flatnonzero(d == 1)
    hi = np.flatnonzero(d == -1) - 1
    return lo + x0, hi + x0


NEAREST_BLOCK = 500  # rows over which the nearest-dark tracer finds the grid columns it skips


def nearest_dark(ink, track, seed):
    """The plain tracer: from the seed, up and down, the centre of the dark run nearest the
    previous row's position, anywhere inside the track (its edge lines excluded), ignoring the
    vertical grid lines: columns dark along more than half of the NEAREST_BLOCK rows around."""
    x0, x1 = track[0] + 3, track[1] - 3
    h = ink.shape[0]
    clean = ink[:, x0:x1 + 1].copy()
    for b in range(0, h, NEAREST_BLOCK):
        blk = clean[b:b + NEAREST_BLOCK]
        grid = blk.mean(axis=0) > 0.5
        grid |= np.concatenate(([False], grid[:-1])) | np.concatenate((grid[1:], [False]))
        blk[:, grid] = False
    out = np.full(h, np.nan)
    sx, sy = seed
    for step in (1, -1):
        pos = float(sx)
        r = sy
        while 0 <= r < h:
            lo, hi = row_runs(clean[r], 0, x1 - x0)
            if len(lo):
                d = np.maximum(0, np.maximum(lo + x0 - pos, pos - hi - x0))
                k = int(np.argmin(d))
                pos = (lo[k] + hi[k]) / 2 + x0
                out[r] = pos
            r += step
    return out


def run_veer(p, veer, model=None, extra=(), seeded=True):
    """veer digitise on the whole print (seeded unless told otherwise), one value per scan row
    (value = scan column; NaN where veer left a gap), and the rows veer marks uncertain."""
    x0, x1 = p["track"]
    sx, sy = p["seed"]
    h = Image.open(scan_path(p)).size[1]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "trace.json"
        cmd = [veer, "digitise", str(scan_path(p)), "--track", f"{x0}:{x1}", "--scale", f"{x0}:{x1}",
               "--depth", f"0=0,{h - 1}={h - 1}", "--step", "1", "--quiet", "-o", str(out), *extra]
        if seeded:
            cmd += ["--seed", f"{sx},{sy}"]
        if model:
            cmd += ["--model", model]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"eval-real: veer failed on {p['name']}: {res.stderr.strip()}")
        doc = json.loads(out.read_text())
    cols = np.full(h, np.nan)
    for s in doc["curve"]:
        r = int(round(s["depth"]))
        if 0 <= r < h:
            cols[r] = s["value"]
    marked = np.zeros(h, dtype=bool)
    for a, b in doc.get("uncertain", []):
        marked[max(0, int(np.floor(a))):min(h, int(np.ceil(b)) + 1)] = True
    return cols, marked


def save_trace(path, rows, cols):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row", "x"])
        for r in rows:
            if np.isfinite(cols[r]):
                w.writerow([int(r), f"{cols[r]:.2f}"])


def load_trace(path, h):
    cols = np.full(h, np.nan)
    with open(path) as f:
        for rec in csv.DictReader(f):
            cols[int(rec["row"])] = float(rec["x"])
    return cols


# ---------------------------------------------------------------------------------------------
# Truth


def load_truth(p, h):
    """Columns of the true curve per scan row (NaN outside the stretches) and its kinds."""
    cols = np.full(h, np.nan)
    kind = np.full(h, "", dtype=object)
    with open(HERE / "truth" / f"{p['name']}.csv") as f:
        for rec in csv.DictReader(f):
            r = int(rec["row"])
            cols[r] = float(rec["x"])
            kind[r] = rec["kind"]
    return cols, kind


def load_edits(p):
    """The person's edits: {id: [(row, x), ...]} in file order (truth/<print>.edits.csv)."""
    path = HERE / "truth" / f"{p['name']}.edits.csv"
    edits = {}
    if path.exists():
        with open(path) as f:
            for rec in csv.DictReader(row for row in f if not row.startswith("#")):
                edits.setdefault(rec["edit"], []).append((int(rec["row"]), float(rec["x"]),
                                                          rec.get("mode") or "follow"))
    return edits


PEN = 6  # widest stroke of a steep curve on these prints, px (stuckey-1's pen: 4-6 px)
SNAP_TOL = 6  # a guide this far or nearer from an ink run snaps onto it, px


def snap(ink, track, guide, rows):
    """The true column per row from a guide the person checked: the centre of the ink run the
    guide lies on (or within SNAP_TOL of), when that run is no wider than the stroke the guide's
    own slope draws in the row; otherwise (the curve merged with a grid line, a hatch, a scan bar)
    the guide itself, kept inside the run. Kind: `ink` when snapped or kept inside a run, `guide`
    when no ink was near (a faded or hidden stretch: the person's line)."""
    x0, x1 = track
    out, kinds = {}, {}
    for r in rows:
        g = guide[r]
        if not np.isfinite(g):
            continue
        lo, hi = row_runs(ink[r], x0 + 1, x1 - 1)
        slope = 0.5 * abs(neighbour(guide, r + 1, g) - neighbour(guide, r - 1, g))
        if len(lo):
            d = np.maximum(0, np.maximum(lo - g, g - hi))
            k = int(np.argmin(d))
            if d[k] <= SNAP_TOL:
                if hi[k] - lo[k] + 1 <= PEN + slope + 2:
                    out[r], kinds[r] = (lo[k] + hi[k]) / 2, "ink"
                else:
                    out[r], kinds[r] = float(np.clip(g, lo[k], hi[k])), "ink"
                continue
        out[r], kinds[r] = float(g), "guide"
    return out, kinds


def neighbour(guide, r, default):
    """The guide's column at row r, or `default` where it has none (a stretch's end, a gap)."""
    v = guide.get(r, default)
    return v if np.isfinite(v) else default


ANCHOR_TOL = 4  # a followed edit passes within this many columns of each of its points, px
ALONG_INK = 0.02  # cost per column of a move along one ink run (the pen's own stroke)
OVER_PAPER = 1.0  # cost per column of a move that leaves the ink (a jump)
PAPER = 1.0  # cost of a row whose column holds no ink
OFF_GUIDE = 0.01  # cost per column beyond GUIDE_BAND from the line through the edit's points
GUIDE_BAND = 30
ON_GRID = 0.6  # cost of a row on a vertical grid line's ink (the curve crosses grid lines, never rides them)
GRID_SHARE = 0.5  # a column dark along this share of the rows around an edit is a grid line


def follow(ink, track, pts):
    """The person's `follow` edit: the cheapest path through the scan's own ink from the edit's
    first point to its last that passes within ANCHOR_TOL columns of every point (a Viterbi over
    the rows, states the track's columns; moving along an ink run is nearly free, leaving the ink
    is not). Where the pen sweeps sideways the path runs along the stroke, so a swing is followed
    out to the tip the person pointed at and back. Returns {row: column}."""
    x0, x1 = track[0] + 1, track[1] - 1
    cols = np.arange(x0, x1 + 1)
    rows = np.arange(pts[0][0], pts[-1][0] + 1)
    line = np.interp(rows, [q[0] for q in pts], [q[1] for q in pts])
    anchor = {q[0]: q[1] for q in pts}
    dx = np.abs(cols[:, None] - cols[None, :]).astype(float)
    around = ink[max(0, rows[0] - 300):rows[-1] + 300, x0:x1 + 1]
    grid = around.mean(axis=0) > GRID_SHARE
    grid |= np.concatenate(([False], grid[:-1])) | np.concatenate((grid[1:], [False]))

    def run_ids(r):
        row = ink[r, x0:x1 + 1]
        ids = np.cumsum(np.concatenate(([row[0]], row[1:] & ~row[:-1])))
        return np.where(row, ids, -1)

    def emit(i, r):
        c = np.where(ink[r, x0:x1 + 1], np.where(grid, ON_GRID, 0.0), PAPER)
        c += OFF_GUIDE * np.maximum(0, np.abs(cols - line[i]) - GUIDE_BAND)
        if r in anchor:
            c[np.abs(cols - anchor[r]) > ANCHOR_TOL] = np.inf
        return c

    cost = emit(0, rows[0])
    back = np.zeros((len(rows), len(cols)), dtype=np.int32)
    prev_ids = run_ids(rows[0])
    for i, r in enumerate(rows[1:], start=1):
        ids = run_ids(r)
        same = ((ids[:, None] == ids[None, :]) & (ids[:, None] >= 0)) | \
               ((prev_ids[:, None] == prev_ids[None, :]) & (prev_ids[:, None] >= 0)) | (dx <= 1)
        trans = np.where(same, ALONG_INK, OVER_PAPER) * dx  # [from, to]
        tot = cost[:, None] + trans
        back[i] = np.argmin(tot, axis=0)
        cost = tot[back[i], np.arange(len(cols))] + emit(i, r)
        prev_ids = ids
    c = int(np.argmin(cost))
    out = {}
    for i in range(len(rows) - 1, -1, -1):
        out[int(rows[i])] = float(cols[c])
        c = back[i, c]
    return out


def no_truth_rows(p):
    """Rows the person left without truth (the curve off the track, e.g. wrapped onto a backup
    scale): `# no truth: TOP-BOTTOM` lines of the edits file."""
    path = HERE / "truth" / f"{p['name']}.edits.csv"
    out = set()
    if path.exists():
        for line in path.read_text().splitlines():
            if line.lower().startswith("# no truth:"):
                a, b = line.split(":", 1)[1].split()[0].split("-")
                out.update(range(int(a), int(b) + 1))
    return out


def build_truth(p, ink):
    h = ink.shape[0]
    skip = no_truth_rows(p)
    rows = np.array([r for r in truth_rows(p) if r not in skip])
    start = load_trace(HERE / "truth" / f"{p['name']}.start.csv", h)
    guide = {int(r): start[r] for r in rows}
    exact = {}
    for _, pts in load_edits(p).items():
        pts.sort()
        mode = pts[0][2]
        if mode == "follow":
            path = follow(ink, p["track"], pts)
        else:
            rr = np.arange(pts[0][0], pts[-1][0] + 1)
            path = dict(zip(rr.tolist(), np.interp(rr, [q[0] for q in pts], [q[1] for q in pts]).tolist()))
        for r, x in path.items():
            guide[r] = x
            if mode == "exact":
                exact[r] = x
            else:
                exact.pop(r, None)
    cols, kinds = snap(ink, p["track"], guide, rows)
    for r, x in exact.items():
        cols[r], kinds[r] = x, "guide"
    with open(HERE / "truth" / f"{p['name']}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row", "x", "kind"])
        for r in rows:
            if r in cols:
                w.writerow([int(r), f"{cols[r]:.1f}", kinds[r]])
    n = len(cols)
    print(f"{p['name']}: {n} true rows, {sum(k == 'guide' for k in kinds.values())} from the person's guide alone")


# ---------------------------------------------------------------------------------------------
# Scoring


def row_errors(trace, truth, rows, width):
    """Per true row: distance (track widths) from the trace to the true curve's span in that row."""
    t = truth[rows]
    up = np.concatenate(([t[0]], (t[:-1] + t[1:]) / 2))
    dn = np.concatenate(((t[:-1] + t[1:]) / 2, [t[-1]]))
    # rows that start a new stretch: no half-row above
    brk = np.concatenate(([True], np.diff(rows) != 1))
    up[brk] = t[brk]
    brk_dn = np.concatenate((np.diff(rows) != 1, [True]))
    dn[brk_dn] = t[brk_dn]
    lo = np.minimum(t, np.minimum(up, dn))
    hi = np.maximum(t, np.maximum(up, dn))
    x = trace[rows]
    err = np.maximum(0, np.maximum(lo - x, x - hi)) / width
    return err  # NaN where the trace has no value


def score(trace, truth, rows, width, marked=None):
    """The figures of one trace; with `marked` (rows the tracer marks uncertain), also the share
    of traced rows marked and the share of rows off the curve that are marked."""
    rows = rows[np.isfinite(truth[rows])]
    err = row_errors(trace, truth, rows, width)
    traced = np.isfinite(err)
    off = traced & (err > OFF)
    s = {
        "rows": int(len(rows)),
        "mean_error": float(np.mean(err[traced])) if traced.any() else float("nan"),
        "off": float(off.sum() / max(1, traced.sum())),
        "coverage": float(traced.mean()),
    }
    if marked is not None:
        m = marked[rows]
        s["marked"] = float((m & traced).sum() / max(1, traced.sum()))
        s["off_marked"] = float((m & off).sum() / off.sum()) if off.any() else 1.0
    return s, err


# ---------------------------------------------------------------------------------------------
# Overlays

COLOURS = {"truth": (0, 170, 0), "veer": (220, 0, 0), "nearest": (0, 90, 255), "start": (220, 0, 0)}


def overlay(ink, track, rows, traces, out, err=None, marked=None, margin=44):
    """Full-resolution picture of the track over rows: scan gray, each trace a dot per row; a
    ruler of scan rows (every 25) on the left and of scan columns (every 50) in light ticks;
    rows veer has off the curve marked in the left margin (red), and beside them the rows veer
    marks uncertain (orange)."""
    x0, x1 = track
    r0, r1 = rows
    a = ink[r0:r1 + 1, max(0, x0 - 4):x1 + 5]
    img = Image.fromarray(np.where(a, 150, 255).astype(np.uint8)).convert("RGB")
    pad = Image.new("RGB", (img.width + 2 * margin, img.height), (255, 255, 255))
    pad.paste(img, (margin, 0))
    d = ImageDraw.Draw(pad)
    ox = margin - max(0, x0 - 4)
    for r in range(r0 - r0 % 25, r1 + 1, 25):
        if r >= r0:
            d.line([margin - 6, r - r0, margin - 1, r - r0], fill=(0, 0, 0))
            d.text((2, max(0, r - r0 - 5)), str(r), fill=(0, 0, 0))
    for c in range((x0 // 50 + 1) * 50, x1 + 1, 50):
        for y in range(0, pad.height, 6):
            d.point((c + ox, y), fill=(255, 0, 255))
        for y in range(12, pad.height, 100):
            d.text((c + ox + 2, y), str(c), fill=(255, 0, 255))
    for name, cols in traces.items():
        c = COLOURS.get(name, (120, 0, 160))
        for r in range(r0, r1 + 1):
            if np.isfinite(cols[r]):
                x = cols[r] + ox
                d.rectangle([x - 1, r - r0, x + 1, r - r0], fill=c)
    if err is not None:
        for r in range(r0, r1 + 1):
            if np.isfinite(err[r]) and err[r] > OFF:
                d.line([margin - 12, r - r0, margin - 8, r - r0], fill=(220, 0, 0))
    if marked is not None:
        for r in range(r0, r1 + 1):
            if marked[r]:
                d.line([margin - 18, r - r0, margin - 14, r - r0], fill=(255, 140, 0))
    pad.save(out)


# ---------------------------------------------------------------------------------------------
# Commands


def cmd_start(args):
    for p in load_prints():
        if args.print and p["name"] != args.print:
            continue
        cols, _ = run_veer(p, args.veer, args.model)
        path = HERE / "truth" / f"{p['name']}.start.csv"
        save_trace(path, truth_rows(p), cols)
        print(f"{p['name']}: starting trace written to {path}")


def cmd_truth(args):
    for p in load_prints():
        if args.print and p["name"] != args.print:
            continue
        build_truth(p, load_ink(p))


def cmd_review(args):
    p = next(q for q in load_prints() if q["name"] == args.print)
    ink = load_ink(p)
    h = ink.shape[0]
    traces = {}
    if (HERE / "truth" / f"{p['name']}.csv").exists() and not args.no_truth:
        traces["truth"] = load_truth(p, h)[0]
    if args.trace:
        traces["start"] = load_trace(args.trace, h)
    os.makedirs(args.out, exist_ok=True)
    top, bottom = [int(v) for v in args.rows.split(":")]
    for r in range(top, bottom + 1, args.size):
        overlay(ink, p["track"], (r, min(bottom, r + args.size - 1)), traces,
                Path(args.out) / f"{p['name']}-{r}.png")
    print(f"overlays in {args.out}")


def fmt_marked(s):
    return (f"; marked uncertain {100 * s['marked']:.1f} % of rows, "
            f"{100 * s['off_marked']:.0f} % of the rows off") if "marked" in s else ""


def fmt(s):
    return f"{s['mean_error']:.4f} mean, {100 * s['off']:.1f} % off, {100 * s['coverage']:.1f} % coverage"


def cmd_eval(args):
    results = {}
    os.makedirs(args.out, exist_ok=True)
    ok = marks_ok = True
    for p in load_prints():
        ink = load_ink(p)
        h = ink.shape[0]
        truth, _ = load_truth(p, h)
        rows = truth_rows(p)
        width = p["track"][1] - p["track"][0]
        veer_cols, marked = run_veer(p, args.veer, args.model, seeded=not args.unseeded)
        near = nearest_dark(ink, p["track"], p["seed"])
        sv, ev = score(veer_cols, truth, rows, width, marked)
        sn, _ = score(near, truth, rows, width)
        results[p["name"]] = {"veer": sv, "nearest": sn}
        print(f"{p['name']} ({sv['rows']} true rows)")
        print(f"  veer     {fmt(sv)}{fmt_marked(sv)}")
        print(f"  nearest  {fmt(sn)}")
        errs = np.full(h, np.nan)
        errs[rows[np.isfinite(truth[rows])]] = ev
        for top, bottom in p["stretches"]:
            for r in range(top, bottom + 1, args.size):
                overlay(ink, p["track"], (r, min(bottom, r + args.size - 1)),
                        {"truth": truth, "nearest": near, "veer": veer_cols} if args.nearest else
                        {"truth": truth, "veer": veer_cols},
                        Path(args.out) / f"{p['name']}-{r}.png", errs, marked)
        good = sv["off"] <= 0.02 and sv["mean_error"] <= 0.01 and sv["coverage"] >= 0.98
        ok &= good
        marks_ok &= sv["marked"] <= 0.10 and sv["off_marked"] >= 0.80
    (Path(args.out) / "results.json").write_text(json.dumps(results, indent=2))
    print(f"overlays and results.json in {args.out} (truth green, veer red, nearest-dark blue with "
          f"--nearest; left margin: veer off the curve)")
    print("within the bounds (off <= 2 %, mean <= 0.01, coverage >= 98 %) on every print" if ok
          else "not within the bounds (off <= 2 %, mean <= 0.01, coverage >= 98 %) on every print")
    print("uncertain marks within the bounds (at most 10 % of rows marked, at least 80 % of the rows off "
          "among them) on every print" if marks_ok else
          "uncertain marks not within the bounds (at most 10 % of rows marked, at least 80 % of the rows "
          "off among them) on every print")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd")
    veer_default = str(REPO / "target" / "release" / "veer")

    e = sub.add_parser("eval", help="score veer and the nearest-dark-pixel tracer on every print")
    e.add_argument("--veer", default=veer_default)
    e.add_argument("--model", default=None, help="checkpoint for veer (default: veer's)")
    e.add_argument("--out", default=str(REPO / "target" / "eval-real"))
    e.add_argument("--size", type=int, default=500, help="rows per overlay picture")
    e.add_argument("--nearest", action="store_true", help="draw the nearest-dark trace too")
    e.add_argument("--unseeded", action="store_true",
                   help="run veer without the seed (a single-curve track as a user may run it)")

    s = sub.add_parser("start", help="write the starting trace of a print's stretches (veer, seeded)")
    s.add_argument("--print", default=None)
    s.add_argument("--veer", default=veer_default)
    s.add_argument("--model", default=None)

    t = sub.add_parser("truth", help="rebuild truth/<print>.csv from the starting trace and the edits")
    t.add_argument("--print", default=None)

    r = sub.add_parser("review", help="overlays of a print's truth for checking by eye")
    r.add_argument("print")
    r.add_argument("--rows", required=True, help="TOP:BOTTOM")
    r.add_argument("--trace", default=None, help="a trace CSV (row,x) to draw beside it")
    r.add_argument("--no-truth", action="store_true")
    r.add_argument("--size", type=int, default=250)
    r.add_argument("--out", default=str(REPO / "target" / "real-review"))

    args = ap.parse_args()
    if args.cmd is None:
        args = ap.parse_args(["eval", *sys.argv[1:]])
    {"eval": cmd_eval, "start": cmd_start, "truth": cmd_truth, "review": cmd_review}[args.cmd](args)


if __name__ == "__main__":
    main()
