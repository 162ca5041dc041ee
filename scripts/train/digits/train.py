"""Train the depth-number character classifier and export models/digits.onnx.

python3 scripts/train/digits/train.py [--train 60000] [--val 6000] [--minutes 6] [--out models/digits.onnx]

CPU only, one thread. Input `image` f32 [1,1,24,24] (ink = 1.0, paper = 0.0, the crop normalised as in
render.py / crate/src/digits/crop.rs); output `logits` f32 [1,11] (digits 0-9, then "not a digit").
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render  # noqa: E402


class DigitNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(1, 12, 3, padding=1), nn.BatchNorm2d(12), nn.ReLU(), nn.MaxPool2d(2),  # 12
            nn.Conv2d(12, 24, 3, padding=1), nn.BatchNorm2d(24), nn.ReLU(), nn.MaxPool2d(2),  # 6
            nn.Conv2d(24, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 3
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 9, 48), nn.ReLU(), nn.Dropout(0.1), nn.Linear(48, 11))

    def forward(self, x):
        return self.head(self.f(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=60000)
    ap.add_argument("--val", type=int, default=6000)
    ap.add_argument("--minutes", type=float, default=6)
    ap.add_argument("--out", default="models/digits.onnx")
    ap.add_argument("--data", default="target/digits/data")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    os.makedirs(a.data, exist_ok=True)

    def pool(n, seed):
        p = f"{a.data}/pool_{n}_{seed}.npz"
        if not os.path.exists(p):
            t = time.time()
            x, y = render.make(n, seed)
            np.savez_compressed(p, x=x, y=y)
            print(f"rendered {n} crops (seed {seed}) in {time.time() - t:.0f} s", flush=True)
        d = np.load(p)
        return torch.from_numpy(d["x"]), torch.from_numpy(d["y"])

    xt, yt = pool(a.train, 100 + a.seed)
    xv, yv = pool(a.val, 7)  # held out: another random stream
    net = DigitNet()
    params = sum(p.numel() for p in net.parameters())
    print(f"{params} parameters", flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    lossf = nn.CrossEntropyLoss(label_smoothing=0.05)
    t0 = time.time()
    step, epoch = 0, 0
    bs = 128
    budget = a.minutes * 60
    total_steps = None
    while time.time() - t0 < budget:
        net.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt) - bs + 1, bs):
            idx = perm[i:i + bs]
            x = xt[idx]
            # small shifts: the crop's placement varies by a pixel in the core
            if step % 2:
                x = torch.roll(x, shifts=(int(np.random.randint(-1, 2)), int(np.random.randint(-1, 2))), dims=(2, 3))
            frac = min(1.0, (time.time() - t0) / budget)
            for g in opt.param_groups:
                g["lr"] = 3e-3 * 0.5 * (1 + np.cos(np.pi * frac))
            loss = lossf(net(x), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if time.time() - t0 > budget:
                break
        epoch += 1
        acc = evaluate(net, xv, yv)
        print(f"epoch {epoch} step {step} loss {loss.item():.3f} val acc {acc['all']:.4f} digits {acc['digits']:.4f} "
              f"({time.time() - t0:.0f} s)", flush=True)
    acc = evaluate(net, xv, yv)
    print(json.dumps(acc))
    export(net, a.out)


@torch.no_grad()
def evaluate(net, xv, yv):
    net.eval()
    p = torch.cat([net(xv[i:i + 1000]).argmax(1) for i in range(0, len(xv), 1000)])
    ok = (p == yv)
    dig = yv < 10
    return {"all": ok.float().mean().item(), "digits": ok[dig].float().mean().item(),
            "not_digit": ok[~dig].float().mean().item(), "n": len(yv)}


def export(net, out):
    net.eval()
    x = torch.zeros(1, 1, render.SIZE, render.SIZE)
    torch.onnx.export(net, x, out, input_names=["image"], output_names=["logits"], opset_version=17, dynamo=False)
    import onnxruntime as ort

    s = ort.InferenceSession(out)
    xr = torch.rand(1, 1, render.SIZE, render.SIZE)
    d = np.abs(s.run(None, {"image": xr.numpy()})[0] - net(xr).detach().numpy()).max()
    print(f"exported {out} ({os.path.getsize(out)} bytes), onnxruntime vs torch max diff {d:.2e}")


if __name__ == "__main__":
    main()
