"""The layers point one way: ``core`` imports no domain, and domains form no cycle.

Every ``import`` of every module under ``qms/`` counts, including imports inside
functions (a deferred import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import qms

PACKAGE = Path(qms.__file__).parent
#: Top-level modules that are infrastructure, not domains (usable by everyone).
SHARED = {"core", "extensions"}


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "qms" else None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def dependencies(package: Path = PACKAGE) -> dict[str, dict[str, set[str]]]:
    """domain → {imported domain → the files that import it}."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        if len(relative.parts) == 1:
            continue  # qms/__init__.py wires every domain in; qms/extensions.py is shared
        source = relative.parts[0].removesuffix(".py")
        for module in _imports(path):
            target = _domain(module)
            if target and target != source and target != "extensions":
                graph.setdefault(source, {}).setdefault(target, set()).add(str(relative))
    return graph


def core_violations(graph: dict[str, dict[str, set[str]]]) -> list[str]:
    return [f"core imports {domain} in {', '.join(sorted(files))}"
            for domain, files in sorted(graph.get("core", {}).items())]


def cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """Every elementary cycle's smallest rotation, found by depth-first search."""
    found: set[tuple[str, ...]] = set()

    def visit(node: str, path: list[str]) -> None:
        for target in graph.get(node, {}):
            if target in SHARED:
                continue
            if target in path:
                cycle = path[path.index(target):]
                start = cycle.index(min(cycle))
                found.add(tuple(cycle[start:] + cycle[:start]))
            else:
                visit(target, [*path, target])

    for domain in graph:
        visit(domain, [domain])
    return [list(cycle) for cycle in sorted(found)]


def test_core_imports_no_domain():
    assert core_violations(dependencies()) == []


def test_domains_form_no_cycle():
    graph = dependencies()
    described = [" → ".join([*cycle, cycle[0]]) for cycle in cycles(graph)]
    assert described == [], "import cycles between domains: " + "; ".join(described)


def test_the_checks_catch_a_violation(tmp_path):
    """The two checks fail on a package that breaks the rules (so they can fail)."""
    for name, body in {
        "core/x.py": "from qms.nonconformities.models import Nonconformity\n",
        "nonconformities/a.py": "def f():\n    from qms.surveys import models\n",
        "surveys/b.py": "import qms.nonconformities.services\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    graph = dependencies(tmp_path)
    assert core_violations(graph) == ["core imports nonconformities in core/x.py"]
    assert cycles(graph) == [["nonconformities", "surveys"]]
