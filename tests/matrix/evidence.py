"""Evidence-pack routes × roles. Editors generate and share; managers read the packs; the
certifier reads the pack shared with it (an active share over every process, so the other
domains' rows see the certifier inside its audit window)."""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from qms.core.time import today_local
from qms.evidence.models import EvidencePack, PackShare, PackStatus
from qms.extensions import db
from qms.processes.models import Process
from tests.matrix import EDITORS, Row

#: After every module whose processes the share covers.
ORDER = 200

READERS = EDITORS | {"manager", "certifier"}
P = "/evidencias"
PACK = f"{P}/{{evidence_pack}}"
SHARE = f"{P}/compartidos/{{evidence_share}}"

ROUTES = [
    Row("GET", f"{P}/", READERS),
    Row("GET", f"{P}/nuevo", EDITORS),
    Row("POST", f"{P}/nuevo", EDITORS, note="empty form: refused on the page"),
    Row("GET", f"{P}/<int:pack_id>", READERS, PACK),
    Row("GET", f"{P}/<int:pack_id>/estado", READERS, f"{PACK}/estado"),
    Row("GET", f"{P}/<int:pack_id>/descargar", READERS, f"{PACK}/descargar"),
    Row("POST", f"{P}/<int:pack_id>/regenerar", EDITORS, f"{PACK}/regenerar",
        note="queues a new pack with the same scope"),
    Row("POST", f"{P}/<int:pack_id>/compartir", EDITORS, f"{PACK}/compartir"),
    Row("POST", f"{P}/compartidos/<int:share_id>/ampliar", EDITORS, f"{SHARE}/ampliar"),
    Row("POST", f"{P}/compartidos/<int:share_id>/revocar", EDITORS, f"{SHARE}/revocar"),
    Row("GET", f"{P}/accesos", EDITORS),
]


def objects(users: dict) -> dict:
    from flask import current_app

    today = today_local()
    codes = sorted(db.session.scalars(select(Process.code)))
    pack = EvidencePack(pack_uid="f" * 32, period_start=today - timedelta(days=365),
                        period_end=today, status=PackStatus.READY, progress=100,
                        requested_by_id=users["calidad"].id, file_name="matrix.pdf",
                        file_sha256="0" * 64, file_size=9, page_count=1)
    db.session.add(pack)
    db.session.flush()
    folder = Path(current_app.config["INSTANCE_DIR"]) / "evidence-packs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "matrix.pdf").write_bytes(b"%PDF-1.7\n")
    share = PackShare(pack_id=pack.id, certifier_id=users["certificador"].id,
                      starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=60),
                      process_codes=codes, created_by_id=users["calidad"].id)
    db.session.add(share)
    db.session.flush()
    return {"evidence_pack": pack.id, "evidence_share": share.id}
