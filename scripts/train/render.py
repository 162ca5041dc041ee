#!/usr/bin/env python3
"""Render realistic scanned well-log prints from real LAS curves, with a pixel mask of curve ink.

A print: two or three curve tracks and a depth track; linear grids (10 divisions, heavier every 5)
and logarithmic grids (decades with 2-9 minors); horizontal depth lines (light, medium, heavy)
and depth numbers; 1-3 curves per track (solid, dashed, dotted, dash-dot; different widths),
crossing each other and the grid, clipped at the track edge; text and hand annotations; then scan
damage (fading, broken ink, blur, paper tone, speckle, salt and pepper, dark scan bars, skew,
1-bit thresholding, JPEG). Everything is deterministic given the numpy Generator / seed.
Profiles (`--profile`): default, hard, clean, archive (fast swings with a stroke on a depth line,
a sheet drifting sideways through the scanner), or a mix of them for one pool ('default:4,archive:3').

Subcommands (run from the repository root):
  python3 scripts/train/render.py preview --split train --n 4 --seed 1 --out /tmp/prev
  python3 scripts/train/render.py pool --split train --n 4000 --seed 0 --out scripts/train/data/pool_train.npz
  python3 scripts/train/render.py pool --profile default:4,archive:3,clean:2,hard:1 --n 9000 --deadline 170 \
      --workers 16 --u8 --seed 20 --out /tmp/pool_mix.npz
  python3 scripts/train/render.py cases --out crate/tests/cases
  python3 scripts/train/render.py full --out crate/tests/cases/full-g4
"""
from __future__ import annotations

import argparse
import copy
import io
import json
import math
import os
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wells import FAMILIES, TRACK_KINDS, TRAIN_WELLS, UNITS, VAL_WELLS, family_of, load_well  # noqa: E402

MODEL_W = 256
SS = 4  # curve supersampling
FONT_PATHS = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
              "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
              "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
              "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"]


# ----------------------------------------------------------------------------------------------
# Preprocessing: exactly what the Rust core does at inference.
# ----------------------------------------------------------------------------------------------
def rround(x: float) -> int:
    """Round half away from zero (Rust's f64::round), not Python's banker's rounding."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def crop_resize(arr: np.ndarray, x0: float, x1: float) -> np.ndarray:
    """Crop columns round(x0)..=round(x1) of a float32 array and resize to width 256 with
    PIL's antialiased bilinear filter, height round(h * 256 / w)."""
    c0, c1 = rround(x0), rround(x1)
    crop = np.ascontiguousarray(arr[:, c0:c1 + 1], dtype=np.float32)
    h, w = crop.shape
    new_h = max(1, rround(h * MODEL_W / w))
    return np.asarray(Image.fromarray(crop, mode="F").resize((MODEL_W, new_h), Image.BILINEAR), dtype=np.float32)


def preprocess(L: np.ndarray, x0: float, x1: float) -> np.ndarray:
    """8-bit luminance page -> model input for the track [x0, x1]: ink = (255 - L) / 255."""
    ink = (255.0 - L.astype(np.float32)) / np.float32(255.0)
    return crop_resize(ink, x0, x1)


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def font(idx: int, size: int) -> ImageFont.FreeTypeFont:
    path = FONT_PATHS[idx % len(FONT_PATHS)]
    if not os.path.exists(path) and os.environ.get("VEER_FONT_DIR"):
        # the same DejaVu files carried to a machine without them (gpu.sh's kit)
        path = os.path.join(os.environ["VEER_FONT_DIR"], os.path.basename(path))
    return ImageFont.truetype(path, max(6, size))


def mm(v: float, dpi: float) -> float:
    return v * dpi / 25.4


def px(v_mm: float, dpi: float) -> int:
    return max(1, int(round(mm(v_mm, dpi))))


def lowfreq(rng, h, w, cell, lo=0.0, hi=1.0):
    """Smooth random field in [lo, hi] with features about `cell` pixels across."""
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    g = rng.random((gh, gw), dtype=np.float32)
    f = np.asarray(Image.fromarray(g, mode="F").resize((w, h), Image.BILINEAR), dtype=np.float32)
    return lo + (hi - lo) * f


def curve_rows(well, mnem, depth_of_row, nrows):
    """Curve value at each pixel row (NaN where the LAS is null): the vertices of the drawn polyline."""
    d = well["depth"]
    v = well["curves"][mnem]
    rows_depth = depth_of_row(np.arange(nrows, dtype=np.float64))
    ok = np.isfinite(v)
    vals = np.interp(rows_depth, d[ok], v[ok])
    # null where the nearest LAS sample is null, or outside the logged interval
    idx = np.clip(np.searchsorted(d, rows_depth), 1, len(d) - 1)
    near = np.where(np.abs(d[idx] - rows_depth) < np.abs(d[idx - 1] - rows_depth), idx, idx - 1)
    bad = ~ok[near] | (rows_depth < d[ok][0]) | (rows_depth > d[ok][-1])
    vals[bad] = np.nan
    return vals


def value_to_frac(v, left, right, log):
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.log10(np.maximum(v, 1e-12)) - math.log10(left)) / (math.log10(right) - math.log10(left))
    return (v - left) / (right - left)


# ----------------------------------------------------------------------------------------------
# Print layout
# ----------------------------------------------------------------------------------------------
def pick_scale(rng, well, mnem, fam):
    mnems, presets = FAMILIES[fam]
    log = fam == "res"
    v = well["curves"][mnem]
    if rng.random() < 0.65:
        l, r, log = presets[rng.integers(len(presets))]
        return float(l), float(r), log
    lo, hi = np.nanpercentile(v, [2, 98])
    if log:
        lo, hi = max(lo, 1e-3), max(hi, 2e-3)
        a = math.floor(math.log10(lo)) - int(rng.integers(0, 2))
        b = max(a + 1, math.ceil(math.log10(hi)) + int(rng.integers(0, 2)))
        base = float(rng.choice([1.0, 2.0])) if b - a >= 2 else 1.0
        return base * 10.0 ** a, base * 10.0 ** b, True
    span = (hi - lo) * rng.uniform(1.0, 2.0)
    if span <= 0:
        span = 1.0
    step = 10 ** math.floor(math.log10(span / 10))
    l = math.floor((lo - rng.uniform(0, 0.4) * span) / step) * step
    r = l + math.ceil(span / step / 10) * 10 * step
    if fam in ("nphi", "dt"):
        l, r = r, l
    return float(l), float(r), False


