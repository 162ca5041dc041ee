"""Whole rendered depth labels: held-out evaluation of the Rust reader, and the test fixtures.

  python3 scripts/train/digits/labels.py eval [--n 150] [--seed 11] [--bin target/release/examples/depth_labels]
      renders, per orientation, a 160 px wide column of N labels (random 2-5 digit numbers, each in a random
      font, size and damage, in a random stream never used for training), runs the Rust reader on it
      (`depth_labels COLUMN.png 0 160 --json`) and prints per-label and per-character accuracy.
  python3 scripts/train/digits/labels.py fixtures --out crate/tests/data/digits
      writes the few small 1-bit PNG labels `crate/tests/digits.rs` reads.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render  # noqa: E402

ORIENTATIONS = {"upright": 0, "ccw90": 1, "cw90": 3}  # np.rot90 turns counter-clockwise k times


def render_label(text, rng, fonts, height=None, font=None, plotter=None, heavy=None):
    """A label as float gray (ink = 1), upright."""
    height = height or rng.uniform(12, 36)
    plotter = (rng.random() < 0.25) if plotter is None else plotter
    if plotter:
        parts = []
        for ch in text:
            parts.append(_plotter_char(ch, height))
        h = max(p.shape[0] for p in parts)
        gap = max(1, int(height * rng.uniform(0.05, 0.25)))
        w = sum(p.shape[1] for p in parts) + gap * (len(parts) - 1)
        out = np.zeros((h, w), np.float32)
        x = 0
        for p in parts:
            out[h - p.shape[0]:, x:x + p.shape[1]] = np.maximum(out[h - p.shape[0]:, x:x + p.shape[1]], p)
            x += p.shape[1] + gap
        g = out
    else:
        path = font or fonts[rng.integers(len(fonts))]
        f = ImageFont.truetype(path, size=max(8, int(height * 1.4 * 3)))
        box = f.getbbox(text)
        im = Image.new("L", (box[2] - box[0] + 24, box[3] - box[1] + 24), 0)
        ImageDraw.Draw(im).text((12 - box[0], 12 - box[1]), text, fill=255, font=f)
        sx = rng.uniform(0.85, 1.1)
        im = im.resize((max(4, int(im.width * sx / 3)), max(4, im.height // 3)), Image.BILINEAR)
        g = np.asarray(im, np.float32) / 255
    heavy = (rng.random() < 0.15) if heavy is None else heavy
    ink = render._damage(np.pad(g, 4), rng, heavy, height)
    return ink


def _plotter_char(ch, height):
    s = 4
    hh = height * s
    ww = hh * 0.6
    pad = int(hh * 0.1) + 2
    im = Image.new("L", (int(ww + 2 * pad), int(hh + 2 * pad)), 0)
    d = ImageDraw.Draw(im)
    lw = max(1, int(hh * 0.1))
    for line in render.PLOTTER[ch]:
        pts = [(pad + x * ww, pad + y * hh) for x, y in line]
        d.line(pts, fill=255, width=lw, joint="curve")
    im = im.resize((max(4, im.width // s), max(4, im.height // s)), Image.BILINEAR)
    g = np.asarray(im, np.float32) / 255
    xs = np.nonzero(g.max(0) > 0.3)[0]
    return g[:, xs.min():xs.max() + 1] if len(xs) else g


def column(n, orientation, seed, fonts, width=160, gap=120):
    """A width x (n * gap) column with one label every gap rows; returns (ink, truth)."""
    rng = np.random.default_rng(seed)
    col = np.zeros((n * gap + gap, width), bool)
    truth = []
    for i in range(n):
        digits = int(rng.integers(2, 6))
        text = str(int(rng.integers(1, 10))) + "".join(str(int(d)) for d in rng.integers(0, 10, digits - 1))
        ink = render_label(text, rng, fonts, height=rng.uniform(12, 34))
        ink = np.rot90(ink, ORIENTATIONS[orientation])
        h, w = ink.shape
        if w > width - 4 or h > gap - 4:
            continue
        cy = gap // 2 + i * gap
        y0 = cy - h // 2
        x0 = int(rng.integers(2, width - w - 1))
        col[y0:y0 + h, x0:x0 + w] |= ink
        truth.append({"text": text, "row": y0 + (h - 1) / 2})
    return col, truth


def save_png(ink, path):
    Image.fromarray(np.where(ink, 0, 255).astype(np.uint8)).convert("1").save(path, optimize=True)


def cmd_eval(a):
    fonts = render.find_fonts()
    os.makedirs("target/digits", exist_ok=True)
    report = {}
    for k, (name, _) in enumerate(ORIENTATIONS.items()):
        col, truth = column(a.n, name, a.seed + k, fonts)
        path = f"target/digits/eval_{name}.png"
        save_png(col, path)
        out = subprocess.run([a.bin, path, "0", str(col.shape[1]), "--json", "--model", a.model], check=True,
                             capture_output=True, text=True).stdout
        readings = [r for r in json.loads(out)["readings"] if r["text"]]  # read ones only
        labels_ok = chars_ok = chars = orient_ok = found = 0
        for t in truth:
            near = [r for r in readings if abs(r["row"] - t["row"]) < 40]
            chars += len(t["text"])
            if not near:
                continue
            found += 1
            r = min(near, key=lambda r: abs(r["row"] - t["row"]))
            labels_ok += r["text"] == t["text"]
            orient_ok += r["orientation"] == name
            if len(r["text"]) == len(t["text"]):
                chars_ok += sum(x == y for x, y in zip(r["text"], t["text"]))
        spurious = len(readings) - found
        report[name] = {"labels": len(truth), "read": found, "label_acc": labels_ok / len(truth),
                        "char_acc": chars_ok / chars, "orientation_acc": orient_ok / max(1, found),
                        "spurious": spurious}
        print(name, json.dumps(report[name]), flush=True)
    return report


def cmd_fixtures(a):
    fonts = render.find_fonts()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(3)
    by_name = {os.path.basename(f): f for f in fonts}
    cases = [  # (value, orientation, font or "plotter", heavy)
        ("250", "upright", "NimbusSans-Regular.otf", False),
        ("1000", "upright", "DejaVuSansMono.ttf", False),
        ("3450", "upright", "plotter", False),
        ("1100", "ccw90", "NimbusSans-Bold.otf", False),
        ("2700", "ccw90", "LiberationMono-Regular.ttf", True),
        ("6600", "cw90", "NimbusSansNarrow-Bold.otf", False),
        ("875", "cw90", "plotter", False),
    ]
    for text, orient, font, heavy in cases:
        plot = font == "plotter"
        ink = render_label(text, rng, fonts, height=22, font=None if plot else by_name[font], plotter=plot, heavy=heavy)
        ink = np.rot90(ink, ORIENTATIONS[orient])
        name = f"{text}_{orient}_{'plotter' if plot else os.path.splitext(font)[0]}.png"
        save_png(ink, os.path.join(a.out, name))
        print(name, ink.shape)
    # two depth columns, 50 ft labels every 250 rows from 300 ft on row 150; the fifth label (500)
    # is printed as 900, the misread the fit must reject. Label centres land on their rows exactly.
    for orient, font in (("upright", "NimbusSans-Regular.otf"), ("ccw90", "LiberationMono-Bold.ttf")):
        col = np.zeros((150 + 250 * 10, 140), bool)
        for k in range(10):
            text = "900" if k == 4 else str(300 + 50 * k)
            ink = render._tight(render_label(text, rng, fonts, height=20, font=by_name[font], plotter=False, heavy=False))
            ink = np.rot90(ink, ORIENTATIONS[orient])
            h, w = ink.shape
            row = 150 + 250 * k
            y0 = row - (h - 1) // 2
            x0 = 70 - w // 2
            col[y0:y0 + h, x0:x0 + w] |= ink
        col[:, 0:2] = True  # the track edges either side of the depth column
        col[:, -2:] = True
        name = f"column_{orient}.png"
        save_png(col, os.path.join(a.out, name))
        print(name, col.shape)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("eval")
    e.add_argument("--n", type=int, default=150)
    e.add_argument("--seed", type=int, default=11)
    e.add_argument("--bin", default="target/release/examples/depth_labels")
    e.add_argument("--model", default="models/digits.onnx")
    f = sub.add_parser("fixtures")
    f.add_argument("--out", default="crate/tests/data/digits")
    a = ap.parse_args()
    cmd_eval(a) if a.cmd == "eval" else cmd_fixtures(a)
