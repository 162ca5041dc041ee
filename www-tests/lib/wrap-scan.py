"""The wrapped gamma ray print of crate/tests/wrap.rs, drawn the same way, as a 1-bit PNG:
480 x 4,000 px, one track (columns 40-440, ten divisions, a depth line every 20 rows) and a
gamma ray of 8 to 232 API drawn as a recorder draws it, values over 150 on the backup scale
150-300 from the track's left edge (the pen runs off the right edge and comes back in at the
left). Row r is depth r (the test's tie points); gr(r) below is the truth.

    python3 wrap-scan.py OUT.png
"""

import math
import sys

import numpy as np
from PIL import Image

WIDTH, HEIGHT, X0, X1 = 480, 4000, 40.0, 440.0


def gr(row):
    wave = lambda period: math.sin(2.0 * math.pi * row / period)
    return 120.0 + 100.0 * wave(1800.0) + 8.0 * wave(37.0) + 4.0 * wave(13.0)


def rnd(v):
    # Rust's f64::round: half away from zero.
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


img = np.full((HEIGHT, WIDTH), 255, np.uint8)


def dot(x, y, r):
    a, b = max(rnd(x - r), 0), min(rnd(x + r), WIDTH - 1)
    img[y, int(a):int(b) + 1] = 0


for y in range(HEIGHT):
    for k in range(11):
        dot(X0 + (X1 - X0) * k / 10.0, y, 0.5)
    if y % 20 == 0:
        img[y, int(X0):int(X1) + 1] = 0
x_of = lambda v: X0 + (v % 150.0) / 150.0 * (X1 - X0)
for y in range(100, HEIGHT - 100):
    v0, v1 = gr(y), gr(y + 1.0)
    a, b = x_of(v0), x_of(v1)
    if (v0 >= 150.0) == (v1 >= 150.0):
        dot(a, y, 1.5)
        dot(b, y + 1, 1.5)
        x = min(a, b)
        while x <= max(a, b):
            dot(x, y, 1.5)
            x += 1.0
    else:
        dot(a, y, 1.5)
        dot(b, y + 1, 1.5)
Image.fromarray(img).convert("1").save(sys.argv[1])