def make_spec(rng, well_name, **ov):
    """Choose every parameter of a print. Any key may be overridden (see the cases)."""
    well = load_well(well_name)
    hard = ov.get("profile", "default") == "hard"
    clean = ov.get("profile", "default") == "clean"
    archive = ov.get("profile", "default") == "archive"
    s = {}
    s["well"] = well_name
    s["unit"] = well["unit"]
    s["dpi"] = ov.get("dpi", int(rng.choice([100, 120, 150, 200, 240, 300])))
    s["ratio"] = ov.get("ratio", int(rng.choice([200, 240, 250, 300, 500, 600, 1000])))
    dpi = s["dpi"]
    dpp_nom = s["ratio"] * 0.0254 / dpi
    if s["unit"] == "FT":
        dpp_nom /= 0.3048
    cands = [0.5, 1, 2, 5, 10, 20] if s["unit"] == "M" else [1, 2, 5, 10, 20, 50]
    min_gap = ov.get("min_line_gap", rng.uniform(5, 14))
    if archive and "min_line_gap" not in ov:
        min_gap = max(min_gap, float(rng.uniform(10, 30)) * dpi / 300)  # heavy grids, not a black mesh
    light = next((c for c in cands if c / dpp_nom >= min_gap), cands[-1])
    heavy = light * 10
    n_heavy = max(2, int(round(heavy / dpp_nom)))
    s["dpp"] = heavy / n_heavy  # depth units per pixel row, heavy lines on integer rows
    s["light"], s["medium"], s["heavy"], s["n_heavy"] = light, light * 5, heavy, n_heavy
    n_tracks = ov.get("n_tracks", int(rng.choice([2, 3])))
    track_in = ov.get("track_in", [float(rng.uniform(1.6, 3.0))] * n_tracks)
    depth_in = ov.get("depth_in", float(rng.uniform(0.5, 0.9)))
    margin = ov.get("margin", int(rng.integers(4, 40)))
    # layout: [margin][track 1][depth track][track 2][track 3][margin]
    x = margin
    tracks = []
    depth_track = None
    for i in range(n_tracks):
        w = int(round(track_in[i] * dpi))
        tracks.append([x, x + w])
        x += w
        if i == 0 and ov.get("depth_track", True):
            dw = int(round(depth_in * dpi))
            depth_track = [x, x + dw]
            x += dw
    s["width"] = ov.get("width", x + margin + 1)
    s["depth_track"] = depth_track
    s["height"] = ov["height"]
    # depth range: row 0 at depth top (heavy lines at integer rows)
    d = well["depth"]
    span = s["height"] * s["dpp"]
    if "top" in ov:
        top = ov["top"]
    else:
        lo, hi = d[0], max(d[0] + 1e-6, d[-1] - span)
        top = rng.uniform(lo, hi) if hi > lo else lo
    first_heavy = math.ceil(top / heavy) * heavy
    y_ref = int(round((first_heavy - top) / s["dpp"]))
    s["y_ref"], s["d_ref"] = y_ref, first_heavy
    s["depth0"] = first_heavy - y_ref * s["dpp"]  # depth of row 0
    # tracks and curves
    kinds = ov.get("kinds") or [str(rng.choice(["lin1", "lin1", "lin2", "log", "log"])) for _ in tracks]
    s["tracks"] = []
    for ti, (x0, x1) in enumerate(tracks):
        kind = kinds[ti]
        curves_spec = (ov.get("curves") or {}).get(ti)
        if curves_spec is None:
            avail = [m for m in well["curves"] if family_of(m) in TRACK_KINDS[kind]]
            if not avail:
                kind = "lin1"
                avail = [m for m in well["curves"] if family_of(m) in TRACK_KINDS[kind]]
            if ov.get("max_curves") is not None:
                n = int(rng.integers(1, ov["max_curves"] + 1))
            else:
                n = int(rng.choice([1, 2, 2, 3, 3] if hard else [1, 1, 1, 2, 2, 3] if clean else [1, 1, 2, 2, 3]))
            n = min(n, len(avail))
            chosen = list(rng.choice(avail, size=n, replace=False))
            curves_spec = []
            for m in chosen:
                fam = family_of(m)
                l, r, log = pick_scale(rng, well, m, fam)
                if kind == "log" and not log:
                    continue
                curves_spec.append({"mnemonic": m, "scale": [l, r], "log": log})
            if kind == "log":
                # one shared log grid: use the first curve's scale for all
                for c in curves_spec:
                    c["scale"] = list(curves_spec[0]["scale"])
        for c in curves_spec:
            if hard:
                c.setdefault("style", str(rng.choice(["solid"] * 2 + ["dashed"] * 3 + ["dotted"] * 2 + ["dashdot"] * 2)))
                c.setdefault("width_mm", float(rng.uniform(0.12, 0.5)))
                c.setdefault("ink", float(rng.uniform(0.45, 1.0)))
                if rng.random() < 0.35:
                    c["flat"] = flat_stretch(rng, c)
            elif clean:
                c.setdefault("style", str(rng.choice(["solid"] * 7 + ["dashed"] * 2 + ["dotted"])))
                c.setdefault("width_mm", float(rng.uniform(0.1, 1.0)))
                c.setdefault("ink", float(rng.uniform(0.7, 1.0)))
                if rng.random() < 0.2:
                    c["flat"] = flat_stretch(rng, c)
            elif archive:
                c.setdefault("style", str(rng.choice(["solid"] * 7 + ["dashed"] * 2 + ["dotted"])))
                c.setdefault("width_mm", float(rng.uniform(0.3, 0.9)))
                c.setdefault("ink", float(rng.uniform(0.8, 1.0)))
            else:
                c.setdefault("style", str(rng.choice(["solid"] * 6 + ["dashed"] * 2 + ["dotted", "dashdot"])))
                c.setdefault("width_mm", float(rng.uniform(0.15, 0.6)))
                c.setdefault("ink", float(rng.uniform(0.6, 1.0)))
        grid_log = any(c["log"] for c in curves_spec) if curves_spec else kind == "log"
        gscale = curves_spec[0]["scale"] if curves_spec else [0.2, 2000]
        s["tracks"].append({"x0": x0, "x1": x1, "kind": kind, "grid_log": grid_log, "grid_scale": gscale,
                            "curves": curves_spec})
    s["grid_ink"] = ov.get("grid_ink", float(rng.choice([rng.uniform(0.25, 0.6), rng.uniform(0.6, 1.0)])))
    s["grid_mm"] = ov.get("grid_mm", float(rng.uniform(0.08, 0.2)))
    s["text"] = ov.get("text", int(rng.integers(0, 6)))
    s["hand"] = ov.get("hand", int(rng.choice([0, 0, 1, 2, 3])))
    s["damage"] = ov.get("damage") or (hard_damage(rng) if hard else random_damage(rng))
    if clean:
        clean_page(rng, s, ov)
    if archive:
        archive_page(rng, s, ov)
    return s


def archive_page(rng, s, ov):
    """The archive profile: a paper print of the 1950s-70s as archives scanned it (bright-1.tif,
    stuckey-1.tif in ../shared/data/real). Dark grids of 0.1-0.25 mm lines, their depth lines
    at least 10-30 px apart at 300 dpi; pens of 0.3-0.9 mm, 70 % solid; 1-bit in about half of the
    prints; in 75 % of the tracks one curve swings out across most of the track and back within
    6-60 rows (at 300 dpi), most swings with one nearly horizontal stroke lying on a depth line
    (`swings`); in 60 % of the prints the sheet drifts sideways through the scanner, moving the
    whole page (grid, curves, text) by a few px every 100-150 rows over stretches (`drift`)."""
    if "grid_ink" not in ov:
        s["grid_ink"] = float(rng.uniform(0.75, 1.0))
    if "grid_mm" not in ov:
        s["grid_mm"] = float(rng.uniform(0.1, 0.25))
    if "damage" not in ov:
        d = s["damage"]
        if not d["threshold"] and rng.random() < 0.3:
            d["threshold"] = float(rng.uniform(140, 200))
        if d["threshold"]:
            d["jpeg"] = 0
            d["fade"] = min(d["fade"], 0.3)  # 1-bit: broken, not erased
    for t in s["tracks"]:
        if t["curves"] and rng.random() < 0.75:
            ci = 0 if rng.random() < 0.7 else int(rng.integers(len(t["curves"])))
            t["curves"][ci]["swings"] = swing_specs(rng, s, t)
    if rng.random() < 0.6:
        s["drift"] = drift_spec(rng, s)


def depth_line_rows(s, kind):
    """Centre rows of the depth lines of one kind ('heavy', 'medium', 'light': every tenth,
    fifth, first line) on the page."""
    n, H = s["n_heavy"], s["height"]
    per = {"heavy": n, "medium": n / 2.0, "light": n / 10.0}[kind]
    k0 = -math.floor(s["y_ref"] / per)
    rows = s["y_ref"] + per * np.arange(k0, k0 + int(H / per) + 2)
    return rows[(rows >= 0) & (rows < H)]


