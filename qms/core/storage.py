"""Content-addressed file storage for attachments of quality records.

Files live outside the web root under ``STORAGE_DIR/ab/cd/<sha256>``; the database keeps
a :class:`StoredFile` row (hash, size, detected type, original name). The type is
detected from the content (magic numbers), never trusted from the name or the browser.
Files are only served through a view that checked the permission on the record they
belong to (see :func:`send_stored_file`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import IO

import filetype
from flask import current_app, send_file
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, String, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.utils import secure_filename

from qms.core.db import Model, UTCDateTime, now_utc
from qms.core.errors import ValidationError
from qms.extensions import db

#: Detected MIME type → the extension we serve it with. Anything else is refused.
ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    # Text has no magic number: it is recognised by its content (see _text_type).
    "text/csv": "csv",
    "text/plain": "txt",
}
TEXT_TYPES = frozenset({"text/csv", "text/plain"})
CHUNK = 1024 * 1024
#: C0 control characters that never occur in text (tab, newlines, form feed do).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def accepted_extensions(allowed: dict[str, str] | None = None) -> list[str]:
    """The file extensions an upload field accepts, for the form's hint and ``accept``."""
    return sorted(set((allowed or ALLOWED_TYPES).values()))


def _is_text(path: str) -> bool:
    """Text in UTF-8 or Latin-1: no NUL or other control byte anywhere. (Every byte
    string decodes as Latin-1, so the control bytes are what tell text from binary.)"""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            if chunk.translate(None, _CONTROL) != chunk:
                return False
    return True


def _text_type(path: str, original_name: str) -> str | None:
    """``text/csv`` or ``text/plain`` for a ``.csv``/``.txt`` file whose bytes are text;
    None otherwise (a text file named ``informe.pdf`` is not what it says it is)."""
    extension = Path(original_name or "").suffix.lower()
    mime = {".csv": "text/csv", ".txt": "text/plain"}.get(extension)
    return mime if mime is not None and _is_text(path) else None


class StoredFile(Model):
    """One stored blob. Several records may point at the same content."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    mime_type: Mapped[str] = mapped_column(String(120), nullable=False)
    #: The name the user uploaded it with (sanitised), used only for downloads.
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    def __repr__(self) -> str:
        return f"<StoredFile {self.sha256[:12]} {self.original_name!r}>"


def _root() -> Path:
    return Path(current_app.config["STORAGE_DIR"])


def blob_path(sha256: str) -> Path:
    return _root() / sha256[:2] / sha256[2:4] / sha256


def max_upload_bytes() -> int:
    return int(current_app.config.get("MAX_UPLOAD_BYTES") or current_app.config["MAX_CONTENT_LENGTH"])


def store(stream: IO[bytes], original_name: str, *, allowed: dict[str, str] | None = None,
          field: str = "file") -> StoredFile:
    """Check and store an upload; return its (flushed) :class:`StoredFile` row.

    Raises :class:`ValidationError` naming ``field`` for an empty, too large or
    forbidden file; nothing is written in that case.
    """
    allowed = allowed or ALLOWED_TYPES
    limit = max_upload_bytes()
    root = _root()
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as tmp:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ValidationError(
                        _l("El archivo supera el tamaño máximo de %(mb)s MB.",
                           mb=limit // (1024 * 1024)), field=field)
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                digest.update(chunk)
                tmp.write(chunk)
        if size == 0:
            raise ValidationError(_l("El archivo está vacío."), field=field)
        kind = filetype.guess(tmp_name)
        mime = kind.mime if kind else None
        if mime is None and TEXT_TYPES & set(allowed):
            mime = _text_type(tmp_name, original_name)
        if mime not in allowed:
            raise ValidationError(
                _l("Tipo de archivo no permitido. Se aceptan: %(types)s.",
                   types=", ".join(sorted(set(allowed.values()))).upper()), field=field)
        sha = digest.hexdigest()
        target = blob_path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    name = secure_filename(original_name or "") or f"archivo.{allowed[mime]}"
    row = StoredFile(sha256=sha, size=size, mime_type=mime, original_name=name[:255])
    db.session.add(row)
    db.session.flush()
    return row


def open_blob(stored: StoredFile) -> IO[bytes]:
    return blob_path(stored.sha256).open("rb")


def verify_blob(stored: StoredFile) -> bool:
    """Whether the bytes on disk still hash to what the database says."""
    path = blob_path(stored.sha256)
    if not path.exists():
        return False
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest() == stored.sha256


#: Types a browser may show in the page (still under the CSP and nosniff); any other
#: download is an attachment, whatever the caller asked.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif",
                          "image/webp"})


def download_name(stored: StoredFile) -> str:
    """The uploaded name with the extension of the *detected* type: a PNG uploaded as
    ``foto.html`` downloads as ``foto.png``, so no browser or desktop opens it as HTML."""
    extension = ALLOWED_TYPES.get(stored.mime_type, "bin")
    stem = Path(stored.original_name or "").stem or "archivo"
    return f"{stem}.{extension}"


def send_stored_file(stored: StoredFile, *, inline: bool = False):
    """Send a file whose permission the caller has already checked."""
    inline = inline and stored.mime_type in INLINE_TYPES
    return send_file(blob_path(stored.sha256), mimetype=stored.mime_type,
                     as_attachment=not inline, download_name=download_name(stored),
                     conditional=True, etag=stored.sha256, max_age=0)


def find_by_hash(sha256: str) -> StoredFile | None:
    return db.session.scalar(select(StoredFile).where(StoredFile.sha256 == sha256).limit(1))
