"""The exports that can run as background jobs, registered by the apps that own them.

Each chapter registers its exports from its ``AppConfig.ready()`` (so the worker knows them too) under
a name of its own ("tracking.weekly"); jobs.exports runs any of them in the request or as a job, by
name, so the jobs app never imports a chapter and no chapter imports another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from toolkit.excel import ExportedFile


class Progress(Protocol):
    def __call__(self, rows: Iterable) -> Iterable: ...


def no_progress(rows: Iterable) -> Iterable:
    return rows


@dataclass(frozen=True)
class Exporter:
    """One export. ``params`` is a JSON-able dict (the filters, a ticket number, a week) kept on the job.

    - ``count(params)``: how many rows it would write, cheaply (decides request or job); raises
      LookupError when what it names no longer exists.
    - ``write(params=, user=, progress=)``: the file; the data rows pass through ``progress(rows)``,
      which reports to the job's page. Nothing is logged here.
    - ``log(params=, user=, row_count=)``: records the export (ExportLog) — in the request's transaction,
      or in the job's finishing transaction, so a job run twice logs once.
    - ``back_url(params)``: where the job's page links back to.
    """

    label: Any  # a lazy translated name: "Weekly implementation report"
    count: Callable[[Mapping], int]
    write: Callable[..., ExportedFile]
    log: Callable[..., None]
    back_url: Callable[[Mapping], str]


_exporters: dict[str, Exporter] = {}


def register_exporter(name: str, exporter: Exporter) -> None:
    """Called from an app's ready(); registering the same name again replaces it."""
    _exporters[name] = exporter


def exporter(name: str) -> Exporter:
    """LookupError when no installed app registered ``name``."""
    try:
        return _exporters[name]
    except KeyError:
        raise LookupError(f"No installed app registered the export {name!r}") from None


def exporters() -> dict[str, Exporter]:
    return dict(_exporters)
