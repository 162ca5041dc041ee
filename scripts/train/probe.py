#!/usr/bin/env python3
"""Clean-stroke probe: does the model still see a plain black curve on blank paper?

A scan with no grid, no text and no damage (a clean or grid-removed print) is the easiest case
a user can bring, and a fine-tune on hard prints can forget it: the network learns to doubt
isolated strokes. This probe draws sines of several pen widths on white pages (the shape of the
reference scan in crate/tests/robustness.rs), runs the model on the track crop, and reports the
fraction of model rows whose highest probability is >= 0.5. A checkpoint that drops well below
1.0 on any case loses curves users can see with their own eyes.

  python3 scripts/train/probe.py models/veernet-fp32.onnx [more.onnx or .pt ...]
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render as R  # noqa: E402

# (page width, page height, crop x0, crop x1, centre, amplitude, period, half-width in px)
CASES = {
    "sine-3px": (400, 300, 10, 390, 200, 60, 40, 1.5),
    "sine-6px": (400, 300, 10, 390, 200, 60, 40, 3.0),
    "sine-2px-wide-track": (900, 1200, 20, 880, 450, 250, 90, 1.0),
    "sine-10px-wide-track": (900, 1200, 20, 880, 450, 250, 90, 5.0),
    "steps-4px": (500, 800, 10, 490, 250, 150, 0, 2.0),
}


def page(w, h, c, a, period, hw):
    """White page, black curve: a sine, or (period 0) a blocky log of constant stretches
    joined by horizontal jumps."""
    y = np.arange(h, dtype=np.float32)
    if period:
        centre = c + a * np.sin(y / period)
    else:
        centre = c + a * np.array([(-1, 0.5, 1, -0.3, 0.2)[int(r // 130) % 5] for r in y], np.float32)
    x = np.arange(w, dtype=np.float32)[None, :]
    ink = np.abs(x - centre[:, None]) <= hw
    for r in np.nonzero(np.diff(centre))[0]:
        lo, hi = sorted((centre[r], centre[r + 1]))
        ink[r, max(0, int(lo - hw)):int(hi + hw) + 1] = True
    return np.where(ink, 0, 255).astype(np.uint8)


def run_probe(predict):
    """predict(x: float32 H x 256 model input) -> probability map of the same shape."""
    out = {}
    for name, (w, h, x0, x1, c, a, period, hw) in CASES.items():
        x = R.preprocess(page(w, h, c, a, period, hw), x0, x1)
        p = predict(x)
        out[name] = float((p.max(axis=1) >= 0.5).mean())
    out["min"] = min(out.values())
    return out


def onnx_predictor(path):
    import onnxruntime as ort
    from evaluate import infer_track
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda x: infer_track(sess, x)


def torch_predictor(model):
    import torch

    @torch.no_grad()
    def f(x):
        h = x.shape[0]
        hp = int(math.ceil(h / 16) * 16)
        xp = np.zeros((hp, x.shape[1]), np.float32)
        xp[:h] = x
        was = model.training
        model.eval()
        dev = next(model.parameters()).device
        p = model(torch.from_numpy(xp)[None, None].to(dev)).float().cpu().numpy()[0, 0, :h]
        model.train(was)
        return p
    return f


def main():
    for path in sys.argv[1:] or ["models/veernet-fp32.onnx"]:
        if path.endswith(".pt"):
            import torch
            from model import VeerNet
            m = VeerNet()
            m.load_state_dict(torch.load(path, map_location="cpu")["model"])
            pred = torch_predictor(m)
        else:
            pred = onnx_predictor(path)
        r = run_probe(pred)
        print(path, " ".join(f"{k} {v:.3f}" for k, v in r.items()))


if __name__ == "__main__":
    main()
