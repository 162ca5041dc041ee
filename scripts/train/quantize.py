#!/usr/bin/env python3
"""Static int8 quantisation of the fp32 VeerNet (onnxruntime), calibrated on rendered 512x256 tiles
from the TRAINING wells (tile size the core deploys). Conv only by default (--ops Conv,MatMul for
the TOOLING.md recipe: it agrees in onnxruntime but its per-tensor MatMuls drift in tract), uint8
activations, int8 weights, per-tensor, after quant_pre_process(skip_symbolic_shape=True). Writes QDQ and QOperator variants,
measures each (load time, run time, agreement with fp32 in onnxruntime on validation-well tiles),
and copies the chosen one to models/veernet-int8.onnx.

  python3 scripts/train/quantize.py --fp32 models/veernet-fp32.onnx --out models/veernet-int8.onnx
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render import sample_crops  # noqa: E402

TILE = 512


def _tile_crops(args):
    s, split = args
    return [x for x, _ in sample_crops(s, split, rows=TILE)]


def tiles(split, n, seed, workers=1):
    """n tiles from prints seed * 100_003 + 0, 1, ... in order (2-3 tiles a print); with workers > 1
    the first (n + 1) // 2 prints are rendered in parallel, which gives the same tiles."""
    out = []
    if workers > 1:
        import multiprocessing as mp
        with mp.get_context("fork").Pool(workers) as pool:
            res = pool.map(_tile_crops, [(seed * 100_003 + i, split) for i in range((n + 1) // 2)])
        out = [x[None, None].astype(np.float32) for r in res for x in r]
    i = len(out) and (n + 1) // 2
    while len(out) < n:
        for x, _ in sample_crops(seed * 100_003 + i, split, rows=TILE):
            out.append(x[None, None].astype(np.float32))
        i += 1
    return out[:n]


class Reader(CalibrationDataReader):
    def __init__(self, data):
        self.it = iter([{"image": x} for x in data])

    def get_next(self):
        return next(self.it, None)


def measure(path, data, ref):
    t = time.time()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    load = time.time() - t
    outs = []
    t = time.time()
    for x in data:
        outs.append(sess.run(["curve"], {"image": x})[0])
    run = (time.time() - t) / len(data)
    agree = np.mean([((o > 0.5) == (r > 0.5)).mean() for o, r in zip(outs, ref)])
    inter = sum(((o > 0.5) & (r > 0.5)).sum() for o, r in zip(outs, ref))
    union = sum(((o > 0.5) | (r > 0.5)).sum() for o, r in zip(outs, ref))
    maxd = max(np.abs(o - r).max() for o, r in zip(outs, ref))
    return {"file_mb": round(Path(path).stat().st_size / 1e6, 3), "load_s": round(load, 3),
            "run_ms_512x256": round(run * 1000, 1), "pixel_agreement": round(float(agree), 5),
            "iou_vs_fp32": round(inter / max(1, union), 4), "max_abs_diff": round(float(maxd), 4)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fp32", default="models/veernet-fp32.onnx")
    ap.add_argument("--out", default="models/veernet-int8.onnx")
    ap.add_argument("--calib", type=int, default=48, help="calibration tiles (training wells)")
    ap.add_argument("--check", type=int, default=24, help="check tiles (validation wells)")
    ap.add_argument("--format", choices=["qdq", "qop", "auto"], default="qdq",
                    help="which variant becomes --out (auto: best agreement)")
    ap.add_argument("--keep", default=None, help="folder to keep both variants in")
    ap.add_argument("--ops", default="Conv", help="op types to quantise (Conv,MatMul drifts in tract, see models/HISTORY.md)")
    ap.add_argument("--per-channel", action="store_true")
    ap.add_argument("--exclude-attention", action="store_true", help="keep the attention MatMuls in fp32")
    ap.add_argument("--fp32-convs", default="",
                    help="comma list of 'first' (stem) and/or 'last' (1x1 head) Convs to keep in fp32: the head's "
                         "per-tensor uint8 logits step ~11 probability levels near p = 0.5")
    ap.add_argument("--fp32-max-channels", type=int, default=0,
                    help="also keep in fp32 every Conv with at most this many output channels (the full- and "
                         "half-resolution levels, where a weight step moves the curve's edge; few weights)")
    ap.add_argument("--calib-method", choices=["minmax", "percentile", "entropy"], default="minmax")
    ap.add_argument("--workers", type=int, default=1, help="render the tiles in this many processes (same tiles)")
    ap.add_argument("--only-chosen", action="store_true",
                    help="build and measure only --format's variant (qdq or qop), not both: half the calibration time")
    args = ap.parse_args()

    calib = tiles("train", args.calib, seed=11, workers=args.workers)
    check = tiles("val", args.check, seed=12, workers=args.workers)
    tmp = Path(tempfile.mkdtemp())
    pre = tmp / "pre.onnx"
    quant_pre_process(args.fp32, str(pre), skip_symbolic_shape=True)
    fp = ort.InferenceSession(args.fp32, providers=["CPUExecutionProvider"])
    ref = [fp.run(["curve"], {"image": x})[0] for x in check]
    results = {"fp32": measure(args.fp32, check, ref)}
    paths = {}
    from onnxruntime.quantization import CalibrationMethod
    method = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
              "entropy": CalibrationMethod.Entropy}[args.calib_method]
    # Nodes kept in fp32 (the same for both formats).
    import onnx
    graph = onnx.load(str(pre)).graph
    exclude = [n.name for n in graph.node if n.op_type == "MatMul"] if args.exclude_attention else []
    convs = [n.name for n in graph.node if n.op_type == "Conv"]
    for which in filter(None, args.fp32_convs.split(",")):
        exclude.append({"first": convs[0], "last": convs[-1]}[which])
    if args.fp32_max_channels:
        out_ch = {i.name: i.dims[0] for i in graph.initializer if i.dims}
        exclude += [n.name for n in graph.node
                    if n.op_type == "Conv" and out_ch.get(n.input[1], 1 << 30) <= args.fp32_max_channels]
    exclude = sorted(set(exclude))
    print(f"{len(exclude)} nodes kept in fp32", flush=True)
    variants = [("qdq", QuantFormat.QDQ), ("qop", QuantFormat.QOperator)]
    if args.only_chosen and args.format != "auto":
        variants = [v for v in variants if v[0] == args.format]
    for name, fmt in variants:
        p = tmp / f"veernet-int8-{name}.onnx"
        quantize_static(str(pre), str(p), Reader(calib), quant_format=fmt, op_types_to_quantize=args.ops.split(","),
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=args.per_channel,
                        nodes_to_exclude=exclude, calibrate_method=method)
        paths[name] = p
        results[name] = measure(p, check, ref)
    print(json.dumps(results, indent=1))
    choice = args.format
    if choice == "auto":
        choice = max(("qdq", "qop"), key=lambda k: results[k]["pixel_agreement"])
    shutil.copy(paths[choice], args.out)
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        for k, p in paths.items():
            shutil.copy(p, Path(args.keep) / p.name)
    print(f"wrote {args.out} ({choice})")


if __name__ == "__main__":
    main()
