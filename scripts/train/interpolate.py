"""Weight-space interpolation of two checkpoints of the same network (WiSE-FT style).

    python3 scripts/train/interpolate.py --a models/veernet.pt --b RUN/last.pt --alpha 0.5 --out OUT.pt

Writes `(1 - alpha) * A + alpha * B` for every floating-point tensor of the state dict (weights,
biases and BatchNorm running statistics); integer buffers (BatchNorm's step counter) come from B.
Meant for B trained further from A: A keeps what B forgot, B brings what it learnt. The output is a
checkpoint like `train.py` writes (`export.py --ckpt OUT.pt` reads it).
"""
import argparse

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, help="first checkpoint (alpha = 0)")
    ap.add_argument("--b", required=True, help="second checkpoint (alpha = 1)")
    ap.add_argument("--alpha", type=float, required=True, help="weight of B, 0..1")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if not 0.0 <= args.alpha <= 1.0:
        ap.error(f"--alpha must lie in 0..1, not {args.alpha}")
    a = torch.load(args.a, map_location="cpu", weights_only=False)
    b = torch.load(args.b, map_location="cpu", weights_only=False)
    if a.get("config") != b.get("config"):
        ap.error(f"the checkpoints have different architectures: {a.get('config')} vs {b.get('config')}")
    sa, sb = a["model"], b["model"]
    if sa.keys() != sb.keys():
        ap.error("the checkpoints have different tensors; both must come from the same model.py")
    out = {}
    for k, tb in sb.items():
        ta = sa[k]
        if ta.shape != tb.shape:
            ap.error(f"tensor {k} has shape {tuple(ta.shape)} in A and {tuple(tb.shape)} in B")
        out[k] = torch.lerp(ta, tb, args.alpha) if tb.is_floating_point() else tb.clone()
    torch.save({"model": out, "config": b["config"], "interpolated": {"a": args.a, "b": args.b, "alpha": args.alpha}},
               args.out)
    print(f"wrote {args.out}: {len(out)} tensors, alpha {args.alpha}")


if __name__ == "__main__":
    main()
