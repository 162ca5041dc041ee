"""Makes a 1,500 x 25,000 px 1-bit CCITT G4 TIFF from the full-size sample print
(crate/tests/cases/full-g4/scan.tif, 1,300 x 13,000): the print twice along
depth, cut to 25,000 rows, with white paper added on the right to 1,500 px.
Its track 1 GR calibration stays valid for the first 13,000 rows.

    python3 tall-scan.py OUT.tif
"""

import sys
from pathlib import Path

from PIL import Image

src = Image.open(Path(__file__).resolve().parents[2] / "crate/tests/cases/full-g4/scan.tif").convert("1")
out = Image.new("1", (1500, 25000), 1)
out.paste(src, (0, 0))
out.paste(src.crop((0, 0, src.width, 25000 - src.height)), (0, src.height))
out.save(sys.argv[1], compression="group4")
