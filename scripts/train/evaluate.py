#!/usr/bin/env python3
"""Evaluate VeerNet on rendered VALIDATION-well prints (never the training wells).

1. pixels: curve-class IoU and F1 of the fp32 and int8 ONNX files (onnxruntime) on 512x256 tiles.
2. curves: normalised MAE and coverage of traced curves against the truth, on eval prints
   (single-curve tracks, multi-curve tracks traced from a seed) plus the golden cases, for
     - "model+py": the ONNX model (onnxruntime) + the reference Python tracer below,
     - "baseline": a classical tracer (no model): grid removal by dark fraction per row/column,
       then the nearest dark run row by row from the previous position,
     - "cli-fp32" / "cli-int8": the Rust CLI `veer digitise` (when --veer points at a binary).
   NMAE = mean |pred - true| / |right - left| (log tracks in decades); coverage = fraction of
   truth depths with a prediction; int8 vs fp32: fraction of depths whose traced x differs <= 1 px.

  python3 scripts/train/evaluate.py --pixels --curves [--veer target/release/veer] --out scripts/train/runs/eval.json
"""
from __future__ import annotations

import argparse
import copy
import csv
import json
import math
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render as R  # noqa: E402
from wells import VAL_WELLS  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TILE, OVERLAP = 512, 64
GAP_ROWS = 40  # print rows bridged by linear interpolation in the Python tracers


# ----------------------------------------------------------------------------------------------
# Model inference on a whole track (mirrors the core: pad to 16, tiles of 512 rows with overlap)
# ----------------------------------------------------------------------------------------------
def infer_track(sess, x):
    h, w = x.shape
    hp = int(math.ceil(h / 16) * 16)
    xp = np.zeros((hp, w), np.float32)
    xp[:h] = x
    out = np.zeros((hp, w), np.float32)
    if hp <= TILE:
        out[:] = sess.run(["curve"], {"image": xp[None, None]})[0][0, 0]
        return out[:h]
    starts = list(range(0, hp - TILE, TILE - 2 * OVERLAP)) + [hp - TILE]
    for i, a in enumerate(starts):
        p = sess.run(["curve"], {"image": xp[None, None, a:a + TILE]})[0][0, 0]
        lo = a + (OVERLAP if i > 0 else 0)
        hi = a + TILE - (OVERLAP if i < len(starts) - 1 else 0)
        out[lo:hi] = p[lo - a:hi - a]
    return out[:h]


