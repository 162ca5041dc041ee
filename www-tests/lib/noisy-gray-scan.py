"""Makes an 8-bit grayscale PNG of the full-size sample print (1,300 x 13,000 px)
with paper-tone noise, as a gray scanner would: too large for one cloud request
(over 4.67 MB), so the browser must re-save it before upload.

    python3 noisy-gray-scan.py OUT.png
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image

src = np.asarray(Image.open(Path(__file__).resolve().parents[2] / "crate/tests/cases/full-g4/scan.tif").convert("L"), dtype=np.int16)
rng = np.random.default_rng(7)
paper = 232 + rng.integers(-14, 15, size=src.shape)  # uneven paper
ink = 28 + rng.integers(-20, 21, size=src.shape)  # uneven ink
gray = np.where(src < 128, ink, paper).clip(0, 255).astype(np.uint8)
Image.fromarray(gray, "L").save(sys.argv[1], compress_level=6)
