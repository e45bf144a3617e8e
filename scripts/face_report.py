"""The accuracy report on the public photos of ``../shared/faces`` (see ``tests/faceset.py``).

Prints, for full-size and 240p-sized probes, the genuine and impostor comparison counts, the
false non-matches and false matches at the threshold, FNMR and FMR, and the margins from the
threshold to the largest genuine and the smallest impostor distance; the last line is JSON.

Usage: python scripts/face_report.py [--threshold 0.55]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import faceset as fs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=float, default=0.55)
    args = parser.parse_args()
    missing = fs.available()
    if missing:
        raise SystemExit(missing)
    results = {name: fs.analyse_photo(name) for name in fs.photos()}
    for r in results.values():
        if r.refused:
            print(f"{r.name} ({r.size[0]}×{r.size[1]}): enrolment refused: {', '.join(r.refused)}")
    report = fs.report(results, args.threshold)
    for probe in ("probe", "probe_240p"):
        rates = report[probe]
        print(
            f"{probe}: FNMR {rates['false_non_matches']}/{rates['genuine_attempts']} "
            f"= {rates['FNMR']:.2%}, FMR {rates['false_matches']}/{rates['impostor_attempts']} "
            f"= {rates['FMR']:.2%}; largest genuine {rates['largest_genuine']}, smallest "
            f"impostor {rates['smallest_impostor']} (threshold {args.threshold})"
        )
        print(f"  largest genuine: {', '.join(rates['largest_genuine_pairs'])}")
        print(f"  smallest impostor: {', '.join(rates['smallest_impostor_pairs'])}")
    print(json.dumps(report, sort_keys=True))


if __name__ == "__main__":
    main()
