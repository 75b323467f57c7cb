"""The manifest of an evidence pack: what it cites, sealed by a SHA-256 of its content.

Pure Python (no Flask, no database): :mod:`qms.evidence.verify` uses it on a certifier's
laptop. The seal is the SHA-256 of the canonical JSON of the manifest without its
``seal`` key; the PDF prints it and carries it in its metadata (``Keywords``), so an
edited ``manifest.json`` no longer matches either.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

FORMAT = "sgc-bono-vida-mejor/evidence-manifest/1"
MANIFEST_NAME = "manifest.json"
PDF_NAME = "paquete.pdf"
#: Folder of the cited files inside a ZIP pack.
FILES_DIR = "files/"
#: Prefix of the seal in the PDF's Keywords metadata.
SEAL_KEYWORD = "sgc-manifest-sha256:"
#: Keys that change with every generation; left out when comparing two generations.
VOLATILE_KEYS = ("pack_id", "generated_at", "generated_by", "seal")


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def compute_seal(manifest: dict[str, Any]) -> str:
    body = {k: v for k, v in manifest.items() if k != "seal"}
    return hashlib.sha256(canonical(body)).hexdigest()


def sealed(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` with its ``seal``."""
    body = {k: v for k, v in manifest.items() if k != "seal"}
    return {**body, "seal": compute_seal(body)}


def dumps(manifest: dict[str, Any]) -> bytes:
    """The bytes of ``manifest.json`` (stable: sorted keys, two-space indent)."""
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False,
                       default=str) + "\n").encode("utf-8")


def stable_part(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without what changes between two generations of the same scope."""
    return {k: v for k, v in manifest.items() if k not in VOLATILE_KEYS}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
