#!/usr/bin/env python3
"""Run the Rust CLI on the golden cases (or on eval case folders, --cases) with fp32 and several
int8 files; report NMAE and the fraction of depths where each int8 trace is within 1 px of the fp32
trace (tract, not onnxruntime).

  python3 scripts/train/compare_int8.py --veer target/release/veer models/veernet-int8.onnx OTHER.onnx ...
  python3 scripts/train/compare_int8.py --cases target/eval-cases-s11 target/eval-cases-s7 -- A.onnx B.onnx
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate import align, curve_metrics, golden_cases, run_cli, x_of_value  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--veer", default="target/release/veer")
ap.add_argument("--fp32", default="models/veernet-fp32.onnx")
ap.add_argument("--cases", nargs="*", default=None, help="eval case folders (eval_cases.py --out) instead of the golden cases")
ap.add_argument("int8", nargs="+")
args = ap.parse_args()
cases = [c for root in args.cases for c in golden_cases(root)] if args.cases else golden_cases()
tmp = Path(tempfile.mkdtemp())
res = {m: {"nmae": [], "within_1px": []} for m in [args.fp32] + args.int8}
for c in cases:
    cal, ds, tv = c["cal"], c["depths"], c["truth"]
    vals, within = {}, {}
    for m in [args.fp32] + args.int8:
        out, err, _ = run_cli(args.veer, c["scan"], cal, m, tmp / "o.csv")
        vals[m] = align(ds, out[0], out[1], cal["step"]) if out else np.full(len(ds), np.nan)
        res[m]["nmae"].append(curve_metrics(cal, ds, tv, vals[m])["nmae"])
        a, b = x_of_value(cal, vals[args.fp32]), x_of_value(cal, vals[m])
        ok = np.isfinite(a) & np.isfinite(b)
        within[m] = float((np.abs(a - b)[ok] <= 1).mean()) if ok.any() else None
        if within[m] is not None:  # a refused seed has no trace to compare (as evaluate.py)
            res[m]["within_1px"].append(within[m])
    print(c["name"], {Path(m).parent.name + "/" + Path(m).name: (round(res[m]["nmae"][-1], 4), within[m] if within[m] is None else round(within[m], 4)) for m in res}, flush=True)
print(json.dumps({m: {"nmae_mean": round(float(np.nanmean(v["nmae"])), 4), "within_1px_mean": round(float(np.mean(v["within_1px"])), 4),
                      "within_1px_min": round(float(np.min(v["within_1px"])), 4)} for m, v in res.items()}, indent=1))
