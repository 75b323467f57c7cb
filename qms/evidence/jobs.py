"""Packs generated off the request path, with their progress in the job row.

The request inserts an :class:`EvidencePack` row (``queued``) and, once that is
committed, a thread of the web process claims it (``queued → running`` by a conditional
UPDATE, so two runners never take the same pack) and generates it. Progress and a
heartbeat are written on a connection of their own, in short transactions, while the
generation reads on the session's. The file is written to a temporary name and renamed;
only then is the row marked ``ready``. A pack whose runner died (web server restarted,
process killed) stops beating: :func:`recover` marks a silent ``running`` pack failed and
restarts a ``queued`` one nobody claimed, so nothing half-made is ever listed as ready.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from qms.core.db import now_utc
from qms.evidence.models import EvidencePack, PackStatus
from qms.extensions import db

#: A running pack that has not beaten for this long lost its runner.
STALE_SECONDS = 90
#: Seconds between heartbeats while WeasyPrint renders (it reports no progress itself).
BEAT_SECONDS = 10
#: A queued pack nobody claimed for this long is started again.
UNCLAIMED_SECONDS = 30


def packs_dir() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "evidence-packs"


def pack_path(pack: EvidencePack) -> Path | None:
    return packs_dir() / pack.file_name if pack.file_name else None


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _write(pack_id: int, **values: Any) -> int:
    """Update the row on a connection of its own (retrying while SQLite is busy)."""
    statement = update(EvidencePack).where(EvidencePack.id == pack_id)
    condition = values.pop("_where", None)
    if condition is not None:
        statement = statement.where(condition)
    for attempt in range(20):
        try:
            with db.engine.begin() as connection:
                return connection.execute(statement.values(**values)).rowcount
        except OperationalError:
            if attempt == 19:
                raise
            time.sleep(0.05 * (attempt + 1))
    return 0  # pragma: no cover


def claim(pack_id: int) -> bool:
    """Take a queued pack for this runner; False if another took it first."""
    now = now_utc()
    return _write(pack_id, status=PackStatus.RUNNING, worker=_worker_id(), started_at=now,
                  heartbeat_at=now, progress=1, stage=str(_l("Preparando")),
                  _where=EvidencePack.status == PackStatus.QUEUED) == 1


def start(pack_id: int) -> None:
    """Run the pack in a thread of its own; with EVIDENCE_IN_THREAD false (tests) wait for
    it. Always a new thread: it must not inherit the request's write-first transaction."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=run, args=(app, pack_id), daemon=True,
                              name=f"evidence-pack-{pack_id}")
    thread.start()
    if not app.config.get("EVIDENCE_IN_THREAD", not app.testing):
        thread.join()


class _Heart:
    """Beats for a running pack every BEAT_SECONDS until stopped."""

    def __init__(self, app: Flask, pack_id: int) -> None:
        self.app, self.pack_id = app, pack_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True,
                                       name=f"evidence-heart-{pack_id}")

    def _beat(self) -> None:
        with self.app.app_context():
            while not self.stop.wait(BEAT_SECONDS):
                _write(self.pack_id, heartbeat_at=now_utc(),
                       _where=EvidencePack.status == PackStatus.RUNNING)

    def __enter__(self) -> _Heart:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=BEAT_SECONDS + 5)


def run(app: Flask, pack_id: int) -> None:
    """Claim and generate one pack; any failure marks it failed with the reason."""
    from qms.core import audit
    from qms.evidence import pack as builder

    with app.app_context():
        if not claim(pack_id):
            return
        target = None
        try:
            pack = db.session.get(EvidencePack, pack_id)
            user = pack.requested_by
            scope = builder.scope_for(pack.period_start, pack.period_end, pack.process_codes,
                                      pack.clauses)

            def progress(percent: int, stage: str) -> None:
                _write(pack_id, progress=max(1, min(99, percent)), stage=stage[:120],
                       heartbeat_at=now_utc())

            with _Heart(app, pack_id), audit.acting_as(user):
                data = builder.gather(scope, pack_id=pack.pack_uid,
                                      generated_by=_by(user), attach_files=pack.attach_files,
                                      as_zip=pack.as_zip, progress=progress)
                db.session.rollback()  # end the read transaction before the long render
                pdf = builder.render(data, progress)
                progress(95, str(_l("Escribiendo el archivo")))
                name = f"{data.pack_id}.{'zip' if data.as_zip else 'pdf'}"
                target = packs_dir() / name
                builder.write_pack(data, pdf, target)
            digest, size = _digest(target)
            _write(pack_id, status=PackStatus.READY, progress=100, stage="", file_name=name,
                   file_sha256=digest, file_size=size, manifest_sha256=data.manifest["seal"],
                   page_count=data.timings.get("pages"), finished_at=now_utc(),
                   _where=EvidencePack.status == PackStatus.RUNNING)
        except Exception as exc:  # the row says why; never left "running"
            current_app.logger.exception("evidence pack %s failed", pack_id)
            if target is not None:
                target.unlink(missing_ok=True)
            from qms.core.errors import ServiceError

            message = str(exc.message) if isinstance(exc, ServiceError) else str(
                _l("Error interno al generar el paquete; no se guardó ningún archivo."))
            _write(pack_id, status=PackStatus.FAILED, error=message, finished_at=now_utc())
        finally:
            db.session.remove()


def _by(user) -> str:
    return f"{user.full_name} ({user.username})" if user else "system"


def _digest(path: Path) -> tuple[str, int]:
    import hashlib

    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest(), path.stat().st_size


def recover() -> int:
    """Fail running packs whose runner went silent; restart queued ones nobody claimed
    (once this transaction is committed). Returns how many packs it touched."""
    from qms.core.uow import after_commit

    now = now_utc()
    failed = db.session.execute(
        update(EvidencePack)
        .where(EvidencePack.status == PackStatus.RUNNING,
               EvidencePack.heartbeat_at < now - timedelta(seconds=STALE_SECONDS))
        .values(status=PackStatus.FAILED, finished_at=now,
                error=str(_l("La generación se interrumpió (el servidor se reinició o el "
                             "proceso terminó). Vuelva a generarlo."))),
        execution_options={"synchronize_session": False}).rowcount
    orphans = list(db.session.scalars(select(EvidencePack.id).where(
        EvidencePack.status == PackStatus.QUEUED,
        EvidencePack.requested_at < now - timedelta(seconds=UNCLAIMED_SECONDS))))
    for pack_id in orphans:
        after_commit(lambda pack_id=pack_id: start(pack_id))
    return failed + len(orphans)
