"""The reader and the depth fit on the real prints, against the labels a person read.

  python3 scripts/train/digits/eval_real.py [--bin target/release/examples/depth_labels] [--model models/digits.onnx]

Reads `../shared/data/real/<print>.tif` (VEER_REAL_DATA points elsewhere; never copied into the
repository; not run in CI) and `scripts/real/labels/<print>.csv` (row of each label's centre, value).
Per print: labels read right (a reading within 40 rows of the label, same value), the fit's tie points
against the labels (rows apart, for every label the fit kept), and the fitted line's depth at each
label's row against its value (in rows: (depth error) x rows per unit), and the same for the
piecewise-linear depth through the tie points (as a project uses them) at every label between the first
and the last tie.
"""

import argparse
import csv
import json
import os
import subprocess

SPANS = {"kinney-heinen-1-4": (500, 665), "bright-1": (490, 600), "stuckey-1": (440, 570)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/examples/depth_labels")
    ap.add_argument("--model", default="models/digits.onnx")
    a = ap.parse_args()
    data = os.environ.get("VEER_REAL_DATA", "../shared/data/real")
    if not os.path.isdir(data):
        raise SystemExit(f"{data} is absent: the real prints live beside the repository, never in it")
    for name, (x0, x1) in SPANS.items():
        rows = list(csv.DictReader(open(f"scripts/real/labels/{name}.csv")))
        truth = [(float(r["row"]), float(r["value"])) for r in rows]
        lines = {float(r["value"]): float(r["line_row"]) for r in rows if r.get("line_row")}
        out = json.loads(subprocess.run([a.bin, f"{data}/{name}.tif", str(x0), str(x1), "--json", "--model", a.model],
                                        check=True, capture_output=True, text=True).stdout)
        readings, fit = out["readings"], out["fit"]
        right = found = 0
        for row, value in truth:
            near = [r for r in readings if abs(r["row"] - row) < 40]
            if near:
                found += 1
                right += any(r["value"] == value for r in near)
        unread = sum(1 for r in readings if not r["text"])
        readings = [r for r in readings if r["text"]]  # read ones (the found-but-unread are listed too)
        ties = {t["depth"]: t["row"] for t in fit["ties"]}
        placed = sum(1 for t in fit["ties"] if not t["read"])
        tie_err = [abs(ties[v] - row) for row, v in truth if v in ties]
        line_off = [abs(ties[v] - lines[v]) for v in lines if v in ties]
        wrong_ties = [(t["row"], t["depth"]) for t in fit["ties"]
                      if not any(abs(t["row"] - row) < 40 and t["depth"] == v for row, v in truth)
                      and min(abs(t["row"] - row) for row, _ in truth) < 150]
        # piecewise-linear through the tie points (as the project uses them), at every label between the
        # first and the last tie: (depth error) in rows
        tp = sorted((t["row"], t["depth"]) for t in fit["ties"])
        interp_err = []
        for row, v in truth:
            for (r0, d0), (r1, d1) in zip(tp, tp[1:]):
                if r0 <= row <= r1 and r1 > r0:
                    d = d0 + (d1 - d0) * (row - r0) / (r1 - r0)
                    interp_err.append(abs(d - v) * (r1 - r0) / (d1 - d0))
                    break
        line_err = []
        if fit["rows_per_unit"] > 0:
            line_err = [abs((fit["depth_at_row0"] + row / fit["rows_per_unit"]) - v) * fit["rows_per_unit"] for row, v in truth]
        print(json.dumps({
            "print": name, "span": [x0, x1], "labels": len(truth), "found": found, "read_right": right,
            "readings": len(readings), "unread_labels": unread, "ties": len(fit["ties"]), "ties_placed": placed, "ties_on_labels": len(tie_err),
            "ties_wrong": wrong_ties,
            "tie_rows_off_max": max(tie_err) if tie_err else None,
            "ties_within_3_rows_of_line": f"{sum(e <= 3 for e in line_off)}/{len(line_off)}",
            "interp_labels": len(interp_err),
            "interp_rows_off_max": round(max(interp_err), 1) if interp_err else None,
            "line_rows_off_max": round(max(line_err), 1) if line_err else None,
            "line_rows_off_median": round(sorted(line_err)[len(line_err) // 2], 1) if line_err else None,
            "rows_per_unit": round(fit["rows_per_unit"], 4), "missing": fit["missing"], "ms": round(out["ms"]),
        }), flush=True)


if __name__ == "__main__":
    main()
