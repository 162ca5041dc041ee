"""Crops the full-size sample print (1,300 x 13,000 px, 1-bit G4) to its first
ROWS rows, as a 1-bit G4 TIFF, for the browser benchmarks. Past 13,000 rows the print
is stacked on itself first (as scripts/bench makes its long scans).

    python3 crop-scan.py ROWS OUT.tif
"""

import sys
from pathlib import Path

from PIL import Image

rows = int(sys.argv[1])
src = Image.open(Path(__file__).resolve().parents[2] / "crate/tests/cases/full-g4/scan.tif").convert("1")
if rows > src.height:
    tall = Image.new("1", (src.width, rows), 1)
    for y in range(0, rows, src.height):
        tall.paste(src, (0, y))
    src = tall
src.crop((0, 0, src.width, min(rows, src.height))).save(sys.argv[2], compression="group4")
