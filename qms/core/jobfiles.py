"""Folders of background jobs under the instance directory (register exports, survey
imports): one folder per job token, its state in a ``status.json`` that is replaced
atomically and carries a heartbeat, so a reader never sees half a file and can tell a job
whose thread died."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


def job_folder(root: Path, token: str) -> Path:
    """The folder of job ``token`` under ``root``; a token that is not one of ours (path
    characters, too long) is treated as absent."""
    if not token.replace("-", "").replace("_", "").isalnum() or len(token) > 40:
        raise FileNotFoundError(token)
    return root / token


def write_status(folder: Path, **values: Any) -> dict[str, Any]:
    """Merge ``values`` into the job's status (with a fresh heartbeat) and return it."""
    path = folder / "status.json"
    status = read_status(path)
    status.update(values, heartbeat=time.time())
    tmp = folder / "status.json.tmp"
    tmp.write_text(json.dumps(status, ensure_ascii=False, default=str))
    os.replace(tmp, path)
    return status


def read_status(path: Path) -> dict[str, Any]:
    """The status in ``path``; an absent or unreadable file is an empty status."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
