"""Rendered character crops for the depth-number reader.

Every sample is one character (a digit 0-9, or class 10: "not a digit") as the core's label reader
sees it: a 1-bit ink crop, cut to its tight bounding box, turned upright, then normalised by
`normalise` below, which is the same arithmetic as `crate/src/digits/crop.rs` (keep them in step).

Fonts: typewriter (monospace), plotter (single-stroke polylines drawn here, Hershey-like), stencil /
condensed sans, sans and serif; 10-40 px digit height (200-300 dpi prints); damage: blur before
thresholding, noise, speckle, broken strokes, thickened strokes (up to filled-in counters, as on
heavily inked prints), thin strokes. Negatives (class 10): dashes, ticks, dots, bars, grid crossings,
curve fragments, and digits turned 90 or 270 degrees (and 180 for the asymmetric ones), so that the
wrong orientation of a label reads as "not digits".
"""

import math
import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SIZE = 24  # network input side
FIT = 20  # the crop's longer side is scaled to this many pixels
SUB = 4  # sub-samples per output pixel side (nearest neighbour), averaged
NOT_DIGIT = 10

FONT_DIRS = ["/usr/share/fonts/truetype", "/usr/share/fonts/opentype"]
FONT_NAMES = [
    # typewriter
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf",
    "NimbusMonoPS-Regular.otf", "NimbusMonoPS-Bold.otf", "NotoSansMono-Regular.ttf",
    # condensed / stencil-like sans
    "LiberationSansNarrow-Regular.ttf", "LiberationSansNarrow-Bold.ttf", "NimbusSansNarrow-Regular.otf",
    "NimbusSansNarrow-Bold.otf", "DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf",
    # sans and serif (computer-plotted and typeset prints)
    "NimbusSans-Regular.otf", "NimbusSans-Bold.otf", "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf",
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "URWGothic-Book.otf", "URWGothic-Demi.otf",
    "NimbusRoman-Regular.otf", "LiberationSerif-Regular.ttf", "C059-Roman.otf",
]


def find_fonts():
    paths = {}
    for d in FONT_DIRS:
        for root, _, files in os.walk(d):
            for f in files:
                paths.setdefault(f, os.path.join(root, f))
    found = [paths[n] for n in FONT_NAMES if n in paths]
    if len(found) < 8:
        raise SystemExit(f"only {len(found)} of the fonts found; install fonts-dejavu, fonts-liberation, fonts-urw-base35")
    return found


# Single-stroke plotter digits: polylines in a unit box (x right, y down), Hershey-like.
def _arc(cx, cy, rx, ry, a0, a1, n=10):
    return [(cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)), cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n))) for i in range(n + 1)]


PLOTTER = {
    "0": [_arc(0.5, 0.5, 0.45, 0.5, 0, 360, 16)],
    "1": [[(0.3, 0.2), (0.55, 0.0), (0.55, 1.0)]],
    "1bar": [[(0.5, 0.0), (0.5, 1.0)]],  # a plain bar (geometric typefaces, some plotters)
    "2": [_arc(0.5, 0.28, 0.42, 0.28, 200, 380, 8) + [(0.05, 1.0), (0.95, 1.0)]],
    "3": [_arc(0.48, 0.25, 0.4, 0.25, 200, 450, 10), _arc(0.48, 0.73, 0.45, 0.27, 270, 520, 10)],
    "4": [[(0.7, 1.0), (0.7, 0.0), (0.02, 0.7), (0.98, 0.7)]],
    "5": [[(0.88, 0.0), (0.15, 0.0), (0.1, 0.45)] + _arc(0.48, 0.68, 0.42, 0.32, 230, 500, 12)],
    "6": [_arc(0.5, 0.7, 0.42, 0.3, 0, 360, 14), [(0.08, 0.7), (0.2, 0.3), (0.45, 0.05), (0.75, 0.0)]],
    "7": [[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)]],
    "8": [_arc(0.5, 0.25, 0.36, 0.25, 0, 360, 12), _arc(0.5, 0.74, 0.44, 0.26, 0, 360, 12)],
    "9": [_arc(0.5, 0.3, 0.42, 0.3, 0, 360, 14), [(0.92, 0.3), (0.8, 0.7), (0.55, 0.95), (0.25, 1.0)]],
}


