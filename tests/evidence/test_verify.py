"""``qms verify-pack``: recomputes every hash from the ZIP or the PDF's embedded files,
without the database, and catches a changed file, a removed file and an edited manifest."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pikepdf
import pytest

from qms.evidence import manifest as mf
from qms.evidence.verify import main as verify_main
from qms.evidence.verify import verify
from tests.evidence.conftest import make_pack

ROOT = Path(__file__).resolve().parents[2]


def _rewrite_zip(source: Path, target: Path, change) -> None:
    """Copy the ZIP, passing each (name, bytes) through ``change`` (None drops it)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            content = change(name, old.read(name))
            if content is not None:
                new.writestr(name, content)


@pytest.fixture(scope="session")
def zip_pack(app, evidence_template, tmp_path_factory):
    """One ZIP pack of the evidence database, built once: the tests read it and write
    their altered copies elsewhere (rendering a pack is the slow part)."""
    from tests.conftest import reset_database

    reset_database(app, evidence_template)  # (session fixtures run before the test's reset)
    with app.test_request_context():
        return make_pack(tmp_path_factory.mktemp("zip-pack"), as_zip=True)


def _offline(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run with an environment that has no database: an unreachable URL and instance."""
    env = {**os.environ, "QMS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
           "QMS_INSTANCE_DIR": str(cwd / "no-instance"), "QMS_SECRET_KEY": "x" * 40}
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_an_intact_zip_and_pdf_verify(zip_pack, pdf_pack):
    path, data = zip_pack
    report = verify(path)
    assert report.ok and report.count("match") == len(data.manifest["files"]) + 1
    assert verify(pdf_pack[0]).ok


def test_a_changed_file_is_caught(zip_pack, tmp_path):
    path, data = zip_pack
    victim = mf.FILES_DIR + data.manifest["files"][0]["name"]
    bad = tmp_path / "changed.zip"
    _rewrite_zip(path, bad, lambda n, c: c + b"x" if n == victim else c)
    report = verify(bad)
    assert not report.ok
    assert [line.item for line in report.lines if line.status == "differs"] == \
        [data.manifest["files"][0]["name"]]


def test_a_removed_file_is_caught(zip_pack, tmp_path):
    path, data = zip_pack
    victim = mf.FILES_DIR + data.manifest["files"][-1]["name"]
    bad = tmp_path / "removed.zip"
    _rewrite_zip(path, bad, lambda n, c: None if n == victim else c)
    report = verify(bad)
    assert [line.item for line in report.lines if line.status == "missing"] == \
        [data.manifest["files"][-1]["name"]]


def test_an_edited_manifest_is_caught_even_when_resealed(zip_pack, tmp_path):
    path, data = zip_pack

    def edit(reseal: bool):
        def change(name, content):
            if name != mf.MANIFEST_NAME:
                return content
            manifest = json.loads(content)
            manifest["files"][0]["sha256"] = "0" * 64
            return mf.dumps(mf.sealed(manifest) if reseal else manifest)
        return change

    for reseal, why in ((False, "does not match its seal"), (True, "not the one printed")):
        bad = tmp_path / f"manifest-{reseal}.zip"
        _rewrite_zip(path, bad, edit(reseal))
        report = verify(bad)
        assert not report.ok
        assert any(line.item == mf.MANIFEST_NAME and line.status == "differs" and why in line.detail
                   for line in report.lines), report.lines


def test_a_file_swapped_inside_the_pdf_is_caught(pdf_pack, tmp_path):
    path, data = pdf_pack
    name = data.manifest["files"][0]["name"]
    bad = tmp_path / "swapped.pdf"
    with pikepdf.open(path) as pdf:
        spec = pdf.attachments[name]
        spec.get_file().obj.write(b"other content")
        pdf.save(bad)
    report = verify(bad)
    assert [line.item for line in report.lines if line.status == "differs"] == [name]


def test_the_command_runs_without_a_database_and_exits_non_zero_on_mismatch(zip_pack, tmp_path):
    path, data = zip_pack
    good = _offline(sys.executable, "-m", "flask", "--app", "wsgi", "qms", "verify-pack",
                    str(path), cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert "VERIFIED" in good.stdout and data.manifest["seal"] in good.stdout
    bad = tmp_path / "removed.zip"
    _rewrite_zip(path, bad, lambda n, c: None if n.startswith(mf.FILES_DIR) else c)
    failed = _offline(sys.executable, "-m", "qms.evidence.verify", str(bad), cwd=tmp_path)
    assert failed.returncode == 1
    assert "missing" in failed.stdout and "NOT VERIFIED" in failed.stdout
    assert not list((tmp_path / "no-instance").glob("*.sqlite3"))  # no database was made


def test_a_file_that_is_not_a_pack_is_refused(tmp_path, capsys):
    """The command's own answer (the test above runs it as a process of its own)."""
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"hello")
    assert verify_main([str(junk)]) == 2
    assert "neither a PDF nor a ZIP" in capsys.readouterr().err
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("x.txt", "x")
    (tmp_path / "plain.zip").write_bytes(plain.getvalue())
    assert verify_main([str(tmp_path / "plain.zip")]) == 2
    assert "manifest.json" in capsys.readouterr().err
    assert verify_main([]) == 2 and "usage:" in capsys.readouterr().err
