"""The proof under a real server: 4 parallel clients doing reads, writes and logins
against gunicorn with 2 workers on SQLite answer nothing ≥ 500, and the audit chain
still verifies afterwards. Bounded: the load lasts ``QMS_LIVE_SECONDS`` (6 s by default;
``bench/bench_concurrency.py`` runs the longer version and prints figures)."""

from __future__ import annotations

import os

from tests.security import live

SECONDS = float(os.environ.get("QMS_LIVE_SECONDS", "6"))


def test_no_server_error_under_parallel_reads_writes_and_logins(app, tmp_path):
    seeded = live.sqlite_database(tmp_path, template=app.config["TEST_DB_TEMPLATE"])
    with live.gunicorn_server(seeded, workers=2) as base:
        tally = live.run_clients(base, seeded, live.step_mixed, clients=4, seconds=SECONDS)

    assert tally.server_errors == 0, tally.failures[:5]
    assert tally.statuses[0] == 0, tally.failures[:5]  # every request was answered
    # Every kind of call got through: reads, NC creations, edits (some 409), logins.
    assert tally.count(200, 400) > 20, tally.summary()
    events, problem = live.chain_status(seeded)
    assert problem is None
    assert events > 10