def normalise(ink):
    """Bool/0-1 crop (tight box, upright) -> float32 SIZE x SIZE, same as crop.rs::normalise."""
    h, w = ink.shape
    m = max(h, w)
    # integer arithmetic throughout, so that Rust computes the very same sub-sample positions
    oh = max(1, min(FIT, (2 * h * FIT + m) // (2 * m)))
    ow = max(1, min(FIT, (2 * w * FIT + m) // (2 * m)))
    y0 = (SIZE - oh) // 2
    x0 = (SIZE - ow) // 2
    out = np.zeros((SIZE, SIZE), np.float32)
    # output pixel (oy, ox), sub-sample k along y: source row ((2k + 1) * h) // (2 * oh * SUB)
    sy = ((2 * np.arange(oh * SUB) + 1) * h) // (2 * oh * SUB)
    sx = ((2 * np.arange(ow * SUB) + 1) * w) // (2 * ow * SUB)
    sub = ink[np.ix_(np.minimum(sy, h - 1), np.minimum(sx, w - 1))].astype(np.float32)
    out[y0:y0 + oh, x0:x0 + ow] = sub.reshape(oh, SUB, ow, SUB).mean(axis=(1, 3))
    return out


def _damage(gray, rng, heavy, height=20):
    """gray: float 0 (paper) .. 1 (ink) at the print's resolution -> bool ink after scan damage."""
    img = gray
    if rng.random() < 0.6:
        r = rng.uniform(0.3, 1.2)
        img = np.asarray(Image.fromarray((img * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(r)), np.float32) / 255
    if rng.random() < 0.5:
        img = img + rng.normal(0, rng.uniform(0.03, 0.15), img.shape)
    thr = rng.uniform(0.25, 0.65)
    if heavy:
        thr = rng.uniform(0.15, 0.35)
    ink = img > thr
    if rng.random() < 0.3 or heavy:  # thicken
        k = 5 if heavy and height >= 18 and rng.random() < 0.5 else 3
        ink = np.asarray(Image.fromarray(ink.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(k))) > 0
    elif rng.random() < 0.15:  # thin
        thin = np.asarray(Image.fromarray(ink.astype(np.uint8) * 255).filter(ImageFilter.MinFilter(3))) > 0
        if thin.sum() > 0.4 * ink.sum():
            ink = thin
    if rng.random() < 0.3:  # broken strokes: erase small blobs of ink
        for _ in range(rng.integers(1, 4)):
            y, x = rng.integers(0, ink.shape[0]), rng.integers(0, ink.shape[1])
            r = rng.integers(1, 3)
            ink[max(0, y - r):y + r, max(0, x - r):x + r] = False
    if rng.random() < 0.3:  # speckle
        n = rng.integers(1, 6)
        ys, xs = rng.integers(0, ink.shape[0], n), rng.integers(0, ink.shape[1], n)
        ink[ys, xs] = True
    return ink


def _tight(ink, min_frac=0.04):
    if ink.size == 0:
        return None
    """Cut to the tight box of the ink, ignoring specks far smaller than the glyph."""
    ys, xs = np.nonzero(ink)
    if len(ys) == 0:
        return None
    # drop specks when computing the box: the core ignores components far smaller than the glyph
    from scipy import ndimage  # local import: only training needs scipy

    lab, n = ndimage.label(ink, structure=np.ones((3, 3)))
    sizes = ndimage.sum(ink, lab, range(1, n + 1))
    big = max(sizes)
    good = [i + 1 for i, s in enumerate(sizes) if s >= max(3, min_frac * big)]
    mask = np.isin(lab, good)
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return None
    return mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def render_char(ch, rng, fonts):
    """One character at print resolution, as float gray (ink = 1)."""
    height = rng.uniform(10, 40)  # digit height in pixels
    heavy = rng.random() < 0.2
    if ch == "1" and rng.random() < 0.12:
        ch = "1bar"
    if ch == "1bar" or (rng.random() < 0.25 and ch in PLOTTER):
        s = 4  # draw at 4x, then downsample
        hh = height * s
        ww = hh * rng.uniform(0.5, 0.75)
        pad = int(hh * 0.3) + 4
        im = Image.new("L", (int(ww + 2 * pad), int(hh + 2 * pad)), 0)
        d = ImageDraw.Draw(im)
        lw = max(1, int(hh * rng.uniform(0.06, 0.16)))
        slant = rng.uniform(-0.15, 0.15)
        for line in PLOTTER[ch]:
            pts = [(pad + (x + slant * (1 - y)) * ww + rng.normal(0, hh * 0.01), pad + y * hh + rng.normal(0, hh * 0.01)) for x, y in line]
            d.line(pts, fill=255, width=lw, joint="curve")
            for p in (pts[0], pts[-1]):
                d.ellipse([p[0] - lw / 2, p[1] - lw / 2, p[0] + lw / 2, p[1] + lw / 2], fill=255)
        im = im.resize((max(4, im.width // s), max(4, im.height // s)), Image.BILINEAR)
    else:
        font = ImageFont.truetype(fonts[rng.integers(len(fonts))], size=max(8, int(height * 1.4 * 3)))
        box = font.getbbox(ch)
        pad = 12
        im = Image.new("L", (box[2] - box[0] + 2 * pad, box[3] - box[1] + 2 * pad), 0)
        ImageDraw.Draw(im).text((pad - box[0], pad - box[1]), ch, fill=255, font=font)
        sx = rng.uniform(0.8, 1.15)  # condensed or wide
        im = im.resize((max(4, int(im.width * sx / 3)), max(4, im.height // 3)), Image.BILINEAR)
    g = np.asarray(im, np.float32) / 255
    return g, (heavy, height)


def render_negative(rng, fonts):
    """Something of digit size that is not one upright digit."""
    kind = rng.random()
    h = int(rng.uniform(10, 40))
    if kind < 0.45:  # a digit turned sideways or upside down
        ch = str(rng.integers(10))
        g, heavy = render_char(ch, rng, fonts)
        k = rng.choice([1, 3]) if ch in "0869" else rng.choice([1, 2, 3])
        return np.rot90(g, k).copy(), heavy
    heavy = (False, h)
    w = int(rng.uniform(4, 40))
    g = np.zeros((h + 8, w + 8), np.float32)
    im = Image.fromarray((g * 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    lw = int(rng.integers(1, 5))
    if kind < 0.6:  # dash / bar / tick
        y = rng.integers(4, h + 4)
        d.line([(4, y), (w + 4, y + rng.integers(-2, 3))], fill=255, width=lw)
    elif kind < 0.7:  # dot
        r = rng.uniform(1.5, 4)
        d.ellipse([4, 4, 4 + 2 * r, 4 + 2 * r], fill=255)
    elif kind < 0.8:  # grid crossing
        d.line([(4, h // 2 + 4), (w + 4, h // 2 + 4)], fill=255, width=lw)
        d.line([(w // 2 + 4, 4), (w // 2 + 4, h + 4)], fill=255, width=lw)
    elif kind < 0.92:  # curve fragment
        pts = [(4 + w * i / 8, 4 + h / 2 + rng.normal(0, h / 3)) for i in range(9)]
        d.line(pts, fill=255, width=lw)
    else:  # a letter
        font = ImageFont.truetype(fonts[rng.integers(len(fonts))], size=h * 3)
        ch = "FTACEHKLMNPRSUVWXZ"[rng.integers(18)]
        box = font.getbbox(ch)
        im = Image.new("L", (box[2] - box[0] + 24, box[3] - box[1] + 24), 0)
        ImageDraw.Draw(im).text((12 - box[0], 12 - box[1]), ch, fill=255, font=font)
        im = im.resize((max(4, im.width // 3), max(4, im.height // 3)), Image.BILINEAR)
    return np.asarray(im, np.float32) / 255, heavy


def render_in_context(d, rng, fonts):
    """Digit `d` between two others, thickened until they may touch, cut out at its advance box as
    the core cuts touching digits apart (fragments of the neighbours stay at the edges)."""
    height = rng.uniform(12, 36)
    heavy = rng.random() < 0.6
    font = ImageFont.truetype(fonts[rng.integers(len(fonts))], size=max(8, int(height * 1.4 * 3)))
    a, b = str(rng.integers(10)), str(rng.integers(10))
    text = a + d + b
    box = font.getbbox(text)
    pad = 12
    im = Image.new("L", (box[2] - box[0] + 2 * pad, box[3] - box[1] + 2 * pad), 0)
    ImageDraw.Draw(im).text((pad - box[0], pad - box[1]), text, fill=255, font=font)
    x0 = (pad - box[0] + font.getlength(a)) / 3
    x1 = (pad - box[0] + font.getlength(a + d)) / 3
    im = im.resize((max(4, im.width // 3), max(4, im.height // 3)), Image.BILINEAR)
    ink = _damage(np.asarray(im, np.float32) / 255, rng, heavy, height)
    j0, j1 = rng.integers(-1, 2, 2)
    cut = ink[:, max(0, int(round(x0)) + j0):int(round(x1)) + j1]
    return _tight(cut, 0.0) if cut.size else None


def sample(rng, fonts, neg_frac=0.25):
    while True:
        if rng.random() < 0.2:
            y = int(rng.integers(10))
            t = render_in_context(str(y), rng, fonts)
            if t is None or t.sum() < 4:
                continue
            return normalise(t), y
        if rng.random() < neg_frac:
            g, heavy = render_negative(rng, fonts)
            y = NOT_DIGIT
        else:
            y = int(rng.integers(10))
            g, heavy = render_char(str(y), rng, fonts)
        g = np.pad(g, 3)
        ink = _damage(g, rng, *heavy)
        t = _tight(ink)
        if t is None or t.sum() < 4:
            continue
        if rng.random() < 0.1:  # a neighbour's or a grid line's edge touching the crop
            side = rng.integers(4)
            t = t.copy()
            if side == 0:
                t[:, :1] = True
            elif side == 1:
                t[:, -1:] = True
            elif side == 2:
                t[:1, :] = True
            else:
                t[-1:, :] = True
        return normalise(t), y


def make(n, seed, fonts=None):
    fonts = fonts or find_fonts()
    rng = np.random.default_rng(seed)
    random.seed(seed)
    xs = np.zeros((n, 1, SIZE, SIZE), np.float32)
    ys = np.zeros(n, np.int64)
    for i in range(n):
        xs[i, 0], ys[i] = sample(rng, fonts)
    return xs, ys


if __name__ == "__main__":
    import sys

    out = sys.argv[1] if len(sys.argv) > 1 else "target/digits/preview.png"
    xs, ys = make(160, 1)
    grid = np.zeros((10 * 26, 16 * 26), np.float32)
    for i in range(160):
        r, c = divmod(i, 16)
        grid[r * 26:r * 26 + 24, c * 26:c * 26 + 24] = xs[i, 0]
    Image.fromarray(((1 - grid) * 255).astype(np.uint8)).resize((16 * 52, 10 * 52), Image.NEAREST).save(out)
    print(" ".join(str(y) for y in ys[:160]))
