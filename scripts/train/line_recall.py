#!/usr/bin/env python3
"""Stroke recall on archive-profile renders: does the model mark a swing's nearly horizontal stroke as
curve where it lies on a depth line? (bright-1's cut swings: models/HISTORY.md, "a grid that drifts
across columns".)

Renders archive-profile prints of the validation wells (two 2-inch tracks, 900 rows, no skew), runs
each checkpoint on every track that holds a swinging curve, and reports the share of curve-mask pixels
(model width, target > 0.3) the model marks (p >= 0.5) in three kinds:
  on-line    pixels of horizontal strokes (runs of >= 8 mask columns in a row) in depth-line rows
             (rows where the grid layer covers more than half the track)
  horizontal the same strokes in other rows
  other      every other curve pixel
plus the share of grid-line pixels off the curve marked as curve (false ink on the grid).

  python3 scripts/train/line_recall.py models/veernet.pt [RUN/last.pt models/veernet-fp32.onnx ...] [--prints 24]
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render as R  # noqa: E402
from wells import VAL_WELLS  # noqa: E402


def predictor(path):
    from probe import onnx_predictor, torch_predictor
    if path.endswith(".onnx"):
        return onnx_predictor(path)
    import torch
    from model import VeerNet
    m = VeerNet()
    m.load_state_dict(torch.load(path, map_location="cpu")["model"])
    return torch_predictor(m.eval())


def tracks(n, seed):
    """(model input, target, on-line, horizontal, grid) per swinging track of n archive prints."""
    for i in range(n):
        rng = np.random.default_rng(seed * 1000 + i)
        s = R.make_spec(rng, VAL_WELLS[i % 2], height=900, profile="archive", n_tracks=2, track_in=[2.0, 2.0])
        s["damage"]["skew"] = 0.0  # no rng draw depends on it: the grid layer below stays aligned
        g = R.draw_grid(s, copy.deepcopy(rng)) * np.float32(s["grid_ink"])  # render()'s first draw
        L, mask = R.render(s, rng)
        if s.get("drift"):
            g, _ = R.apply_drift(g, mask, s["drift"])
        for t in s["tracks"]:
            if not any(c.get("swings") for c in t["curves"]):
                continue
            x = R.preprocess(L, t["x0"], t["x1"])
            y = R.crop_resize(mask.astype(np.float32), t["x0"], t["x1"]) > 0.3
            grid = R.crop_resize(g, t["x0"], t["x1"]) > 0.3
            depth_rows = grid.mean(1) > 0.5
            full = ndimage.uniform_filter1d(y.astype(np.float32), 8, axis=1) > 0.99
            horiz = ndimage.maximum_filter1d(full, 8, axis=1) & y
            on_line = horiz & depth_rows[:, None]
            yield x, y, on_line, horiz & ~depth_rows[:, None], grid & ~ndimage.binary_dilation(y, iterations=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ckpts", nargs="+", help=".pt checkpoints or .onnx files")
    ap.add_argument("--prints", type=int, default=24)
    ap.add_argument("--seed", type=int, default=777)
    args = ap.parse_args()
    preds = [predictor(p) for p in args.ckpts]
    n = np.zeros((len(preds), 4, 2), np.int64)  # [model, kind, (marked, all)]
    for x, y, on_line, horiz, grid in tracks(args.prints, args.seed):
        other = y & ~on_line & ~horiz
        for k, f in enumerate(preds):
            p = f(x) >= 0.5
            for j, region in enumerate((on_line, horiz, other, grid)):
                n[k, j] += (int((p & region).sum()), int(region.sum()))
    print(f"{args.prints} archive prints (val wells, seed {args.seed}); pixels marked / all, model width")
    for path, m in zip(args.ckpts, n):
        r = m[:, 0] / np.maximum(1, m[:, 1])
        print(f"{path}: on-line {r[0]:.3f} ({m[0, 1]} px)  horizontal {r[1]:.3f} ({m[1, 1]} px)  "
              f"other {r[2]:.3f} ({m[2, 1]} px)  grid marked {r[3]:.4f} ({m[3, 1]} px)")


if __name__ == "__main__":
    main()