def swing_specs(rng, s, t):
    """Fast swings of one curve: out to a tip across most of the track and back, 6-60 rows in
    all (at 300 dpi, scaled by dpi), one stroke slow (a rows), the other fast (b = 1-4 rows, a
    nearly horizontal stroke). In 80 % of the swings the fast stroke is centred on a depth line
    (heavy 45 %, medium 30 %, light 25 %), the return stroke in 60 % of them, the outgoing one
    otherwise; a third of the swings follow the one before at once (zigzags), the others come
    0.5-2 in after it; the slow stroke wobbles by up to 4 % of the track."""
    H, dpi = s["height"], s["dpi"]
    k = dpi / 300.0
    lines = {kind: depth_line_rows(s, kind) for kind in ("heavy", "medium", "light")}
    out = []
    r = float(rng.uniform(0, 0.6)) * dpi
    while r < H:
        b = max(1, int(round(rng.uniform(1, 4.5) * k)))
        total = max(5.0, rng.uniform(6, 60) * k)
        p = int(rng.integers(0, 3))
        a = max(2, int(round(total - b - p)))
        fast_first = bool(rng.random() < 0.4)
        centre = r + (b / 2 if fast_first else a + p + b / 2)
        if rng.random() < 0.8:
            kind = str(rng.choice(["heavy", "medium", "light"], p=[0.45, 0.3, 0.25]))
            ls = lines[kind] if len(lines[kind]) else lines["light"]
            if len(ls):
                centre = float(ls[np.argmin(np.abs(ls - centre))])
        centre += float(rng.uniform(-1.0, 1.0))
        amp = float(rng.uniform(0.4, 0.95))
        toward = 0 if rng.random() < 0.8 else int(rng.choice([-1, 1]))
        wobble = [float(rng.uniform(0, 0.04)), float(rng.uniform(4, 20) * k), float(rng.uniform(0, 2 * math.pi))]
        out.append({"centre": centre, "fast": b, "slow": a, "tip": p, "amp": amp, "toward": toward,
                    "fast_first": fast_first, "wobble": wobble})
        end = centre + (b / 2 + p + a if fast_first else b / 2)
        r = max(r + 1, end + (rng.uniform(2, 8) * k if rng.random() < 0.33 else rng.uniform(0.5, 2.0) * dpi))
    return out


def apply_swings(f, swings):
    """Curve fractions f (per row, across the track) with the swings drawn in: f = base +
    (tip - base) * g, g rising 0 -> 1 over the outgoing stroke and falling back over the return.
    A swing over a null stretch, or overlapping the one before, is left out."""
    H = len(f)
    base = f.copy()
    last = -1
    for sw in swings:
        b, a, p = sw["fast"], sw["slow"], sw["tip"]
        if sw["fast_first"]:
            r0 = int(round(sw["centre"] - b / 2))
            knots = [(r0, 0.0), (r0 + b, 1.0), (r0 + b + p, 1.0), (r0 + b + p + a, 0.0)]
        else:
            r1 = int(round(sw["centre"] + b / 2))
            knots = [(r1 - b - p - a, 0.0), (r1 - b - p, 1.0), (r1 - b, 1.0), (r1, 0.0)]
        lo, hi = knots[0][0], knots[-1][0]
        if lo <= last or lo < 0 or hi >= H or not np.all(np.isfinite(base[lo:hi + 1])):
            continue
        if not (-0.02 <= base[lo] <= 1.02 and -0.02 <= base[hi] <= 1.02):
            continue  # the curve is off the track there (clipped at its edge)
        rows = np.arange(lo, hi + 1)
        g = np.interp(rows, [k[0] for k in knots], [k[1] for k in knots])
        rt = knots[1][0]
        bt = base[rt]
        d = sw["toward"] or (1.0 if bt < 0.5 else -1.0)
        tip = float(np.clip(bt + d * sw["amp"], 0.02, 0.98))
        f[lo:hi + 1] = base[lo:hi + 1] + (tip - base[lo:hi + 1]) * g
        # a hand-drawn-looking wobble on the slow stroke (zero at its ends): a pen that shakes
        w, period, phase = sw["wobble"]
        f[lo:hi + 1] += w * np.sin(2 * math.pi * (rows - lo) / period + phase) * 4 * g * (1 - g)
        last = hi
    return f


def drift_spec(rng, s):
    """The sheet's sideways drift through the scanner: an offset in px per row, piecewise linear
    over stretches of 0.5-4 in, still in a third of them and otherwise moving 1.5-5 px per 128
    rows (at 300 dpi, scaled by dpi), within +-2-6 % of the narrowest track; in half of the prints
    the offset moves in whole steps of 1-3 px (a scanner that steps), else smoothly."""
    H, dpi = s["height"], s["dpi"]
    tw = min(t["x1"] - t["x0"] for t in s["tracks"])
    maxoff = float(rng.uniform(0.02, 0.06)) * tw
    off = float(rng.uniform(-maxoff, maxoff))
    r = 0.0
    knots = [[0.0, off]]
    while r < H:
        n = float(rng.uniform(0.5, 4.0)) * dpi
        rate = 0.0 if rng.random() < 0.33 else float(rng.choice([-1, 1]) * rng.uniform(1.5, 5.0) / 128 * dpi / 300)
        new = off + rate * n
        if abs(new) > maxoff:
            new = float(np.clip(off - rate * n, -maxoff, maxoff))
        r += n
        off = new
        knots.append([r, off])
    step = int(rng.integers(1, 4)) if rng.random() < 0.5 else 0
    return {"knots": knots, "step": step}


def shift_rows(a, shift, fill=0):
    """Row r of `a` moved right by the integer shift[r] (left where negative), `fill` coming in."""
    out = np.full_like(a, fill)
    W = a.shape[1]
    for i in np.unique(shift):
        rows = np.flatnonzero(shift == i)
        i = int(i)
        if abs(i) >= W:
            continue
        if i >= 0:
            out[rows, i:] = a[rows, :W - i]
        else:
            out[rows, :W + i] = a[rows, -i:]
    return out


def apply_drift(ink, mask, drift):
    """Move each row of the ink layer sideways by the drift's offset (fractional: the two
    nearest columns blended; whole steps where the drift steps) and the mask by the rounded one."""
    H = ink.shape[0]
    kr, ko = zip(*drift["knots"])
    o = np.interp(np.arange(H, dtype=np.float64), kr, ko)
    if drift["step"]:
        o = drift["step"] * np.floor(o / drift["step"])
    i = np.floor(o).astype(np.int64)
    fr = (o - i).astype(np.float32)[:, None]
    a = shift_rows(ink, i)
    ink = (1 - fr) * a + fr * shift_rows(a, np.ones_like(i))
    mask = shift_rows(mask, np.floor(o + 0.5).astype(np.int64))
    return ink.astype(np.float32), mask


def clean_page(rng, s, ov):
    """The clean profile: a clean or grid-removed print. No grid in half of the prints and a
    faint one in a quarter, little text, and no damage in half (mild damage otherwise), so that
    a plain stroke on blank paper stays a curve after fine-tuning on hard prints. Hand
    annotations stay as often as in the default profile: without them (commit 2279c3c) the
    fine-tune learnt that every isolated stroke on blank paper is curve, brackets included; with
    all of them (run clean4) it learnt to doubt plain curves on blank paper, so wavy free-hand
    strokes, the kind that looks most like a piece of curve, are left out of clean pages."""
    s["hand_kinds"] = ["circle", "arrow", "bracket"]
    r = rng.random()
    if "grid_ink" not in ov:
        s["grid_ink"] = 0.0 if r < 0.5 else float(rng.uniform(0.1, 0.3)) if r < 0.75 else s["grid_ink"]
    if "text" not in ov and rng.random() < 0.7:
        s["text"] = 0
    if "damage" not in ov:
        if rng.random() < 0.5:
            s["damage"] = {k: 0 for k in s["damage"]}
        else:
            for k in ("fade", "broken", "saltpepper", "bars", "speckle"):
                s["damage"][k] = 0


