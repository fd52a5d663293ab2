"""Import Apache Beam without its BigQuery notice reaching liner's output.

``import apache_beam`` logs ``apitools not found, and bigquery client libraries are not available
despite the import not raising an ImportError`` when ``google-apitools`` (Beam's ``[gcp]`` extra)
is not installed. It is harmless here: only Beam's BigQuery IO and the Dataflow client use
apitools, and liner reads and writes local or ``FileSystems`` paths (install
``apache-beam[gcp]`` for Dataflow, as ``beam/README.md`` says, and the notice has no cause).
Worse than the line itself, it is logged with ``logging.warning`` on the root logger, which
configures logging (``basicConfig``) when nothing had: every later Beam warning of the run was
printed too, as ``WARNING:<logger>:...``.

Importing this module imports Beam with that one record dropped and the root logger left as it
was; any other record logged during the import is shown as Python shows it with no logging
configured (``logging.lastResort``: WARNING and above, on stderr).
"""

from __future__ import annotations

import logging

NOTICE = "apitools not found"


class _Forward(logging.Handler):
    """Stands in for "no handler" while Beam is imported, so ``logging.warning`` does not call
    ``basicConfig``; forwards what Python would have shown without any handler."""

    def emit(self, record: logging.LogRecord) -> None:
        last = logging.lastResort
        if last is not None and record.levelno >= last.level:
            last.handle(record)


def _not_the_notice(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(NOTICE)


def import_beam() -> None:
    """Import ``apache_beam`` (once per process) without the apitools notice."""
    root = logging.getLogger()
    stand_in = _Forward() if not root.handlers else None
    if stand_in is not None:
        root.addHandler(stand_in)
    root.addFilter(_not_the_notice)
    try:
        import apache_beam  # noqa: F401
    finally:
        root.removeFilter(_not_the_notice)
        if stand_in is not None:
            root.removeHandler(stand_in)


import_beam()
