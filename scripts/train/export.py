#!/usr/bin/env python3
"""Export a VeerNet checkpoint to ONNX fp32: opset 17, input `image` f32 [1,1,H,W], output `curve`
f32 [1,1,H,W] (sigmoid inside), dynamic H and W (multiples of 16), one file, no external data.
TorchScript exporter (dynamo=False); BatchNorm is folded into the convolutions by the exporter.

  python3 scripts/train/export.py --ckpt models/veernet.pt --out models/veernet-fp32.onnx
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model import VeerNet  # noqa: E402


def load(ckpt):
    m = VeerNet()
    m.load_state_dict(torch.load(ckpt, map_location="cpu")["model"])
    return m.eval()


def export(model, out):
    dummy = torch.zeros(1, 1, 512, 256)
    torch.onnx.export(model, dummy, out, input_names=["image"], output_names=["curve"],
                      dynamic_axes={"image": {2: "H", 3: "W"}, "curve": {2: "H", 3: "W"}},
                      opset_version=17, do_constant_folding=True, dynamo=False, external_data=False)


def check(model, out):
    import onnx
    import onnxruntime as ort

    m = onnx.load(out)
    onnx.checker.check_model(m)
    ops = Counter(n.op_type for n in m.graph.node)
    print("ops:", dict(ops))
    print("input:", m.graph.input[0].name, [d.dim_param or d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim])
    print("output:", m.graph.output[0].name, [d.dim_param or d.dim_value for d in m.graph.output[0].type.tensor_type.shape.dim])
    sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for h, w in [(512, 256), (256, 256), (128, 512), (1024, 256)]:
        x = (rng.random((1, 1, h, w)) < 0.05).astype(np.float32)
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        got = sess.run(["curve"], {"image": x})[0]
        print(f"{h}x{w}: max |onnx - torch| = {np.abs(got - ref).max():.2e}")
        assert got.shape == (1, 1, h, w)
        assert np.abs(got - ref).max() < 1e-4


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", default="models/veernet-fp32.onnx")
    args = ap.parse_args()
    model = load(args.ckpt)
    export(model, args.out)
    check(model, args.out)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
