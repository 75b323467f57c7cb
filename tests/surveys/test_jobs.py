"""Browser-started imports: the status file, a dead import, the upload's lifetime."""

from __future__ import annotations

import json
import time

from werkzeug.datastructures import FileStorage

from qms.surveys import jobs
from tests.conftest import user
from tests.surveys.conftest import SAMPLE


def test_a_running_import_that_stopped_reporting_is_shown_as_interrupted(wave):
    with SAMPLE.open("rb") as handle:
        token, header = jobs.receive_upload(wave, FileStorage(handle, filename="k.csv"),
                                            user("calidad"))
    assert "_uuid" in header and jobs.status(token)["state"] == "uploaded"
    folder = jobs._folder(token)
    jobs.write_status(folder, state="running")
    assert jobs.status(token)["state"] == "running"
    status = json.loads((folder / "status.json").read_text())
    status["heartbeat"] = time.time() - jobs.STALE_SECONDS - 1  # the worker was killed
    (folder / "status.json").write_text(json.dumps(status))
    assert jobs.status(token)["state"] == "interrupted"


def test_unknown_or_malformed_tokens(app_ctx):
    assert jobs.status("no-such-token") is None
    assert jobs.status("../../etc") is None
