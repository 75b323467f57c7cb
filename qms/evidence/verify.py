"""Check an evidence pack offline: ``flask --app wsgi qms verify-pack FILE`` or
``python -m qms.evidence.verify FILE``.

Needs neither the application's database nor its configuration: it reads the pack (a
PDF with embedded files, or a ZIP with the PDF, the files and ``manifest.json``),
recomputes every SHA-256 and compares it with the manifest, checks the manifest's seal
against its content and against the seal the PDF carries, and reports each item as
``match``, ``differs``, ``missing`` or ``unexpected``.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from qms.evidence.manifest import (
    FILES_DIR,
    MANIFEST_NAME,
    PDF_NAME,
    SEAL_KEYWORD,
    compute_seal,
    sha256_bytes,
)


class PackUnreadable(Exception):
    """The file is not a pack this tool can read (not a PDF/ZIP, no manifest)."""


@dataclass(frozen=True)
class Line:
    status: str  # match | differs | missing | unexpected
    item: str
    detail: str = ""


@dataclass
class Report:
    kind: str
    pack_id: str = ""
    lines: list[Line] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.lines) and all(line.status == "match" for line in self.lines)

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)


def _pdf_contents(data: bytes) -> tuple[dict[str, bytes], str | None]:
    """Embedded files by name, and the seal in the PDF's Keywords (or None)."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        raise PackUnreadable(f"not a readable PDF: {exc}") from None
    with pdf:
        files = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
        keywords = str(pdf.docinfo.get("/Keywords", "")) if pdf.docinfo is not None else ""
    seal = None
    for word in keywords.replace(",", " ").split():
        if word.startswith(SEAL_KEYWORD):
            seal = word[len(SEAL_KEYWORD):]
    return files, seal


def _read(path: Path) -> tuple[str, dict[str, bytes], bytes | None, str | None]:
    """(kind, cited files by name, manifest bytes, seal printed in the PDF)."""
    data = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            manifest = archive.read(MANIFEST_NAME) if MANIFEST_NAME in names else None
            pdf = archive.read(PDF_NAME) if PDF_NAME in names else None
            files = {n[len(FILES_DIR):]: archive.read(n) for n in names
                     if n.startswith(FILES_DIR) and not n.endswith("/")}
        seal = _pdf_contents(pdf)[1] if pdf is not None else None
        return "zip", files, manifest, seal
    if data[:5] == b"%PDF-":
        files, seal = _pdf_contents(data)
        manifest = files.pop(MANIFEST_NAME, None)
        return "pdf", files, manifest, seal
    raise PackUnreadable("neither a PDF nor a ZIP file")


def verify(path: str | Path) -> Report:
    """Recompute every hash of the pack at ``path`` (raises PackUnreadable)."""
    kind, files, raw_manifest, pdf_seal = _read(Path(path))
    if raw_manifest is None:
        raise PackUnreadable(
            f"no {MANIFEST_NAME} in the pack (a PDF made without --attach-files carries "
            "no files to check)")
    try:
        manifest = json.loads(raw_manifest)
        entries = manifest["files"]
    except (ValueError, KeyError, TypeError):
        raise PackUnreadable(f"{MANIFEST_NAME} is not a pack manifest") from None
    report = Report(kind, str(manifest.get("pack_id", "")))
    seal = compute_seal(manifest)
    if manifest.get("seal") != seal:
        report.lines.append(Line("differs", MANIFEST_NAME,
                                 "its content does not match its seal (edited)"))
    elif pdf_seal is None:
        report.lines.append(Line("missing", f"{MANIFEST_NAME} seal in the PDF",
                                 "the PDF carries no manifest seal"))
    elif pdf_seal != seal:
        report.lines.append(Line("differs", MANIFEST_NAME,
                                 "its seal is not the one printed in the PDF"))
    else:
        report.lines.append(Line("match", MANIFEST_NAME, f"seal {seal}"))
    listed = set()
    for entry in entries:
        name = entry["name"]
        listed.add(name)
        content = files.get(name)
        if content is None:
            report.lines.append(Line("missing", name, f"expected sha256 {entry['sha256']}"))
            continue
        digest = sha256_bytes(content)
        if digest != entry["sha256"] or len(content) != entry["size"]:
            report.lines.append(Line("differs", name,
                                     f"sha256 {digest}, manifest says {entry['sha256']}"))
        else:
            report.lines.append(Line("match", name, f"sha256 {digest}"))
    for name in sorted(set(files) - listed):
        report.lines.append(Line("unexpected", name, "not listed in the manifest"))
    return report


def render_report(report: Report) -> str:
    out = [f"Evidence pack {report.pack_id or '?'} ({report.kind})"]
    out += [f"{line.status:<10} {line.item}  {line.detail}".rstrip() for line in report.lines]
    out.append(f"{report.count('match')} match, {report.count('differs')} differ, "
               f"{report.count('missing')} missing, {report.count('unexpected')} unexpected")
    out.append("VERIFIED: every item matches the manifest." if report.ok else
               "NOT VERIFIED: the pack does not match its manifest.")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m qms.evidence.verify PACK.pdf|PACK.zip", file=sys.stderr)
        return 2
    try:
        report = verify(args[0])
    except (OSError, PackUnreadable) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    print(render_report(report))
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess
    sys.exit(main())
