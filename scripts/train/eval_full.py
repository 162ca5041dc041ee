#!/usr/bin/env python3
"""Curve metrics of the Rust CLI on the full-size sample (crate/tests/cases/full-g4), every curve from its seed.

  python3 scripts/train/eval_full.py --veer target/release/veer
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate import REPO, align, curve_metrics, read_csv, run_cli, x_of_value  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--veer", default="target/release/veer")
ap.add_argument("--models", nargs="+", default=["models/veernet-fp32.onnx", "models/veernet-int8.onnx"])
args = ap.parse_args()
d = REPO / "crate" / "tests" / "cases" / "full-g4"
tmp = Path(tempfile.mkdtemp())
out = {}
for cj in sorted(d.glob("track*.json")):
    cal = json.loads(cj.read_text())
    ds, tv = read_csv(cj.with_suffix("").with_suffix(".truth.csv") if False else d / (cj.stem + ".truth.csv"))
    vals = {}
    for m in args.models:
        res, err, secs = run_cli(args.veer, str(d / "scan.tif"), cal, m, tmp / "o.csv")
        if res is None:
            out[f"{cj.stem} {Path(m).name}"] = {"error": err}
            continue
        vals[m] = align(ds, res[0], res[1], cal["step"])
        out[f"{cj.stem} {Path(m).name}"] = {**{k: round(v, 4) if isinstance(v, float) else v for k, v in curve_metrics(cal, ds, tv, vals[m]).items()}, "seconds": round(secs, 1)}
    if len(vals) == 2:
        a, b = (x_of_value(cal, vals[m]) for m in args.models)
        ok = np.isfinite(a) & np.isfinite(b)
        out[f"{cj.stem} int8_vs_fp32_within_1px"] = round(float((np.abs(a - b)[ok] <= 1).mean()), 4)
    print({k: v for k, v in out.items() if k.startswith(cj.stem)}, flush=True)
