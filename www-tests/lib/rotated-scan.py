"""Turns the full-size sample print (1,300 x 13,000 px, 1-bit G4) by DEGREES counter-clockwise
on screen, on a canvas grown to hold all of it (white where nothing was), as a 1-bit G4 TIFF
(thresholded light, so that thin lines stay unbroken):
a print fed into the scanner at a slant. Prints the canvas's offset, "dx dy": the straightened
scan is the print moved by it.

    python3 rotated-scan.py DEGREES OUT.tif
"""

import sys
from pathlib import Path

from PIL import Image

degrees = float(sys.argv[1])
src = Image.open(Path(__file__).resolve().parents[2] / "crate/tests/cases/full-g4/scan.tif").convert("L")
out = src.rotate(degrees, resample=Image.BICUBIC, expand=True, fillcolor=255)
out.point(lambda v: 255 if v > 224 else 0).convert("1").save(sys.argv[2], compression="group4")
print((out.width - src.width) / 2, (out.height - src.height) / 2)
