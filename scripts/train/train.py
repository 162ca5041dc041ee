#!/usr/bin/env python3
"""Train VeerNet on pre-rendered crops (see render.py pool), on the CPU or a CUDA GPU.

Loss: Tversky (alpha=0.3 on false positives, beta=0.7 on false negatives) + BCE, on curve-ink
targets (the resized mask > 0.3). AdamW, warm-up then cosine decay over the run's budget,
where progress = max(step / steps, elapsed / minutes) (a wall-clock cap on a shared 2-core CPU).
Random horizontal and vertical flips. Validates on validation-well crops every --eval-every steps
and logs the clean-stroke probe (probe.py: plain black curves on blank paper must stay curves);
writes RUN_DIR/log.txt, RUN_DIR/last.pt and RUN_DIR/best.pt (best validation IoU among the
checkpoints whose weakest probe sine reaches --probe-gate). With --ema DECAY the evaluated and saved
weights are an exponential moving average of the trained ones (BatchNorm statistics too), and
RUN_DIR/raw.pt holds the trained weights themselves.

--train-only decoder (a partial fine-tune, with --init): the encoder (stem, e1-e3) and the bottleneck
(b1, attention, b2) are frozen, weights and BatchNorm statistics alike (those modules stay in eval
mode), and only the decoder (d3-d0) and the 1x1 head train: 213k of the 882k weights. The features
every skip connection carries stay those of the --init checkpoint; only how they are read changes.

--device cuda (the default where a GPU is visible): the whole pool is moved to the GPU once (float16
inputs, uint8 targets: 192 KB a crop), so each batch is an index into GPU memory and no DataLoader
or worker process is needed; --bf16 autocasts to bfloat16 there; cuDNN picks its fastest kernels.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model import BOTTLENECK, CHANNELS, VeerNet, count_params  # noqa: E402
from probe import run_probe, torch_predictor  # noqa: E402

POS_THRESHOLD = 0.3


def tversky_loss(logits, y, alpha=0.3, beta=0.7, eps=1.0):
    p = torch.sigmoid(logits)
    tp = (p * y).sum((1, 2, 3))
    fp = (p * (1 - y)).sum((1, 2, 3))
    fn = ((1 - p) * y).sum((1, 2, 3))
    return (1 - (tp + eps) / (tp + alpha * fp + beta * fn + eps)).mean()


def load_pool(paths):
    xs, ys = [], []
    for p in paths:
        z = np.load(p)
        xs.append(z["x"])
        ys.append(z["y"])
    x = torch.from_numpy(np.concatenate(xs)).unsqueeze(1)  # float16
    y = torch.from_numpy((np.concatenate(ys) > POS_THRESHOLD).astype(np.uint8)).unsqueeze(1)
    return x, y


@torch.no_grad()
def evaluate(model, x, y, bs=16):
    model.eval()
    dev = next(model.parameters()).device
    tp = fp = fn = 0
    for i in range(0, len(x), bs):
        p = model(x[i:i + bs].to(dev).float()) > 0.5
        t = y[i:i + bs].to(dev).bool()
        tp += (p & t).sum().item()
        fp += (p & ~t).sum().item()
        fn += (~p & t).sum().item()
    model.train()
    return tp / max(1, tp + fp + fn), 2 * tp / max(1, 2 * tp + fp + fn)


def cpu_has_bf16():
    """Whether the CPU computes bfloat16 natively (Linux /proc/cpuinfo flags; True where unknown)."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return True
    return "avx512_bf16" in flags or "amx_bf16" in flags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", nargs="+", required=True, help="training pool .npz files")
    ap.add_argument("--val", required=True, help="validation pool .npz (validation wells)")
    ap.add_argument("--run", required=True, help="run directory (scripts/train/runs/NAME)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--init", default=None, help="start from this checkpoint")
    ap.add_argument("--rows", type=int, default=256, help="random window of this many rows per crop")
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast (CUDA, or CPU AVX512-BF16)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                    help="cuda (default where a GPU is visible) or cpu")
    ap.add_argument("--val-more", nargs="*", default=[],
                    help="more validation pools (e.g. an archive-profile one): their IoU is logged, not selected on")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--ema", type=float, default=0.0,
                    help="keep an exponential moving average of the weights with this decay (e.g. 0.998) "
                         "and evaluate, select and save the averaged weights; 0 = off")
    ap.add_argument("--train-only", choices=["decoder"], default=None,
                    help="decoder: freeze the encoder and bottleneck (stem, e1-e3, b1, att, b2: weights and "
                         "BatchNorm statistics) and train only d3-d0 and the head (a partial fine-tune of --init)")
    ap.add_argument("--probe-gate", type=float, default=0.0,
                    help="best.pt only takes checkpoints whose weakest clean-stroke probe sine is at least this "
                         "(the blocky case is left out: the shipped checkpoint reads its flat stretches as grid)")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
    rng = np.random.default_rng(args.seed)
    run = Path(args.run)
    run.mkdir(parents=True, exist_ok=True)
    log = open(run / "log.txt", "a")

    def say(msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    x, y = load_pool(args.data)
    vx, vy = load_pool([args.val])
    vx, vy = vx[:160], vy[:160]
    more = {Path(p).stem: load_pool([p]) for p in args.val_more}
    model = VeerNet()
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu")["model"])
    say(f"args {vars(args)}")
    if cuda:
        say(f"device {torch.cuda.get_device_name(dev)}, torch {torch.__version__}")
        t = time.time()
        x, y = x.to(dev), y.to(dev)  # the whole pool in GPU memory: a batch is an index
        torch.cuda.synchronize()
        say(f"pool on the GPU ({(x.numel() * x.element_size() + y.numel()) / 1e9:.2f} GB) in {time.time() - t:.1f} s")
    model = model.to(dev)
    if args.bf16 and not cuda and not cpu_has_bf16():
        say("warning: --bf16 on a CPU without AVX512-BF16 or AMX-BF16: bfloat16 is emulated and steps run "
            "about 10x slower (10.8 s against 1.0 s per step of 8 crops, first 20 steps, on a 2-core AMD EPYC "
            "without it, shared with other work); "
            "leave --bf16 out on this machine")
    say(f"train crops {len(x)} (curve px {y.sum(dtype=torch.float64) / y.numel():.4f}), val crops {len(vx)}, params {count_params(model):,}")
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    frozen = []
    if args.train_only == "decoder":
        frozen = [getattr(model, n) for n in ("stem", "e1", "e2", "e3", "b1", "att", "b2")]
        for mod in frozen:
            mod.requires_grad_(False)
        say(f"--train-only decoder: {sum(p.numel() for p in model.parameters() if p.requires_grad):,} of "
            f"{count_params(model):,} weights train (d3-d0, head); encoder and bottleneck frozen")
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=1e-4)
    t0 = time.time()
    best = -1.0
    step = 0
    ema = None
    loss_sum = None
    cfg = {"channels": list(CHANNELS), "bottleneck": BOTTLENECK}
    # The weights that are evaluated and saved: the model itself, or an average of its recent
    # weights (BatchNorm statistics averaged alike), which smooths the step-to-step swings.
    avg = copy.deepcopy(model) if args.ema > 0 else model
    avg_p, model_p = list(avg.parameters()), list(model.parameters())

    @torch.no_grad()
    def update_avg():
        d = min(args.ema, (1 + step) / (10 + step))
        torch._foreach_lerp_(avg_p, model_p, 1 - d)  # one fused call: no launch per tensor on a GPU
        for a, m in zip(avg.buffers(), model.buffers()):
            if a.dtype.is_floating_point:
                a.lerp_(m, 1 - d)
            else:
                a.copy_(m)

    def save(name, extra, net=None):
        sd = {k: v.detach().cpu().contiguous() for k, v in (avg if net is None else net).state_dict().items()}
        torch.save({"model": sd, "config": cfg, "step": step, "ema": args.ema, **extra}, run / name)

    def checkpoint(tag):
        iou, f1 = evaluate(avg, vx, vy)
        probe = run_probe(torch_predictor(avg))
        say(f"{tag} step {step} val IoU {iou:.4f} F1 {f1:.4f} elapsed {(time.time() - t0) / 60:.1f} min")
        extra = {}
        for name, (mx, my) in more.items():
            extra[name] = evaluate(avg, mx, my)[0]
            say(f"{tag} step {step} {name} IoU {extra[name]:.4f}")
        say("clean-stroke probe " + " ".join(f"{k} {v:.3f}" for k, v in probe.items()))
        save("last.pt", {"val_iou": iou, "probe": probe, "val_more": extra})
        if args.ema > 0:
            save("raw.pt", {"note": "trained weights, not the average"}, net=model)
        nonlocal best
        sines = min(v for k, v in probe.items() if k.startswith("sine"))
        if iou > best and sines >= args.probe_gate:
            best = iou
            save("best.pt", {"val_iou": iou, "probe": probe})
            say(f"best.pt <- step {step}")
        return iou, f1, probe

    while True:
        progress = max(step / args.steps, (time.time() - t0) / 60 / args.minutes)
        if progress >= 1:
            break
        warm = min(1.0, step / 50)
        lr = args.lr * warm * 0.5 * (1 + math.cos(math.pi * progress))
        for g in opt.param_groups:
            g["lr"] = lr
        for mod in frozen:  # frozen BatchNorm statistics stay fixed (evaluate() sets train mode back)
            mod.eval()
        idx = torch.from_numpy(rng.integers(0, len(x), args.batch)).to(dev)
        xb = x[idx].float()
        yb = y[idx].float()
        if rng.random() < 0.5:
            xb, yb = xb.flip(3), yb.flip(3)
        if rng.random() < 0.5:
            xb, yb = xb.flip(2), yb.flip(2)
        if args.rows < xb.shape[2]:
            a = int(rng.integers(0, xb.shape[2] - args.rows + 1))
            xb, yb = xb[:, :, a:a + args.rows], yb[:, :, a:a + args.rows]
        if args.channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=args.bf16):
            logits = model.logits(xb)
        logits = logits.float()
        loss = tversky_loss(logits, yb) + F.binary_cross_entropy_with_logits(logits, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if args.ema > 0:
            update_avg()
        if cuda:
            # no host sync per step: the loss is read at the log lines only
            loss_sum = loss.detach() if step % 20 == 1 else loss_sum + loss.detach()
            if step % 20 == 0:
                lv = loss.item()
                ema = (loss_sum / 20).item()
        else:
            lv = loss.item()
            ema = lv if ema is None else 0.95 * ema + 0.05 * lv
        if step % 20 == 0:
            say(f"step {step} loss {lv:.4f} {'mean20' if cuda else 'ema'} {ema:.4f} lr {lr:.2e} "
                f"{(time.time() - t0) / step:.3f}s/step")
        if step % args.eval_every == 0:
            checkpoint("eval")
    iou, f1, probe = checkpoint("final")
    (run / "summary.json").write_text(json.dumps({"steps": step, "minutes": (time.time() - t0) / 60, "ema": args.ema,
                                                  "device": args.device, "batch": args.batch, "train_crops": len(x),
                                                  "train_only": args.train_only,
                                                  "final_val_iou": iou, "final_val_f1": f1,
                                                  "best_val_iou": max(best, -1.0), "final_probe": probe}, indent=1))


if __name__ == "__main__":
    main()