# ----------------------------------------------------------------------------------------------
# Tracing: nearest run row by row from the previous position
# ----------------------------------------------------------------------------------------------
def row_runs(row):
    d = np.diff(np.concatenate([[0], row.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return starts, ends


def trace_binary(b, seed=None, max_gap=None):
    """b: bool [H, W]. Returns x (float, NaN where no curve) per row. Start at the seed (x, y)
    or at the first row with exactly one run, and walk both ways to the nearest run."""
    H, W = b.shape
    runs = [row_runs(b[y]) for y in range(H)]
    xs = np.full(H, np.nan)
    if max_gap is None:
        max_gap = max(8, W // 8)
    if seed is not None:
        y0 = int(np.clip(round(seed[1]), 0, H - 1))
        x0 = float(seed[0])
    else:
        y0 = next((y for y in range(H) if len(runs[y][0]) == 1), None)
        if y0 is None:
            y0 = next((y for y in range(H) if len(runs[y][0])), None)
            if y0 is None:
                return xs
        s, e = runs[y0]
        k = int(np.argmax(e - s))
        x0 = (s[k] + e[k]) / 2

    for direction in (1, -1):
        prev = x0
        miss = 0
        y = y0 if direction == 1 else y0 - 1
        while 0 <= y < H:
            s, e = runs[y]
            if len(s):
                dist = np.maximum(0, np.maximum(s - prev, prev - e))
                k = int(np.argmin(dist))
                if dist[k] <= max_gap * (1 + miss):
                    # the run's centre: with centred drawing a steep segment's run spans
                    # x(y - 1/2) .. x(y + 1/2), so its centre is the curve at this row
                    c = (s[k] + e[k]) / 2
                    xs[y] = c
                    prev = c
                    miss = 0
                else:
                    miss += 1
            else:
                miss += 1
            y += direction
    return xs


def bridge(xs, max_rows):
    """Linear interpolation across gaps (dashes, grid lines) of at most max_rows rows."""
    xs = xs.copy()
    ok = np.isfinite(xs)
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return xs
    for a, b in zip(idx[:-1], idx[1:]):
        if 1 < b - a <= max_rows + 1:
            xs[a + 1:b] = np.interp(np.arange(a + 1, b), [a, b], [xs[a], xs[b]])
    return xs


def baseline_mask(L, c0, c1):
    """Classical: dark pixels of the track minus grid rows/columns (dark fraction per row/column)."""
    sub = L[:, c0:c1 + 1].astype(np.float32)
    bg = np.median(sub)
    dark = sub < min(bg - 50, 150)
    col_frac = dark.mean(0)
    row_frac = dark.mean(1)
    dark[:, col_frac > 0.35] = False
    dark[row_frac > 0.35, :] = False
    # drop the track border zone
    dark[:, :3] = False
    dark[:, -3:] = False
    # isolated specks: keep pixels with at least one dark 8-neighbour
    from scipy import ndimage
    nb = ndimage.convolve(dark.astype(np.uint8), np.ones((3, 3), np.uint8), mode="constant") - dark
    dark &= nb > 0
    return dark


# ----------------------------------------------------------------------------------------------
# Calibration and metrics
# ----------------------------------------------------------------------------------------------
def depth_of_row(cal, rows):
    (r0, d0), (r1, d1) = cal["depth"][0], cal["depth"][-1]
    return d0 + (np.asarray(rows, float) - r0) * (d1 - d0) / (r1 - r0)


def value_of_x(cal, x):
    x0, x1 = cal["track"]
    l, r = cal["scale"]
    f = (np.asarray(x, float) - x0) / (x1 - x0)
    if cal.get("log"):
        return 10 ** (math.log10(l) + f * (math.log10(r) - math.log10(l)))
    return l + f * (r - l)


def x_of_value(cal, v):
    x0, x1 = cal["track"]
    l, r = cal["scale"]
    v = np.asarray(v, float)
    if cal.get("log"):
        f = (np.log10(v) - math.log10(l)) / (math.log10(r) - math.log10(l))
    else:
        f = (v - l) / (r - l)
    return x0 + f * (x1 - x0)


def resample(cal, rows_x, step, depths):
    """Per-row x (NaN gaps) -> values at the truth depths (NaN where not traced)."""
    rows = np.arange(len(rows_x))
    d = depth_of_row(cal, rows)
    r = np.interp(depths, d, rows)
    i = np.clip(np.floor(r).astype(int), 0, len(rows_x) - 2)
    f = r - i
    x = rows_x[i] * (1 - f) + rows_x[i + 1] * f
    # allow one-sided when the other neighbour is missing
    x = np.where(np.isnan(x) & (f < 0.5), rows_x[i], x)
    x = np.where(np.isnan(x) & (f >= 0.5), rows_x[i + 1], x)
    return value_of_x(cal, x)


def curve_metrics(cal, depths, truth, pred):
    ok = np.isfinite(pred)
    cov = ok.mean() if len(ok) else 0.0
    l, r = cal["scale"]
    if cal.get("log"):
        err = np.abs(np.log10(np.maximum(pred[ok], 1e-12)) - np.log10(truth[ok])) / abs(math.log10(r) - math.log10(l))
    else:
        err = np.abs(pred[ok] - truth[ok]) / abs(r - l)
    return {"nmae": float(err.mean()) if ok.any() else float("nan"), "coverage": float(cov), "n": int(len(depths))}


def read_csv(path):
    d, v = [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            d.append(float(row["depth"]))
            v.append(float(row["value"]))
    return np.array(d), np.array(v)


def align(depths, cd, cv, step):
    """Values of a CSV curve at the truth depths (NaN where absent)."""
    out = np.full(len(depths), np.nan)
    if len(cd) == 0:
        return out
    idx = np.searchsorted(cd, depths)
    for j in (idx - 1, idx):
        j = np.clip(j, 0, len(cd) - 1)
        hit = np.abs(cd[j] - depths) < step * 0.01
        out[hit] = cv[j][hit]
    return out


# ----------------------------------------------------------------------------------------------
# Eval prints
# ----------------------------------------------------------------------------------------------
def eval_prints(n, seed):
    """n rendered validation prints (no skew: the calibration is exact). Each track becomes a case:
    one curve -> 'single'; several -> 'crossing' (seed on curve 0)."""
    cases = []
    for i in range(n):
        rng = np.random.default_rng(seed * 7919 + i)
        well = VAL_WELLS[i % len(VAL_WELLS)]
        dmg = R.random_damage(rng)
        dmg["skew"] = 0.0
        s = R.make_spec(rng, well, height=int(rng.integers(1800, 3000)), damage=dmg)
        L, mask = R.render(s, rng)
        step = R.nice_step(s["dpp"], s["unit"])
        for ti, t in enumerate(s["tracks"]):
            if not t["curves"]:
                continue
            multi = len(t["curves"]) > 1
            seedpt = R.seed_point(s, ti, 0, rng) if multi else None
            cal = R.calibration(s, ti, 0, step, seedpt)
            ds, vs = R.truth(s, ti, 0, step)
            if len(ds) < 50:
                continue
            c = t["curves"][0]
            tags = ["crossing" if multi else "single"]
            if c["style"] != "solid":
                tags.append("dashed")
            if dmg["threshold"] or dmg["saltpepper"] > 0.003 or dmg["speckle"] > 2e-4 or dmg["jpeg"] or dmg["noise"] > 8:
                tags.append("noisy")
            if c["log"]:
                tags.append("log")
            cases.append({"name": f"print{i}-t{ti}", "L": L, "cal": cal, "depths": ds, "truth": vs, "tags": tags})
    return cases


def golden_cases(root=None):
    """The golden cases, or the case folders under `root` (as `eval_cases.py` writes them)."""
    from PIL import Image
    out = []
    for d in sorted(Path(root or REPO / "crate" / "tests" / "cases").glob("*/case.json")):
        folder = d.parent
        scans = list(folder.glob("scan.*"))
        if not scans:
            continue
        cal = json.loads(d.read_text())
        L = np.asarray(Image.open(scans[0]).convert("L"))
        ds, vs = read_csv(folder / "truth.csv")
        n = folder.name
        if root is None:
            tags, name = golden_tags(n, cal), "golden/" + n
        else:
            tags = (folder / "tags").read_text().split() if (folder / "tags").exists() else []
            name = f"{Path(root).name}/{n}"
        out.append({"name": name, "L": L, "cal": cal, "depths": ds, "truth": vs, "tags": tags, "scan": str(scans[0])})
    return out


def golden_tags(name, cal):
    """A golden case's tags, from its folder name and calibration."""
    tags = ["golden", "crossing" if "seed" in cal else "single"]
    if "dashed" in name:
        tags.append("dashed")
    if any(k in name for k in ("noisy", "jpeg", "1bit")):
        tags.append("noisy")
    if cal.get("log"):
        tags.append("log")
    return tags


def model_trace(sess, L, cal):
    x0, x1 = cal["track"]
    c0, c1 = R.rround(x0), R.rround(x1)
    x = R.preprocess(L, x0, x1)
    p = infer_track(sess, x)
    hr, w = p.shape
    H = L.shape[0]
    b = p > 0.5
    seed = None
    if cal.get("seed"):
        sx, sy = cal["seed"]
        seed = ((sx - c0 + 0.5) * w / (c1 - c0 + 1) - 0.5, (sy + 0.5) * hr / H - 0.5)
    xr = trace_binary(b, seed)
    # model rows/cols -> print rows/cols (pixel centres, as PIL's resize maps them)
    rows_m = (np.arange(H) + 0.5) * hr / H - 0.5
    ok = np.isfinite(xr)
    xm = np.interp(rows_m, np.flatnonzero(ok), xr[ok]) if ok.sum() > 1 else np.full(H, np.nan)
    # keep gaps: a print row is traced when its nearest model row was
    near = np.clip(np.round(rows_m).astype(int), 0, hr - 1)
    xm[~ok[near]] = np.nan
    return bridge(c0 + (xm + 0.5) * (c1 - c0 + 1) / w - 0.5, GAP_ROWS)


def baseline_trace(L, cal):
    x0, x1 = cal["track"]
    c0, c1 = R.rround(x0), R.rround(x1)
    b = baseline_mask(L, c0, c1)
    seed = None
    if cal.get("seed"):
        seed = (cal["seed"][0] - c0, cal["seed"][1])
    return bridge(c0 + trace_binary(b, seed), GAP_ROWS)


def run_cli(veer, scan, cal, model, tmp):
    args = [veer, "digitise", scan, "--track", f"{cal['track'][0]}:{cal['track'][1]}",
            "--scale", f"{cal['scale'][0]}:{cal['scale'][1]}",
            "--depth", ",".join(f"{r}={d}" for r, d in cal["depth"]), "--step", str(cal["step"]),
            "--model", model, "-o", str(tmp)]
    if cal.get("log"):
        args.append("--log")
    if cal.get("seed"):
        args += ["--seed", f"{cal['seed'][0]},{cal['seed'][1]}"]
    t = time.time()
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1:] or ["failed"], time.time() - t
    return read_csv(tmp), None, time.time() - t


def summarise(rows, methods):
    groups = defaultdict(lambda: defaultdict(list))
    for r in rows:
        for tag in r["tags"] + ["all"]:
            for m in methods:
                if m in r:
                    groups[tag][m].append(r[m])
    out = {}
    for tag, ms in groups.items():
        out[tag] = {}
        for m, vals in ms.items():
            nm = [v["nmae"] for v in vals if np.isfinite(v["nmae"])]
            out[tag][m] = {"cases": len(vals), "nmae_mean": round(float(np.mean(nm)), 4) if nm else None,
                           "nmae_median": round(float(np.median(nm)), 4) if nm else None,
                           "coverage_mean": round(float(np.mean([v["coverage"] for v in vals])), 4),
                           "pass_rate": round(float(np.mean([(v["nmae"] <= 0.01 and v["coverage"] >= 0.98) for v in vals])), 3)}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fp32", default="models/veernet-fp32.onnx")
    ap.add_argument("--int8", default="models/veernet-int8.onnx")
    ap.add_argument("--pixels", action="store_true")
    ap.add_argument("--curves", action="store_true")
    ap.add_argument("--veer", default=None, help="path to the veer binary (target/release/veer)")
    ap.add_argument("--tiles", type=int, default=40, help="validation prints for pixel metrics")
    ap.add_argument("--prints", type=int, default=16, help="validation prints for curve metrics")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", default="scripts/train/runs/eval.json")
    ap.add_argument("--keep", default=None, help="folder to keep the eval scans and calibrations in")
    ap.add_argument("--overlays", default=None, help="write PNG overlays of validation tiles here")
    args = ap.parse_args()
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sessions = {k: ort.InferenceSession(p, so, providers=["CPUExecutionProvider"])
                for k, p in (("fp32", args.fp32), ("int8", args.int8)) if Path(p).exists()}
    result = {"fp32": args.fp32, "int8": args.int8, "seed": args.seed}

    if args.overlays:
        from PIL import Image
        od = Path(args.overlays)
        od.mkdir(parents=True, exist_ok=True)
        sess = sessions.get("fp32") or next(iter(sessions.values()))
        k = 0
        for i in range(6):
            for x, y in R.sample_crops(args.seed * 1_000_003 + 500 + i, "val", rows=TILE):
                p = sess.run(["curve"], {"image": x[None, None]})[0][0, 0]
                g = (255 - np.clip(x * 255, 0, 255)).astype(np.uint8)
                rgb = np.stack([g, g, g], -1)
                t = y > 0.3
                pr = p > 0.5
                rgb[pr & t] = [0, 160, 0]      # true positive: green
                rgb[pr & ~t] = [255, 0, 0]     # false positive: red
                rgb[~pr & t] = [0, 0, 255]     # missed: blue
                Image.fromarray(np.concatenate([np.stack([g, g, g], -1), rgb], 1)).save(od / f"tile{k}.png")
                k += 1
        print(f"wrote {k} overlays to {od}")

    if args.pixels:
        stats = {k: [0, 0, 0] for k in sessions}
        n_tiles = 0
        for i in range(args.tiles):
            for x, y in R.sample_crops(args.seed * 1_000_003 + i, "val", rows=TILE):
                t = y > 0.3
                n_tiles += 1
                for k, sess in sessions.items():
                    p = sess.run(["curve"], {"image": x[None, None]})[0][0, 0] > 0.5
                    stats[k][0] += int((p & t).sum())
                    stats[k][1] += int((p & ~t).sum())
                    stats[k][2] += int((~p & t).sum())
        result["pixels"] = {"tiles": n_tiles, "tile": [TILE, 256]}
        for k, (tp, fp, fn) in stats.items():
            result["pixels"][k] = {"iou": round(tp / (tp + fp + fn), 4), "f1": round(2 * tp / (2 * tp + fp + fn), 4),
                                   "precision": round(tp / max(1, tp + fp), 4), "recall": round(tp / max(1, tp + fn), 4)}
        print(json.dumps(result["pixels"], indent=1), flush=True)

    if args.curves:
        cases = eval_prints(args.prints, args.seed) + golden_cases()
        rows = []
        tmpdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp())
        tmpdir.mkdir(parents=True, exist_ok=True)
        from PIL import Image
        for c in cases:
            cal = c["cal"]
            r = {"name": c["name"], "tags": c["tags"]}
            ds, tv = c["depths"], c["truth"]
            xs = {}
            for k, sess in sessions.items():
                xr = model_trace(sess, c["L"], cal)
                xs[k] = xr
                r[f"model+py-{k}"] = curve_metrics(cal, ds, tv, resample(cal, xr, cal["step"], ds))
            xb = baseline_trace(c["L"], cal)
            r["baseline"] = curve_metrics(cal, ds, tv, resample(cal, xb, cal["step"], ds))
            if "fp32" in xs and "int8" in xs:
                both = np.isfinite(xs["fp32"]) & np.isfinite(xs["int8"])
                r["py_int8_vs_fp32_within_1px"] = float((np.abs(xs["fp32"] - xs["int8"])[both] <= 1.0).mean()) if both.any() else None
            if args.veer:
                scan = c.get("scan")
                if scan is None:
                    scan = str(tmpdir / f"{c['name']}.png")
                    Image.fromarray(c["L"]).save(scan)
                    (tmpdir / f"{c['name']}.json").write_text(json.dumps(cal))
                vals = {}
                for k, path in (("fp32", args.fp32), ("int8", args.int8)):
                    res, err, secs = run_cli(args.veer, scan, cal, path, tmpdir / f"{c['name'].replace('/', '_')}-{k}.csv")
                    if res is None:
                        r[f"cli-{k}"] = {"nmae": float("nan"), "coverage": 0.0, "n": len(ds), "error": err}
                        continue
                    vals[k] = align(ds, res[0], res[1], cal["step"])
                    r[f"cli-{k}"] = {**curve_metrics(cal, ds, tv, vals[k]), "seconds": round(secs, 2)}
                if len(vals) == 2:
                    a, b = x_of_value(cal, vals["fp32"]), x_of_value(cal, vals["int8"])
                    both = np.isfinite(a) & np.isfinite(b)
                    r["cli_int8_vs_fp32_within_1px"] = float((np.abs(a - b)[both] <= 1.0).mean()) if both.any() else None
            rows.append(r)
            print(r["name"], r["tags"], {k: (round(v["nmae"], 4), round(v["coverage"], 3)) for k, v in r.items()
                                         if isinstance(v, dict) and "nmae" in v}, flush=True)
        methods = ["baseline", "model+py-fp32", "model+py-int8", "cli-fp32", "cli-int8"]
        result["curves"] = {"summary": summarise(rows, methods), "cases": rows}
        for key in ("py_int8_vs_fp32_within_1px", "cli_int8_vs_fp32_within_1px"):
            v = [r[key] for r in rows if r.get(key) is not None]
            if v:
                result["curves"][key + "_mean"] = round(float(np.mean(v)), 4)
        print(json.dumps(result["curves"]["summary"], indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, default=float))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
