"""Writes the evaluation prints of `evaluate.py --curves` as golden-style case folders, so the Rust
tracer can be scored on them without the CLI (`cargo run --release --example trace_debug -- eval DIR`).

  python3 scripts/train/eval_cases.py --prints 16 --out target/eval-cases

One folder per track, `print<i>-t<k>/`: `scan.png` (the whole print), `case.json` (calibration of
curve 0, with a seed on it when the track holds several curves), `truth.csv` (depth,value of curve 0)
and `tags` (single/crossing, dashed, noisy, log; as in evaluate.py). Same prints as evaluate.py with
the same --seed (default 2024): validation wells only.
"""
import argparse
import json
from pathlib import Path

from PIL import Image

import evaluate as E
import render as R


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prints", type=int, default=16)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", default="target/eval-cases")
    args = ap.parse_args()
    out = Path(args.out)
    n = 0
    for c in E.eval_prints(args.prints, args.seed):
        d = out / c["name"]
        d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(c["L"]).save(d / "scan.png")
        (d / "case.json").write_text(json.dumps(c["cal"], indent=1) + "\n")
        R.write_truth(d / "truth.csv", c["depths"], c["truth"])
        (d / "tags").write_text(" ".join(c["tags"]) + "\n")
        n += 1
        print(c["name"], c["tags"], flush=True)
    print(f"wrote {n} cases to {out}")


if __name__ == "__main__":
    main()