def flat_stretch(rng, c):
    """A constant stretch lying on a grid line (a tool at its limit, a logged constant): rows
    [a, a + n) as fractions of the print, at a grid value inside the scale. Its ends are
    horizontal jumps of the polyline, which are curve ink too."""
    l, r = c["scale"]
    if c["log"]:
        lo, hi = sorted((math.log10(l), math.log10(r)))
        decades = [10.0 ** k for k in range(math.floor(lo) + 1, math.ceil(hi)) if lo < k < hi]
        v = float(rng.choice(decades)) if decades else float(10.0 ** ((lo + hi) / 2))
    else:
        v = l + int(rng.integers(1, 10)) * (r - l) / 10.0
    a = float(rng.uniform(0.0, 0.8))
    return [a, float(rng.uniform(0.05, 0.3)), v]


def hard_damage(rng):
    """Damage of the hard profile: faded, broken and 1-bit ink far more often than in the
    default mix, so that faint dashed curves and their vanished stretches are common."""
    dmg = random_damage(rng)
    r = rng.random
    dmg["fade"] = float(rng.uniform(0.2, 0.55)) if r() < 0.6 else dmg["fade"]
    dmg["broken"] = float(rng.uniform(0.1, 0.3)) if r() < 0.5 else dmg["broken"]
    dmg["threshold"] = float(rng.uniform(150, 215)) if r() < 0.5 else dmg["threshold"]
    if dmg["threshold"] and dmg["fade"] > 0.3:
        dmg["threshold"] = max(dmg["threshold"], 175.0)  # faded and 1-bit: broken, not erased
    if dmg["threshold"]:
        dmg["jpeg"] = 0
    return dmg


def random_damage(rng):
    r = rng.random
    dmg = {
        "fade": float(rng.uniform(0, 0.5)) if r() < 0.4 else 0.0,
        "broken": float(rng.uniform(0.02, 0.2)) if r() < 0.3 else 0.0,
        "blur": float(rng.uniform(0.3, 1.3)) if r() < 0.6 else 0.0,
        "paper": float(rng.uniform(0.0, 0.25)) if r() < 0.6 else 0.0,
        "paper_var": float(rng.uniform(0.0, 0.1)) if r() < 0.5 else 0.0,
        "noise": float(rng.uniform(0, 12)) if r() < 0.5 else 0.0,
        "speckle": float(rng.uniform(0, 4e-4)) if r() < 0.5 else 0.0,
        "saltpepper": float(rng.uniform(0, 0.01)) if r() < 0.25 else 0.0,
        "bars": int(rng.integers(1, 4)) if r() < 0.25 else 0,
        "skew": float(rng.uniform(-1, 1)) if r() < 0.4 else 0.0,
        "threshold": float(rng.uniform(135, 215)) if r() < 0.35 else 0.0,
        "jpeg": int(rng.integers(15, 75)) if r() < 0.3 else 0,
    }
    if dmg["threshold"] and dmg["jpeg"] and r() < 0.7:
        dmg["jpeg"] = 0
    return dmg


# ----------------------------------------------------------------------------------------------
# Drawing
# ----------------------------------------------------------------------------------------------
def draw_grid(s, rng):
    H, W, dpi = s["height"], s["width"], s["dpi"]
    img = Image.new("L", (W, H), 0)
    dr = ImageDraw.Draw(img)
    lw = px(s["grid_mm"], dpi)
    mw = max(lw, px(s["grid_mm"] * 1.6, dpi))
    hw = max(mw + 1 if dpi >= 150 else mw, px(s["grid_mm"] * 2.5, dpi))
    bw = max(hw, px(s["grid_mm"] * 3.0, dpi))
    hw, bw = hw | 1, bw | 1  # odd: heavy depth lines (tie points) and borders centred exactly
    light_val = int(255 * rng.uniform(0.55, 1.0))

    def vline(x, w, val=255):
        x = int(round(x))
        a = x - (w - 1) // 2
        dr.rectangle([a, 0, a + w - 1, H - 1], fill=val)

    def hline(y, xa, xb, w, val=255):
        a = int(round(y)) - (w - 1) // 2
        dr.rectangle([xa, a, xb, a + w - 1], fill=val)

    spans = [(t["x0"], t["x1"]) for t in s["tracks"]]
    for t in s["tracks"]:
        x0, x1 = t["x0"], t["x1"]
        if t["grid_log"]:
            l, r = sorted(t["grid_scale"])
            nd = math.log10(r / l)
            start = math.floor(math.log10(l))
            for e in range(start, start + int(math.ceil(nd)) + 2):
                for m in range(1, 10):
                    v = m * 10.0 ** e
                    f = math.log10(v / l) / nd
                    if 0.002 < f < 0.998:
                        vline(x0 + f * (x1 - x0), mw if m == 1 else lw, 255 if m == 1 else light_val)
        else:
            for k in range(1, 10):
                vline(x0 + k * (x1 - x0) / 10, mw if k == 5 else lw, 255 if k == 5 else light_val)
    # depth lines across the curve tracks, with gaps at the depth track
    dpp = s["dpp"]
    d_first = math.ceil(s["depth0"] / s["light"]) * s["light"]
    d = d_first
    d_end = s["depth0"] + H * dpp
    eps = 1e-6 * s["heavy"]
    while d <= d_end:
        y = (d - s["depth0"]) / dpp
        is_heavy = abs(d / s["heavy"] - round(d / s["heavy"])) < 1e-6
        is_med = abs(d / s["medium"] - round(d / s["medium"])) < 1e-6
        w = hw if is_heavy else (mw if is_med else lw)
        val = 255 if (is_heavy or is_med) else light_val
        for xa, xb in spans:
            hline(y, xa, xb, w, val)
        if s["depth_track"] is not None:
            a, b = s["depth_track"]
            tick = int((b - a) * (0.18 if is_heavy else 0.1 if is_med else 0.05))
            hline(y, a, a + tick, w, val)
            hline(y, b - tick, b, w, val)
        d = d_first + round((d - d_first) / s["light"] + 1) * s["light"]
    for xa, xb in spans:
        vline(xa, bw)
        vline(xb, bw)
    if s["depth_track"] is not None:
        vline(s["depth_track"][0], bw)
        vline(s["depth_track"][1], bw)
    return np.asarray(img, dtype=np.float32) / 255.0


