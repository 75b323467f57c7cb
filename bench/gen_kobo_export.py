"""Write a realistic KoboToolbox CSV export (same shape as the programme's real one).

    .venv/bin/python bench/gen_kobo_export.py --rows 200000 --out /tmp/kobo-200k.csv

";"-separated, every field quoted, groups in headers ("satisfaccion/p1_trato"), _uuid,
_submission_time, _validation_status, a select_multiple as summary + one 1/0 column per
option, a geopoint with its four derived columns, metadata columns, free-text comments
with ";" and quotes: see qms/surveys/synthetic.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qms.surveys import synthetic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    started = time.perf_counter()
    synthetic.write_csv(args.out, args.rows, seed=args.seed, start_id=10_000_000)
    size = args.out.stat().st_size / 1024 / 1024
    print(f"{args.rows:,} rows, {len(synthetic.HEADER)} columns, {size:.1f} MB -> {args.out} "
          f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
