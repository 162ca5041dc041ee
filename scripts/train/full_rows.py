"""Where the error on the full-size golden print (`crate/tests/cases/full-g4`) comes from.

Re-renders the print (`render.full_print`, the same generator seed as the committed scan) and, for
each curve, takes the drawn polyline at the centre of every map row (the track resized to the model
width, rows scaled like `veer::preprocess`). Two figures per curve:

* **row-centre floor**: the NMAE against `<tag>.truth.csv` of a tracer that reported exactly that
  position in every row (then resampled to the truth depths the way `veer::export::resample` does,
  linearly between rows). No one-value-per-row tracer can do better at the model's resolution.
* with `--rows DIR`, the traced path per map row that `trace_debug show` prints with
  `SHOW_ROWS=0..ROWS` (one file `DIR/<tag>.txt` per curve): the mean distance to the row-centre
  position in map columns, the share of rows and of the error in rows off by more than 8 columns,
  and the median error in rows where the curve sweeps 8 or more columns per row.

    python3 scripts/train/full_rows.py
    for t in track1-gr track1-sp track2-rhob track2-nphi; do
      SHOW_ROWS=0..9000 target/release/examples/trace_debug show full-g4 $t.json $t.truth.csv fp32 /tmp/show \\
        > /tmp/rows/$t.txt; done
    python3 scripts/train/full_rows.py --rows /tmp/rows
"""
import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render  # noqa: E402

MODEL_W = 256
CASE = Path(__file__).resolve().parents[2] / "crate" / "tests" / "cases" / "full-g4"
ROW = re.compile(r"\s+row (\d+): trace Some\(([-\d.]+)\)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=7, help="render.py full --seed (7 made the committed case)")
    ap.add_argument("--rows", default=None, help="folder of `trace_debug show` SHOW_ROWS dumps, <tag>.txt")
    args = ap.parse_args()
    s, _, _, _ = render.full_print(args.seed)
    H = s["height"]
    for ti, t in enumerate(s["tracks"]):
        for c in t["curves"]:
            tag = f"track{ti + 1}-{c['mnemonic'].lower()}"
            cal = json.loads((CASE / f"{tag}.json").read_text())
            x0, x1 = cal["track"]
            w = round(x1) - round(x0) + 1
            hm = round(H * MODEL_W / w)
            src = (np.arange(hm) + 0.5) * H / hm - 0.5  # scan row at each map row's centre
            v = np.interp(src, np.arange(H), c["_vals"])
            f = np.log10 if c["log"] else (lambda a: np.asarray(a, float))
            (ra, da), (rb, db) = cal["depth"]
            depth = da + (src - ra) * (db - da) / (rb - ra)
            truth = np.loadtxt(CASE / f"{tag}.truth.csv", delimiter=",", skiprows=1)
            lo, hi = f(np.array(cal["scale"], float))
            ok = np.isfinite(v)
            pred = np.interp(truth[:, 0], depth[ok], f(v[ok]))
            floor = float(np.mean(np.abs(pred - f(truth[:, 1])) / abs(hi - lo)))
            line = f"{tag:12} row-centre floor NMAE {floor:.4f}"
            dump = Path(args.rows) / f"{tag}.txt" if args.rows else None
            if dump and dump.is_file():
                col = x0 + (f(v) - lo) / (hi - lo) * (x1 - x0)  # scan column of the curve
                want = (col - round(x0) + 0.5) * MODEL_W / w - 0.5  # map column
                traced = np.full(hm, np.nan)
                for m in map(ROW.match, dump.read_text().splitlines()):
                    if m and int(m[1]) < hm:
                        traced[int(m[1])] = float(m[2])
                inside = np.isfinite(traced) & (want >= 0) & (want <= MODEL_W - 1)
                e = np.abs(traced - want)[inside]
                steep = (np.abs(np.gradient(want)) >= 8)[inside]
                far = e > 8
                line += (f"; traced rows {inside.sum()}: mean {e.mean():.2f} columns, off > 8: {far.mean():.1%} of rows, "
                         f"{e[far].sum() / max(e.sum(), 1e-9):.0%} of the error; sweeping rows {steep.mean():.0%}, "
                         f"median {np.median(e[steep]) if steep.any() else float('nan'):.2f}")
            print(line)


if __name__ == "__main__":
    main()
