"""Helpers to write the payment system's files."""

from __future__ import annotations

import csv
import io

from qms.payments.demo import HEADER


def row(period="2025-01", dept="08", muni="0801", channel="banco", scheduled=100, paid=90,
        amount=None, reasons=(5, 2, 1, 1, 0), **changes) -> dict[str, str]:
    values = dict(zip(HEADER, [period, dept, muni, channel, str(scheduled), str(paid),
                               f"{(paid * 1000) if amount is None else amount}",
                               *(str(r) for r in reasons)], strict=True))
    values.update({k: str(v) for k, v in changes.items()})
    return values


def payments_csv(rows: list[dict], delimiter: str = ",", header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(h, "") for h in header])
    return out.getvalue().encode()
