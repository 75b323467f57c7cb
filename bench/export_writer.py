"""Time the shared export writer (qms.core.spreadsheets) on register-shaped rows.

    .venv/bin/python -m bench.export_writer [1000 2000 4000 8000 20000] [--memory]

Prints, per row count, the wall and CPU seconds (and with --memory the peak traced
memory, which slows the run) of the XLSX (XlsxWriter's constant-memory mode) and the CSV
(streamed chunks), so linear growth is visible; on a shared machine judge by CPU. It measures the writer, not
the queries: ``bench/bench_registers.py`` times the register's exports end to end with
20,000 NCs in the database.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from datetime import date, timedelta

from qms.core.spreadsheets import Column, csv_chunks, xlsx_bytes

COLUMNS = [Column(f"Columna {i}", 15) for i in range(17)]


def rows(n: int):
    start = date(2026, 1, 1)
    for i in range(n):
        yield [f"NC-2026-{i:05d}", f"No conformidad de prueba número {i}", "Abierta", "",
               "Auditoría interna", "Mayor", "P-01 Pagos", "Francisco Morazán",
               "Distrito Central", start + timedelta(days=i % 300), "Usuario Calidad",
               i % 4, i % 2, "No", "Causa raíz descrita en una frase", None,
               "Descripción larga de la no conformidad " * 4]


def measure(func, memory: bool) -> tuple[float, float, float]:
    if memory:
        tracemalloc.start()
    began, began_cpu = time.perf_counter(), time.process_time()
    func()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if memory else float("nan")
    if memory:
        tracemalloc.stop()
    return elapsed, cpu, peak


def main(counts: list[int], memory: bool) -> None:
    print(f"{'rows':>7} {'xlsx s':>8} {'CPU s':>6} {'xlsx MiB':>9} {'csv s':>7} {'CPU s':>6} "
          f"{'csv MiB':>8}")
    for n in counts:
        xs, xc, xm = measure(lambda n=n: xlsx_bytes("Registro", "Hoja", COLUMNS, rows(n)),
                             memory)
        cs, cc, cm = measure(lambda n=n: sum(len(c) for c in csv_chunks(COLUMNS, rows(n))),
                             memory)
        print(f"{n:>7} {xs:>8.2f} {xc:>6.2f} {xm:>9.1f} {cs:>7.2f} {cc:>6.2f} {cm:>8.1f}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--memory"]
    main([int(a) for a in args] or [1000, 2000, 4000, 8000, 20000], "--memory" in sys.argv)
