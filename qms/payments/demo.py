"""Demo and benchmark data: two years of monthly periods for all 298 municipalities,
written as the payment system's CSV and loaded through the importer itself."""

from __future__ import annotations

import csv
import io
import random
from datetime import date

from qms.core import geo
from qms.core.cli import seed_step
from qms.core.time import today_local
from qms.payments import importer
from qms.payments.models import NonPaymentReason

HEADER = ["periodo", "departamento", "municipio", "canal", "hogares_programados",
          "hogares_pagados", "monto_pagado_lps", *(f"no_pago_{r.value}" for r in NonPaymentReason)]
#: The bond paid per household per month in the demo (lempiras).
BOND_LPS = 1000


def periods(months: int = 24, until: date | None = None) -> list[str]:
    """The last ``months`` complete months before ``until`` (default: today)."""
    day = until or today_local()
    year, month = day.year, day.month
    codes = []
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        codes.append(f"{year}-{month:02d}")
    return sorted(codes)


def demo_csv(months: int = 24, seed: int = 2026, until: date | None = None) -> bytes:
    """A realistic file: municipalities have a stable size and channel mix; some small
    municipalities schedule fewer households than the portal's suppression threshold."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    sizes = {m.code: int(rng.lognormvariate(6.2, 0.9)) + 3 for m in geo.municipalities().values()}
    wallet_share = {code: rng.uniform(0.05, 0.45) for code in sizes}
    for period in periods(months, until):
        for code, size in sizes.items():
            muni = geo.municipality(code)
            scheduled_total = max(3, int(size * rng.uniform(0.95, 1.05)))
            wallet = int(scheduled_total * wallet_share[code])
            for channel, scheduled in (("banco", scheduled_total - wallet),
                                       ("billetera", wallet)):
                if scheduled <= 0:
                    continue
                paid = int(scheduled * rng.uniform(0.86, 0.99))
                unpaid = scheduled - paid
                reasons = [0] * len(NonPaymentReason)
                for _ in range(unpaid):
                    reasons[min(len(reasons) - 1, int(rng.expovariate(1.1)))] += 1
                writer.writerow([period, muni.department_code, code, channel, scheduled, paid,
                                 f"{paid * BOND_LPS:.2f}", *reasons])
    return out.getvalue().encode()


@seed_step(60, "payments")
def seed_payments() -> str:
    report = importer.import_payments(demo_csv(), "pagos-demo.csv")
    return f"Payments: {len(report.periods)} monthly periods, {report.rows_read} aggregate rows."
