"""Portal fixtures: the cache starts empty in every test (the database is rebuilt)."""

from __future__ import annotations

import pytest

from qms.core import audit
from qms.extensions import db
from qms.payments import importer
from tests.payments.conftest import payments_csv, row


@pytest.fixture(autouse=True)
def _fresh_portal_cache(app):
    from qms.portal import cache

    with app.app_context():
        cache.clear()
    yield


def import_rows(rows) -> None:
    with audit.acting_as(audit.SYSTEM):
        importer.import_payments(payments_csv(rows), "pagos.csv")
        db.session.commit()


#: Department 08 with one big and one tiny municipality, 05 with two big ones.
SMALL_TOWN = "0802"
ROWS = [
    row(period="2025-01", dept="08", muni="0801", scheduled=500, paid=470, reasons=(20, 5, 3, 2, 0)),
    row(period="2025-01", dept="08", muni=SMALL_TOWN, scheduled=7, paid=6, reasons=(1, 0, 0, 0, 0)),
    row(period="2025-01", dept="08", muni="0803", scheduled=300, paid=280, reasons=(10, 5, 5, 0, 0)),
    row(period="2025-01", dept="05", muni="0501", scheduled=900, paid=850, reasons=(30, 10, 5, 5, 0)),
    row(period="2025-01", dept="05", muni="0502", scheduled=400, paid=380, reasons=(10, 5, 5, 0, 0)),
]