def draw_text(s, rng):
    H, W, dpi = s["height"], s["width"], s["dpi"]
    img = Image.new("L", (W, H), 0)
    dr = ImageDraw.Draw(img)
    fi = int(rng.integers(0, 4))
    # depth numbers at heavy lines (and medium ones when there is room)
    if s["depth_track"] is not None:
        a, b = s["depth_track"]
        size = int(mm(rng.uniform(2.2, 3.5), dpi))
        f = font(fi, size)
        show_med = s["medium"] / s["dpp"] > 3 * size
        step = s["medium"] if show_med else s["heavy"]
        d = math.ceil(s["depth0"] / step) * step
        while (d - s["depth0"]) / s["dpp"] < H + size:
            y = (d - s["depth0"]) / s["dpp"]
            txt = f"{d:.0f}" if abs(d - round(d)) < 1e-6 else f"{d:.1f}"
            tw = dr.textlength(txt, font=f)
            dr.text(((a + b) / 2 - tw / 2, y - size * 0.6 - size * 0.7), txt, fill=255, font=f)
            d += step
    words = ["GR", "SP", "CALI", "ILD", "ILM", "RHOB", "NPHI", "DT", "PEF", "LLD", "MSFL", "CSG SHOE",
             "TD", "REPEAT", "MAIN PASS", "0", "150", "0.2", "2000", "1.95", "2.95", "0.45", "-0.15",
             "GAPI", "OHMM", "MV", "SANDSTONE", "SHALE", "LOG TIE", "CORE #1", "PERF", "DST 2",
             "9 5/8\" CSG", "FLUID LEVEL", "BIT SIZE 8.5", "SCALE CHANGE"]
    for _ in range(s["text"]):
        t = s["tracks"][int(rng.integers(len(s["tracks"])))]
        size = int(mm(rng.uniform(2.0, 4.5), dpi))
        f = font(int(rng.integers(0, 4)), size)
        txt = str(rng.choice(words))
        x = rng.uniform(t["x0"], max(t["x0"] + 1, t["x1"] - size * len(txt) * 0.6))
        y = rng.uniform(0, max(1, H - size))
        if rng.random() < 0.3:
            tmp = Image.new("L", (int(size * len(txt) * 0.8) + 4, size + 6), 0)
            ImageDraw.Draw(tmp).text((2, 0), txt, fill=255, font=f)
            tmp = tmp.rotate(90, expand=True)
            img.paste(255, (int(x), int(y)), tmp)
        else:
            dr.text((x, y), txt, fill=255, font=f)
    # hand annotations: wavy strokes, circles, arrows, brackets
    for _ in range(s["hand"]):
        t = s["tracks"][int(rng.integers(len(s["tracks"])))]
        w = px(rng.uniform(0.2, 0.6), dpi)
        kind = rng.choice(s.get("hand_kinds", ["stroke", "circle", "arrow", "bracket"]))
        cx = rng.uniform(t["x0"], t["x1"])
        cy = rng.uniform(0, H)
        L = mm(rng.uniform(5, 25), dpi)
        if kind == "stroke":
            n = 30
            ang = rng.uniform(0, 2 * math.pi)
            tt = np.linspace(0, 1, n)
            wob = np.cumsum(rng.normal(0, 0.15, n))
            xs = cx + L * tt * math.cos(ang) + L * 0.1 * np.sin(wob * 3)
            ys = cy + L * tt * math.sin(ang) + L * 0.1 * np.cos(wob * 3)
            dr.line(list(zip(xs.tolist(), ys.tolist())), fill=255, width=w, joint="curve")
        elif kind == "circle":
            dr.ellipse([cx - L / 2, cy - L / 3, cx + L / 2, cy + L / 3], outline=255, width=w)
        elif kind == "arrow":
            ang = rng.uniform(0, 2 * math.pi)
            ex, ey = cx + L * math.cos(ang), cy + L * math.sin(ang)
            dr.line([cx, cy, ex, ey], fill=255, width=w)
            for da in (2.6, -2.6):
                dr.line([ex, ey, ex + L * 0.25 * math.cos(ang + da), ey + L * 0.25 * math.sin(ang + da)], fill=255, width=w)
        else:
            dr.line([cx, cy, cx + L * 0.2, cy, cx + L * 0.2, cy + L, cx, cy + L], fill=255, width=w)
    return np.asarray(img, dtype=np.float32) / 255.0


def curve_x(s, t, c, nrows):
    well = load_well(s["well"])
    depth_of_row = lambda r: s["depth0"] + r * s["dpp"]
    vals = curve_rows(well, c["mnemonic"], depth_of_row, nrows)
    if c.get("flat"):
        a, n, v = c["flat"]
        i0 = int(a * nrows)
        seg = vals[i0:i0 + max(2, int(n * nrows))]
        seg[np.isfinite(seg)] = v
    f = value_to_frac(vals, c["scale"][0], c["scale"][1], c["log"])
    if c.get("swings"):
        f = apply_swings(f, c["swings"])
        l, r = c["scale"]
        if c["log"]:
            vals = 10.0 ** (math.log10(l) + f * (math.log10(r) - math.log10(l)))
        else:
            vals = l + f * (r - l)
    x = t["x0"] + f * (t["x1"] - t["x0"])
    return vals, x


def dash_runs(x, y, style, lw, dpi):
    """Split a polyline into the visible runs of its dash pattern (arc-length based)."""
    if style == "solid":
        return [(x, y)]
    seg = np.hypot(np.diff(x), np.diff(y))
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if style == "dashed":
        on, off = mm(3.0, dpi), mm(1.5, dpi)
        pat = [(0, on)]
    elif style == "dotted":
        on, off = max(lw, mm(0.4, dpi)), max(2 * lw, mm(1.0, dpi))
        pat = [(0, on)]
    else:  # dashdot
        on, off = mm(3.0, dpi), mm(1.2, dpi)
        dot = max(lw, mm(0.4, dpi))
        pat = [(0, on), (on + off, on + off + dot)]
        off = off * 2 + dot
    period = on + off if style != "dashdot" else pat[-1][1] + off / 2
    ph = s % period
    vis = np.zeros(len(s), bool)
    for a, b in pat:
        vis |= (ph >= a) & (ph < b)
    runs = []
    i = 0
    n = len(s)
    while i < n:
        if vis[i]:
            j = i
            while j + 1 < n and vis[j + 1]:
                j += 1
            runs.append((x[i:j + 2], y[i:j + 2]))  # include the next vertex to keep length
            i = j + 1
        else:
            i += 1
    return runs


def densify(x, y, step):
    """The same polyline with vertices added so that no segment is longer than `step` px
    (dash_runs decides visibility at vertices: a long segment would be all dash or all gap)."""
    seg = np.hypot(np.diff(x), np.diff(y))
    n = np.maximum(1, np.ceil(seg / step).astype(np.int64))
    t = np.concatenate([[0.0], np.concatenate([i + np.arange(1, k + 1) / k for i, k in enumerate(n)])])
    j = np.arange(len(x), dtype=np.float64)
    return np.interp(t, j, x), np.interp(t, j, y)


def draw_curves(s, rng):
    """Curve ink layer (0..1 darkness) and the curve mask. Each track is drawn on its own canvas
    of columns x0..x1 so anything off the track is clipped at the edge."""
    H, W, dpi = s["height"], s["width"], s["dpi"]
    layer = np.zeros((H, W), np.float32)
    mask = np.zeros((H, W), bool)
    rows = np.arange(H, dtype=np.float64)
    for t in s["tracks"]:
        x0, x1 = t["x0"], t["x1"]
        tw = x1 - x0 + 1
        for c in t["curves"]:
            vals, x = curve_x(s, t, c, H)
            c["_vals"], c["_x"] = vals, x
            lw = px(c["width_mm"], dpi)
            # Drawn SS-times supersampled, then box-averaged: antialiased ink whose centre is exact.
            # Pixel (col, row) has its centre at (col, row); PIL's corner convention needs +0.5.
            img = Image.new("L", (tw * SS, H * SS), 0)
            dr = ImageDraw.Draw(img)
            ok = np.isfinite(x)
            xs = np.clip(x - x0, -4 * tw, 5 * tw)
            # runs of valid vertices
            edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
            for a, b in zip(edges[::2], edges[1::2]):
                px_, py_ = xs[a:b], rows[a:b]
                if c.get("swings") and c["style"] != "solid":
                    px_, py_ = densify(px_, py_, 2.0)  # a swing's fast stroke is dashed too
                for rx, ry in dash_runs(px_, py_, c["style"], lw, dpi):
                    pts = list(zip(((rx + 0.5) * SS).tolist(), ((ry + 0.5) * SS).tolist()))
                    if len(pts) == 1:
                        r = lw * SS / 2
                        dr.ellipse([pts[0][0] - r, pts[0][1] - r, pts[0][0] + r, pts[0][1] + r], fill=255)
                    else:
                        dr.line(pts, fill=255, width=lw * SS, joint="curve")
            a_ = np.asarray(img).reshape(H, SS, tw, SS).mean((1, 3), dtype=np.float32) / 255.0
            sl = layer[:, x0:x1 + 1]
            np.maximum(sl, a_ * c["ink"], out=sl)
            mask[:, x0:x1 + 1] |= a_ >= 0.5
    return layer, mask


