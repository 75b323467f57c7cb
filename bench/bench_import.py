"""Import benchmark: 200,000 Kobo responses into SQLite, time and peak memory, and the floor.

    .venv/bin/python bench/bench_import.py [--rows 200000] [--export /tmp/kobo-200k.csv]

Targets (2-core machine, SQLite): within 2.5x of the floor, measured in the same run, and
<= 300 MB peak RSS. The floor is a plain ``sqlite3`` executemany of the same rows (same
table, same unique index, one transaction) with the rows parsed by the ``csv`` module; the
insert alone is printed too. The import itself checks every row, dedupes, pseudonymises,
keeps the aggregates and publishes in short transactions (see qms.surveys.importer).
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, current_rss_mb, make_app, make_wave, peak_rss_mb


def run_import(export: Path) -> dict:
    from qms.core import audit
    from qms.surveys import importer

    app, workdir = make_app()
    with app.app_context():
        wave = make_wave()
        gc.collect()
        baseline = current_rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        with audit.acting_as(audit.SYSTEM):
            report = importer.run_import(wave, export, file_name=export.name, skip_invalid=True)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"elapsed": elapsed, "cpu": cpu, "baseline_rss": baseline, "peak_rss": peak_rss_mb(),
            "report": report, "db": workdir / "bench.sqlite3"}


def floor(export: Path, workdir: Path) -> dict[str, float]:
    """Insert only, and parse + insert (wall and CPU seconds), with the bare sqlite3 module
    into a table like survey_response (same columns, primary key, unique and wave index)."""
    schema = """CREATE TABLE r (id INTEGER PRIMARY KEY, wave_id INT NOT NULL, batch_id INT,
        submission_uuid VARCHAR(64) NOT NULL UNIQUE, beneficiary_key VARCHAR(64),
        department_code VARCHAR(2) NOT NULL, municipality_code VARCHAR(4), channel VARCHAR(40),
        submitted_at DATETIME NOT NULL, answers JSON NOT NULL)"""

    def parse() -> list[tuple]:
        with export.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter=";")
            header = next(reader)
            idx = {h: i for i, h in enumerate(header)}
            answer_cols = [(h.rsplit("/", 1)[1], i) for h, i in idx.items()
                           if h.startswith(("satisfaccion/", "quejas/"))]
            return [(1, 1, row[idx["_uuid"]], None, row[idx["datos_generales/departamento"]],
                     row[idx["datos_generales/municipio"]], "kobo", row[idx["_submission_time"]],
                     json.dumps({k: row[i] for k, i in answer_cols})) for row in reader]

    def insert(rows: list[tuple], name: str) -> float:
        db = workdir / name
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(schema)
        conn.execute("CREATE INDEX ix_r_wave_id ON r (wave_id)")
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO r (wave_id, batch_id, submission_uuid, beneficiary_key, "
                         "department_code, municipality_code, channel, submitted_at, answers) "
                         "VALUES (?,?,?,?,?,?,?,?,?)", rows)
        conn.execute("COMMIT")
        conn.close()
        return time.perf_counter() - started

    for name in ("floor1.sqlite3", "floor2.sqlite3"):
        for suffix in ("", "-wal", "-shm"):
            (workdir / f"{name}{suffix}").unlink(missing_ok=True)
    rows = parse()
    insert_only = insert(rows, "floor1.sqlite3")
    del rows
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    rows = parse()
    total = insert(rows, "floor2.sqlite3")
    return {"insert": insert_only, "wall": time.perf_counter() - started,
            "cpu": time.process_time() - cpu, "parse+insert": total}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--export", type=Path, default=None)
    args = parser.parse_args()
    export = args.export or Path(f"/tmp/qms-bench-kobo-{args.rows}.csv")
    if not export.exists():  # generated in another process, so it does not count in our RSS
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_kobo_export.py"), "--rows",
                        str(args.rows), "--out", str(export)], check=True)
    workdir = Path(tempfile.mkdtemp(prefix="qms-bench-floor-"))
    before = floor(export, workdir)  # the floor before and after: the machine is shared
    result = run_import(export)
    after = floor(export, workdir)
    report = result["report"]
    size = export.stat().st_size / 1024 / 1024
    print(f"export: {export} ({size:.1f} MB, {report.rows_read:,} rows)")
    print(f"imported {report.imported:,} (not approved in source {report.rejected_in_source:,}, "
          f"invalid {report.invalid:,}, duplicates {report.duplicates:,})")
    print(f"import: {result['elapsed']:.1f} s wall, {result['cpu']:.1f} s CPU "
          f"({report.rows_read / result['elapsed']:,.0f} rows/s)")
    print(f"peak RSS: {result['peak_rss']:.0f} MB (app loaded, before import: "
          f"{result['baseline_rss']:.0f} MB)  target <= 300 MB")
    for label, run in (("before", before), ("after", after)):
        print(f"floor {label}, plain sqlite3 executemany of the same rows parsed with csv: "
              f"{run['wall']:.1f} s wall, {run['cpu']:.1f} s CPU "
              f"(the insert alone {run['insert']:.1f} s)")
    wall = (before["wall"] + after["wall"]) / 2
    cpu = (before["cpu"] + after["cpu"]) / 2
    ratio, cpu_ratio = result["elapsed"] / wall, result["cpu"] / cpu
    print(f"ratio import / floor: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU  target <= 2.5x "
          f"{'OK' if ratio <= 2.5 else 'OVER'}")


if __name__ == "__main__":
    main()
