"""Writes the decode fixtures and the bad-input corpus (run from the repo root:
`python3 crate/tests/data/make_fixtures.py`). Deterministic; needs Pillow and numpy."""
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).parent
DEC = HERE / "decode"
BAD = HERE / "bad"
W, H = 67, 45  # odd width: exercises bit padding at row ends


def checker():
    """0 (ink) / 255 (paper) checkerboard of 4 px squares, with a diagonal line."""
    y, x = np.mgrid[0:H, 0:W]
    a = np.where(((x // 4) + (y // 4)) % 2 == 0, 0, 255).astype(np.uint8)
    a[np.arange(H), np.arange(H)] = 0
    return a


def gradient():
    y, x = np.mgrid[0:H, 0:W]
    return ((x * 255) // (W - 1)).astype(np.uint8)


def main():
    DEC.mkdir(exist_ok=True)
    BAD.mkdir(exist_ok=True)
    c = checker()
    g = gradient()
    np.save  # noqa
    (DEC / "checker.gray").write_bytes(c.tobytes())
    (DEC / "gradient.gray").write_bytes(g.tobytes())

    bw = Image.fromarray(c).convert("1")
    for comp in ["raw", "packbits", "tiff_lzw", "tiff_adobe_deflate", "group4", "group3"]:
        bw.save(DEC / f"bilevel-{comp}.tif", compression=comp)
    # WhiteIsZero (photometric 0), as many fax archives store it. libtiff reads this file as the
    # inverted checkerboard; that is the expected decode.
    from PIL import TiffImagePlugin
    wiz = TiffImagePlugin.ImageFileDirectory_v2()
    wiz[262] = 0
    Image.fromarray(255 - c).convert("1").save(DEC / "bilevel-group4-whiteiszero.tif", compression="group4", tiffinfo=wiz)
    assert (np.array(Image.open(DEC / "bilevel-group4-whiteiszero.tif").convert("L")) == 255 - c).all()
    Image.fromarray(c).save(DEC / "gray8-lzw.tif", compression="tiff_lzw")
    Image.fromarray(g).save(DEC / "gradient-gray8-raw.tif")
    Image.fromarray(g).save(DEC / "gradient-gray8-deflate.tif", compression="tiff_adobe_deflate")
    Image.fromarray(g).save(DEC / "gradient-gray8-packbits.tif", compression="packbits")
    Image.fromarray((g.astype(np.uint16) * 257)).save(DEC / "gradient-gray16.tif")
    Image.fromarray((g.astype(np.uint16) * 257)).save(DEC / "gradient-gray16.png")
    Image.fromarray(np.stack([g, g, g], -1)).save(DEC / "gradient-rgb.tif", compression="tiff_lzw")
    Image.fromarray(np.stack([g, g, g], -1)).save(DEC / "gradient-rgb.png")
    rgba = np.stack([g, g, g, np.full_like(g, 255)], -1)
    Image.fromarray(rgba).save(DEC / "gradient-rgba.png")
    Image.fromarray(rgba).save(DEC / "gradient-rgba.tif")
    Image.fromarray(g).save(DEC / "gradient-gray8.png")
    bw.save(DEC / "bilevel.png")
    Image.fromarray(g).save(DEC / "gradient-gray.jpg", quality=95)
    Image.fromarray(np.stack([g, g, g], -1)).save(DEC / "gradient-rgb.jpg", quality=95)
    # Half-transparent black over nothing composites to mid gray on white paper.
    la = np.stack([np.zeros_like(g), np.full_like(g, 128)], -1)
    Image.fromarray(la, mode="LA").save(DEC / "transparent-la.png")

    # ---- bad inputs ----
    (BAD / "empty.png").write_bytes(b"")
    png = (DEC / "gradient-gray8.png").read_bytes()
    (BAD / "truncated.png").write_bytes(png[: len(png) // 2])
    g4 = (DEC / "bilevel-group4.tif").read_bytes()
    (BAD / "truncated-g4.tif").write_bytes(g4[: len(g4) // 2])
    jpg = (DEC / "gradient-gray.jpg").read_bytes()
    (BAD / "truncated.jpg").write_bytes(jpg[: len(jpg) // 3])
    (BAD / "wrong-magic.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    (BAD / "text-named-as.tif").write_bytes(b"depth,value\n1000,45.2\n")

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    def png_with(w, h, depth=8, color=0, idat=b""):
        ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")

    # 100,000 x 100,000 declared, a few bytes of data: a decompression bomb.
    (BAD / "huge-declared.png").write_bytes(png_with(100_000, 100_000, idat=zlib.compress(b"\0" * 1000)))
    (BAD / "zero-width.png").write_bytes(png_with(0, 100, idat=zlib.compress(b"")))

    def tiff(entries, extra=b"", ifd_offset=8):
        """Little-endian TIFF with the given (tag, type, count, value) entries."""
        head = b"II*\0" + struct.pack("<I", ifd_offset)
        ifd = struct.pack("<H", len(entries))
        for tag, typ, count, value in entries:
            ifd += struct.pack("<HHII", tag, typ, count, value)
        ifd += struct.pack("<I", 0)
        return head + ifd + extra

    # A G4 TIFF that declares 60,000 x 2,000,000 px (header check must refuse it).
    body = b"\0" * 16
    ents = [(256, 4, 1, 60_000), (257, 4, 1, 2_000_000), (258, 3, 1, 1), (259, 3, 1, 4), (262, 3, 1, 0),
            (273, 4, 1, 8 + 2 + 10 * 12 + 4), (277, 3, 1, 1), (278, 4, 1, 2_000_000), (279, 4, 1, len(body))]
    (BAD / "huge-declared-g4.tif").write_bytes(tiff(ents, body))
    # Zero width in the TIFF header.
    ents0 = [(256, 4, 1, 0), (257, 4, 1, 100), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
             (273, 4, 1, 8 + 2 + 9 * 12 + 4), (277, 3, 1, 1), (278, 4, 1, 100), (279, 4, 1, 16)]
    (BAD / "zero-width.tif").write_bytes(tiff(ents0, b"\0" * 16))
    # Garbage tags: strip offsets and counts pointing far past the end of the file.
    entsg = [(256, 4, 1, 64), (257, 4, 1, 64), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
             (273, 4, 1, 0x7FFF_FFF0), (277, 3, 1, 1), (278, 4, 1, 64), (279, 4, 1, 4096)]
    (BAD / "garbage-strip-offsets.tif").write_bytes(tiff(entsg))
    # An IFD pointer past the end of the file.
    (BAD / "ifd-out-of-range.tif").write_bytes(b"II*\0" + struct.pack("<I", 1_000_000) + b"\0" * 32)
    # Nonsense: a tag with an absurd count that points outside the file.
    entsn = [(256, 4, 1, 64), (257, 4, 1, 64), (258, 3, 0x4000_0000, 0x1000), (259, 3, 1, 1), (262, 3, 1, 1)]
    (BAD / "absurd-tag-count.tif").write_bytes(tiff(entsn))
    # Unsupported compression (JPEG-in-TIFF old style, 6) on a bilevel image.
    entsu = [(256, 4, 1, 16), (257, 4, 1, 16), (258, 3, 1, 1), (259, 3, 1, 6), (262, 3, 1, 0),
             (273, 4, 1, 8 + 2 + 9 * 12 + 4), (277, 3, 1, 1), (278, 4, 1, 16), (279, 4, 1, 32)]
    (BAD / "unsupported-compression.tif").write_bytes(tiff(entsu, b"\0" * 32))
    # A GIF: a real image, not a supported format.
    buf = io.BytesIO()
    Image.fromarray(c).save(buf, format="GIF")
    (BAD / "scan.gif").write_bytes(buf.getvalue())


if __name__ == "__main__":
    main()