def apply_damage(ink, mask, s, rng):
    d = s["damage"]
    H, W = ink.shape
    if d.get("fade"):
        ink *= 1.0 - lowfreq(rng, H, W, rng.uniform(40, 300), 0, d["fade"])
    if d.get("broken"):
        holes = lowfreq(rng, H, W, rng.uniform(1.5, 5), 0, 1) < d["broken"]
        ink[holes] *= rng.uniform(0.0, 0.4)
    if d.get("blur"):
        ink = ndimage.gaussian_filter(ink, d["blur"], truncate=2.5)
    bg = np.float32(d.get("paper", 0.0))
    if d.get("paper_var"):
        bg = bg + lowfreq(rng, H, W, rng.uniform(100, 600), 0, d["paper_var"])
    dark = np.float32(rng.uniform(0.0, 0.12))  # ink black level
    lum = (1.0 - bg) * (1.0 - ink) + dark * ink
    if d.get("speckle"):
        n = int(d["speckle"] * H * W)
        sp = np.zeros((H, W), np.float32)
        sp[rng.integers(0, H, n), rng.integers(0, W, n)] = rng.uniform(0.3, 1.0, n).astype(np.float32)
        if rng.random() < 0.5:
            sp = ndimage.grey_dilation(sp, size=(2, 2))
        lum = np.minimum(lum, 1.0 - sp)
    if d.get("bars"):
        for _ in range(d["bars"]):
            if rng.random() < 0.6:
                w = int(rng.integers(3, 60))
                a = int(rng.integers(0, max(1, H - w)))
                lum[a:a + w] *= rng.uniform(0.55, 0.9)
            else:
                w = int(rng.integers(2, 25))
                a = int(rng.integers(0, max(1, W - w)))
                lum[:, a:a + w] *= rng.uniform(0.6, 0.9)
    if d.get("noise"):
        lum = lum + rng.normal(0, d["noise"] / 255.0, (H, W)).astype(np.float32)
    L = np.clip(lum * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if d.get("saltpepper"):
        p = d["saltpepper"]
        r = rng.random((H, W), dtype=np.float32)
        L[r < p / 2] = 0
        L[(r >= p / 2) & (r < p)] = 255
    if d.get("skew"):
        fill = int(np.median(L[:: max(1, H // 64), :: max(1, W // 64)]))
        L = np.asarray(Image.fromarray(L).rotate(d["skew"], resample=Image.BILINEAR, fillcolor=fill))
        mask = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).rotate(d["skew"], resample=Image.NEAREST)) > 127
    if d.get("threshold"):
        L = np.where(L < d["threshold"], 0, 255).astype(np.uint8)
    if d.get("jpeg"):
        buf = io.BytesIO()
        Image.fromarray(L).save(buf, format="JPEG", quality=int(d["jpeg"]))
        L = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
    return L, mask


def render(s, rng):
    """Render a print: 8-bit luminance page (0 black, 255 white) and the curve mask."""
    g = draw_grid(s, rng) * np.float32(s["grid_ink"])
    t = draw_text(s, rng) * np.float32(rng.uniform(0.6, 1.0))
    c, mask = draw_curves(s, rng)
    ink = np.maximum(np.maximum(g, t), c)
    if s.get("drift"):
        ink, mask = apply_drift(ink, mask, s["drift"])
    return apply_damage(ink, mask, s, rng)


def truth(s, ti, ci, step):
    """True curve sampled at `step`: the drawn polyline (one vertex per pixel row) at each depth,
    only where it lies inside the track's scale range."""
    c = s["tracks"][ti]["curves"][ci]
    vals = c["_vals"]
    H = s["height"]
    d0, dpp = s["depth0"], s["dpp"]
    ds = np.arange(math.ceil(d0 / step) * step, d0 + (H - 1) * dpp + 1e-9, step)
    r = (ds - d0) / dpp
    i = np.clip(np.floor(r).astype(int), 0, H - 2)
    fr = r - i
    v = vals[i] * (1 - fr) + vals[i + 1] * fr
    lo, hi = sorted(c["scale"])
    ok = np.isfinite(v) & (v >= lo) & (v <= hi)
    return ds[ok], v[ok]


# ----------------------------------------------------------------------------------------------
# Training crops
# ----------------------------------------------------------------------------------------------
def sample_crops(seed, split, rows=256, profile="default"):
    """One rendered print -> one (input, target) crop per track at model width 256 x `rows`."""
    rng = np.random.default_rng(seed)
    wells = TRAIN_WELLS if split == "train" else VAL_WELLS
    well = wells[int(rng.integers(len(wells)))]
    dpi = int(rng.choice([100, 120, 150, 200, 240, 300]))
    n_tracks = int(rng.choice([2, 3]))
    track_in = [float(rng.uniform(1.6, 3.0)) for _ in range(n_tracks)]
    if profile == "archive" and rng.random() < 0.5:
        dpi = 300  # the real archive prints are 300 dpi scans
    maxw = max(track_in) * dpi
    height = int(maxw * rows / MODEL_W * 1.15) + 16
    s = make_spec(rng, well, dpi=dpi, n_tracks=n_tracks, track_in=track_in, height=height, profile=profile)
    L, mask = render(s, rng)
    out = []
    for t in s["tracks"]:
        x0 = t["x0"] + int(rng.integers(-3, 4))
        x1 = t["x1"] + int(rng.integers(-3, 4))
        x = preprocess(L, x0, x1)
        y = crop_resize(mask.astype(np.float32), x0, x1)
        h = x.shape[0]
        a = int(rng.integers(0, max(1, h - rows + 1)))
        xc = np.zeros((rows, MODEL_W), np.float32)
        yc = np.zeros((rows, MODEL_W), np.float32)
        xc[: min(rows, h - a)] = x[a:a + rows]
        yc[: min(rows, h - a)] = y[a:a + rows]
        out.append((xc, yc))
    return out


PROFILES = ["default", "hard", "clean", "archive"]


def _pool_worker(args):
    seed, split, rows, profile, u8 = args
    # float16 here (the pool's type) keeps the results small on their way back; with u8 the
    # target is stored thresholded (> POS 0.3, as train.py reads it) as uint8
    return [(x.astype(np.float16), (y > 0.3).astype(np.uint8) if u8 else y.astype(np.float16))
            for x, y in sample_crops(seed, split, rows, profile)]


def pool_jobs(n_prints, seed, split, rows, profile="default", u8=False):
    """The prints of a pool: print i has seed `seed * 1_000_003 + i`. `profile` is one name, or a
    mix 'NAME:K,NAME:K,...' whose profiles take turns, K prints each in every round (print i gets
    the profile at i modulo the round), so any prefix of the pool holds the mix."""
    if ":" in profile:
        turn = []
        for part in profile.split(","):
            name, k = part.split(":")
            assert name in PROFILES, name
            turn += [name] * int(k)
        # interleave: spread each profile's turns over the round
        order = sorted(range(len(turn)), key=lambda j: (turn[:j + 1].count(turn[j]) - 0.5) / turn.count(turn[j]))
        turn = [turn[j] for j in order]
    else:
        turn = [profile]
    return [(seed * 1_000_003 + i, split, rows, turn[i % len(turn)], u8) for i in range(n_prints)]


def build_pool(n_prints, seed, split, rows, workers, profile="default", deadline=None, u8=False):
    """Render a pool (see pool_jobs). With `deadline` (seconds from now) it stops taking new
    prints once the time is up and keeps the prints done in order before the first unfinished
    one (a prefix of the pool, the same as a smaller --n). Returns (x, y, number of prints)."""
    import time
    t_end = None if deadline is None else time.time() + deadline
    jobs = pool_jobs(n_prints, seed, split, rows, profile, u8)
    res = []
    if workers > 1:
        import multiprocessing as mp
        for w in (TRAIN_WELLS if split == "train" else VAL_WELLS):
            load_well(w)  # parsed once here; the forked workers share the cache
        pool = mp.get_context("fork").Pool(workers)
        try:
            if t_end is None:
                res = pool.map(_pool_worker, jobs, chunksize=8)
            else:
                it = pool.imap(_pool_worker, jobs, chunksize=1)
                while True:
                    try:
                        res.append(it.next(timeout=max(0.01, t_end - time.time())))
                    except (StopIteration, mp.TimeoutError):
                        break
        finally:
            pool.terminate()
            pool.join()
    else:
        for j in jobs:
            res.append(_pool_worker(j))
            if t_end and time.time() > t_end:
                break
    if not res:
        raise RuntimeError(f"no print rendered within the deadline of {deadline} s")
    xs = [x for r in res for x, _ in r]
    ys = [y for r in res for _, y in r]
    return np.stack(xs), np.stack(ys), len(res)


# ----------------------------------------------------------------------------------------------
# Output helpers
# ----------------------------------------------------------------------------------------------
def overlay(L, mask):
    rgb = np.stack([L, L, L], -1).copy()
    rgb[mask] = [255, 0, 0]
    return Image.fromarray(rgb)


def save_scan(L, path):
    path = Path(path)
    im = Image.fromarray(L)
    if path.suffix == ".tif":
        im.convert("1").save(path, compression="group4")
    elif path.suffix == ".jpg":
        im.save(path, quality=75)
    else:
        im.save(path, optimize=True)


def calibration(s, ti, ci, step, seed=None):
    t = s["tracks"][ti]
    c = t["curves"][ci]
    H = s["height"]
    # two heavy depth lines near the top and bottom (integer rows, exact depths)
    ties = []
    k = 0
    while s["y_ref"] + k * s["n_heavy"] < H:
        ties.append([float(s["y_ref"] + k * s["n_heavy"]), float(s["d_ref"] + k * s["heavy"])])
        k += 1
    cal = {"track": [float(t["x0"]), float(t["x1"])], "scale": [float(c["scale"][0]), float(c["scale"][1])],
           "log": bool(c["log"]), "depth": [ties[1], ties[-2]] if len(ties) >= 4 else [ties[0], ties[-1]]}
    if seed is not None:
        cal["seed"] = [float(seed[0]), float(seed[1])]
    cal["step"] = step
    cal["mnemonic"] = c["mnemonic"]
    cal["unit"] = UNITS.get(family_of(c["mnemonic"]), "")
    cal["depth_unit"] = s["unit"]
    return cal


def write_truth(path, ds, vs):
    with open(path, "w") as f:
        f.write("depth,value\n")
        for d, v in zip(ds, vs):
            f.write(f"{np.format_float_positional(round(float(d), 4), trim='-')},{v:.6g}\n")


def nice_step(dpp, unit):
    """Output step no finer than the depth per pixel row."""
    cands = [0.05, 0.1, 0.125, 0.2, 0.25, 0.5, 1.0, 2.0]
    return next(c for c in cands if c >= dpp * 0.999)


def seed_point(s, ti, ci, rng):
    """A pixel on curve ci, far from the other curves of the track."""
    t = s["tracks"][ti]
    x = t["curves"][ci]["_x"]
    others = [c["_x"] for j, c in enumerate(t["curves"]) if j != ci]
    H = s["height"]
    best, by = -1, H // 2
    for y in range(int(H * 0.1), int(H * 0.9), 3):
        if not np.isfinite(x[y]) or not (t["x0"] + 5 < x[y] < t["x1"] - 5):
            continue
        dmin = min([abs(x[y] - o[y]) if np.isfinite(o[y]) else 1e9 for o in others] + [1e9])
        if dmin > best:
            best, by = dmin, y
    return [float(round(x[by])), float(by)]


# ----------------------------------------------------------------------------------------------
# Golden cases (validation wells only)
# ----------------------------------------------------------------------------------------------
TX, KS = "42303347740000.las", "24034.LAS"
NODMG = {"blur": 0.5}
CASES = [
    # name, file ext, well, overrides (track 0 is the scored track), curve index, want seed
    ("gr-linear-png", "png", TX, dict(dpi=150, ratio=240, top=5000.0, height=2400, n_tracks=2, track_in=[2.5, 2.0],
                                      kinds=["lin1", "log"], text=2, hand=0,
                                      curves={0: [{"mnemonic": "GR", "scale": [0, 150], "log": False, "style": "solid", "width_mm": 0.35, "ink": 1.0}]},
                                      damage=dict(blur=0.6, paper=0.06)), 0, False),
    ("res-log-g4", "tif", TX, dict(dpi=200, ratio=500, top=6000.0, height=3400, n_tracks=2, track_in=[2.4, 1.4], depth_in=0.6,
                                   kinds=["log", "lin1"], text=2, hand=1,
                                   curves={0: [{"mnemonic": "ILD", "scale": [0.2, 2000], "log": True, "style": "solid", "width_mm": 0.3, "ink": 1.0}]},
                                   damage=dict(blur=0.7, noise=6, threshold=150)), 0, False),
    ("crossing-seed", "png", TX, dict(dpi=150, ratio=240, top=3500.0, height=2600, n_tracks=2, track_in=[2.5, 2.0],
                                      kinds=["lin2", "lin1"], text=1, hand=0,
                                      curves={0: [{"mnemonic": "RHOB", "scale": [1.95, 2.95], "log": False, "style": "solid", "width_mm": 0.35, "ink": 1.0},
                                                  {"mnemonic": "NPHI", "scale": [0.45, -0.15], "log": False, "style": "solid", "width_mm": 0.3, "ink": 0.9}]},
                                      damage=dict(blur=0.6, paper=0.05)), 0, True),
    ("dashed-png", "png", TX, dict(dpi=150, ratio=240, top=7000.0, height=2400, n_tracks=2, track_in=[2.5, 2.0],
                                   kinds=["lin1", "log"], text=1, hand=0,
                                   curves={0: [{"mnemonic": "SP", "scale": [-20, 80], "log": False, "style": "dashed", "width_mm": 0.35, "ink": 1.0}]},
                                   damage=dict(blur=0.6)), 0, False),
    ("noisy-1bit-png", "png", KS, dict(dpi=200, ratio=240, top=3130.0, height=1880, n_tracks=2, track_in=[2.4, 1.4], depth_in=0.6,
                                       kinds=["lin1", "lin1"], text=3, hand=2, grid_ink=0.9,
                                       curves={0: [{"mnemonic": "GR", "scale": [0, 50], "log": False, "style": "solid", "width_mm": 0.35, "ink": 1.0}]},
                                       damage=dict(blur=1.0, fade=0.4, broken=0.08, speckle=3e-4, saltpepper=0.006, noise=10, bars=2, threshold=140)), 0, False),
    ("jpeg-gr", "jpg", KS, dict(dpi=150, ratio=200, top=3130.0, height=1700, n_tracks=2, track_in=[2.5, 1.6], depth_in=0.6,
                                kinds=["lin1", "lin1"], text=2, hand=1,
                                curves={0: [{"mnemonic": "GR", "scale": [0, 50], "log": False, "style": "solid", "width_mm": 0.3, "ink": 0.85}]},
                                damage=dict(blur=0.8, paper=0.12, paper_var=0.06, noise=3, jpeg=35)), 0, False),
    ("nphi-reversed", "png", TX, dict(dpi=120, ratio=500, top=4000.0, height=3000, n_tracks=2, track_in=[2.5, 2.5],
                                      kinds=["lin2", "log"], text=2, hand=0,
                                      curves={0: [{"mnemonic": "NPHI", "scale": [0.45, -0.15], "log": False, "style": "solid", "width_mm": 0.35, "ink": 1.0}]},
                                      damage=dict(blur=0.5, paper=0.05)), 0, False),
]


def render_case(name, ext, well, ov, ci, want_seed, out_dir, seed=1234):
    rng = np.random.default_rng(seed + sum(map(ord, name)))
    s = make_spec(rng, well, **ov)
    L, mask = render(s, rng)
    d = Path(out_dir) / name
    d.mkdir(parents=True, exist_ok=True)
    for old in d.glob("scan.*"):
        old.unlink()
    save_scan(L, d / f"scan.{ext}")
    step = nice_step(s["dpp"], s["unit"])
    seedpt = seed_point(s, 0, ci, rng) if want_seed else None
    cal = calibration(s, 0, ci, step, seedpt)
    (d / "case.json").write_text(json.dumps(cal, indent=1) + "\n")
    ds, vs = truth(s, 0, ci, step)
    write_truth(d / "truth.csv", ds, vs)
    return s, L, mask, cal


def main_cases(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, ext, well, ov, ci, ws in CASES:
        s, L, mask, cal = render_case(name, ext, well, copy.deepcopy(ov), ci, ws, out)
        size = os.path.getsize(out / name / f"scan.{ext}")
        print(f"{name}: {L.shape[1]}x{L.shape[0]} {size/1024:.0f} KB step={cal['step']} dpp={s['dpp']:.4f} "
              f"curves={[c['mnemonic'] for c in s['tracks'][0]['curves']]}")
        if args.preview:
            Path(args.preview).mkdir(parents=True, exist_ok=True)
            overlay(L, mask).save(Path(args.preview) / f"{name}.png")


def full_print(seed):
    """The full-size sample's spec, page and curve mask (`main_full`), and the generator
    after rendering (which then places the seeds)."""
    rng = np.random.default_rng(seed)
    ov = dict(dpi=150, ratio=600, top=3000.0, height=13000, n_tracks=3, track_in=[2.5, 2.5, 2.5], depth_in=0.75,
              margin=20, width=1300, kinds=["lin1", "lin2", "log"], text=8, hand=3, grid_ink=1.0, grid_mm=0.15,
              min_line_gap=12,
              curves={0: [{"mnemonic": "GR", "scale": [0, 150], "log": False, "style": "solid", "width_mm": 0.35, "ink": 1.0},
                          {"mnemonic": "SP", "scale": [-20, 80], "log": False, "style": "dashed", "width_mm": 0.3, "ink": 1.0}],
                      1: [{"mnemonic": "RHOB", "scale": [1.95, 2.95], "log": False, "style": "solid", "width_mm": 0.35, "ink": 1.0},
                          {"mnemonic": "NPHI", "scale": [0.45, -0.15], "log": False, "style": "dashed", "width_mm": 0.3, "ink": 1.0}],
                      2: [{"mnemonic": "ILD", "scale": [0.2, 2000], "log": True, "style": "solid", "width_mm": 0.35, "ink": 1.0},
                          {"mnemonic": "ILM", "scale": [0.2, 2000], "log": True, "style": "dotted", "width_mm": 0.3, "ink": 1.0}]},
              damage=dict(blur=0.7, noise=2, speckle=2e-5, threshold=150))
    s = make_spec(rng, TX, **ov)
    L, mask = render(s, rng)
    return s, L, mask, rng


def main_full(args):
    """Full-size sample: 1,300 x 13,000 px, 1-bit G4 TIFF, three tracks, Texas well."""
    s, L, _, rng = full_print(args.seed)
    d = Path(args.out)
    d.mkdir(parents=True, exist_ok=True)
    save_scan(L, d / "scan.tif")
    step = 1.0  # coarser than the 0.33 ft per row; keeps the truth files small
    for ti, t in enumerate(s["tracks"]):
        for ci, c in enumerate(t["curves"]):
            seedpt = seed_point(s, ti, ci, rng)
            cal = calibration(s, ti, ci, step, seedpt)
            tag = f"track{ti + 1}-{c['mnemonic'].lower()}"
            (d / f"{tag}.json").write_text(json.dumps(cal, indent=1) + "\n")
            ds, vs = truth(s, ti, ci, step)
            write_truth(d / f"{tag}.truth.csv", ds, vs)
    print(f"full: {L.shape[1]}x{L.shape[0]} {os.path.getsize(d / 'scan.tif')/1024:.0f} KB dpp={s['dpp']:.4f} step={step}")


def main_preview(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wells = TRAIN_WELLS if args.split == "train" else VAL_WELLS
    for i in range(args.n):
        rng = np.random.default_rng(args.seed * 1000 + i)
        well = wells[i % len(wells)]
        s = make_spec(rng, well, height=args.height, profile=args.profile)
        L, mask = render(s, rng)
        Image.fromarray(L).save(out / f"page{i}.png")
        overlay(L, mask).save(out / f"page{i}_mask.png")
        print(i, well, s["dpi"], s["ratio"], [t["kind"] for t in s["tracks"]],
              [[c["mnemonic"] + ":" + c["style"] for c in t["curves"]] for t in s["tracks"]], s["damage"])
    crops = sample_crops(args.seed, args.split, profile=args.profile)
    for j, (x, y) in enumerate(crops):
        g = (255 - np.clip(x * 255, 0, 255)).astype(np.uint8)
        overlay(g, y > 0.3).save(out / f"crop{j}.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("preview")
    p.add_argument("--split", default="train")
    p.add_argument("--n", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--height", type=int, default=1500)
    p.add_argument("--profile", choices=PROFILES, default="default")
    p.add_argument("--out", default="/tmp/veer-preview")
    p = sub.add_parser("pool")
    p.add_argument("--split", default="train")
    p.add_argument("--n", type=int, default=1000, help="number of prints (2-3 crops each)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rows", type=int, default=256)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--profile", default="default",
                   help="hard: mostly dashed/dotted, faint, faded, broken and 1-bit curves, flat stretches on grid lines; "
                        "clean: grid-less or faint-grid prints, little text, no or mild damage; "
                        "archive: fast swings with a stroke on a depth line, a sheet that drifts sideways, dark heavy grids; "
                        "or a mix 'default:4,archive:3,clean:2,hard:1' (profiles take turns print by print)")
    p.add_argument("--deadline", type=float, default=None,
                   help="stop rendering after this many seconds and keep the prints done (a prefix of the pool)")
    p.add_argument("--u8", action="store_true", help="store the target thresholded (> 0.3) as uint8 (half the size)")
    p.add_argument("--out", required=True)
    p = sub.add_parser("cases")
    p.add_argument("--out", default="crate/tests/cases")
    p.add_argument("--preview", default=None)
    p = sub.add_parser("full")
    p.add_argument("--out", default="crate/tests/cases/full-g4")
    p.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if args.cmd == "preview":
        main_preview(args)
    elif args.cmd == "pool":
        if args.split == "train":
            assert not set(TRAIN_WELLS) & set(VAL_WELLS)
        if ":" not in args.profile and args.profile not in PROFILES:
            ap.error(f"--profile {args.profile}: one of {PROFILES} or a mix NAME:K,...")
        import time
        t0 = time.time()
        x, y, done = build_pool(args.n, args.seed, args.split, args.rows, args.workers, args.profile,
                                args.deadline, args.u8)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        np.savez(args.out, x=x, y=y)
        print(f"pool {args.out}: {done} of {args.n} prints in {time.time() - t0:.0f} s, {x.shape}, "
              f"curve fraction {(y > 0.3).mean():.4f}")
    elif args.cmd == "cases":
        main_cases(args)
    elif args.cmd == "full":
        main_full(args)


if __name__ == "__main__":
    main()
