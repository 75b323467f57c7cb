"""What a process page shows of other domains: sections those domains fill.

The process page lists the process's documents, open nonconformities, audits and
indicators, but the processes domain imports none of them. Each domain registers a
*section builder* here (``register_process_section``) that reads its own records for one
process and the person asking; the page renders every section the same way
(``templates/processes/_sections.html``). A builder returns None when the reader may not
see that kind of record: the section is then left out.

Registered today: documents (order 10), nonconformities (20), audits (30). The
objectives domain fills the "indicators" place (order 40) the same way::

    @register_process_section("objectives", order=40)
    def _objectives(process_id: int, user) -> ProcessSection | None: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: Rows a section shows at most; its "see all" link leads to the filtered register.
SECTION_LIMIT = 10


@dataclass(frozen=True)
class SectionItem:
    """One row: a record's code (never broken across lines), title and link."""

    code: str
    title: str
    url: str
    status: str = ""
    #: A due or planned date shown in its own column (None: nothing to show).
    when: date | None = None
    overdue: bool = False


@dataclass(frozen=True)
class ProcessSection:
    key: str
    title: str
    items: list[SectionItem] = field(default_factory=list)
    #: How many records there are in all (more than ``items`` when cut at the limit).
    total: int = 0
    #: The register filtered on this process, when there is one.
    more_url: str | None = None
    empty_text: str = ""
    #: Heading of the date column ("Vence", "Planificada").
    when_label: str = ""
    order: int = 100


Builder = Callable[[int, Any], ProcessSection | None]
_BUILDERS: list[tuple[int, str, Builder]] = []


def register_process_section(key: str, *, order: int) -> Callable[[Builder], Builder]:
    """Register ``builder(process_id, user)`` for the section ``key`` of process pages."""

    def decorate(builder: Builder) -> Builder:
        _BUILDERS[:] = [b for b in _BUILDERS if b[1] != key]  # re-registering replaces
        _BUILDERS.append((order, key, builder))
        _BUILDERS.sort(key=lambda b: (b[0], b[1]))
        return builder

    return decorate


def sections_for(process_id: int, user: Any) -> list[ProcessSection]:
    """Every section a reader may see on this process's page, in order."""
    return [section for _order, _key, builder in _BUILDERS
            if (section := builder(process_id, user)) is not None]
