"""``monitor(baseline, current, thresholds)``: load both runs, compare, render."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from linernotes.files import refuse_shipped, write_output_text
from linernotes.monitor.compare import Comparison, compare
from linernotes.monitor.load import Loaded, MonitorInputError, load_output
from linernotes.monitor.report import HTML_START, MARKDOWN_START, html_page, markdown
from linernotes.monitor.thresholds import load_thresholds


class MonitorResult(BaseModel):
    model_config = {"arbitrary_types_allowed": True}

    baseline: Loaded
    current: Loaded
    comparison: Comparison
    markdown: str

    def problem_lines(self) -> list[str]:
        """The skipped lines of both runs: the first ones named, the rest counted per file."""
        from linernotes.sinks.export import skipped_lines

        return skipped_lines([(p.file, p.line, p.reason) for p in [*self.baseline.problems, *self.current.problems]])

    @property
    def exit_code(self) -> int:
        """0 no threshold crossed, 1 at least one crossed (bad input raises ``MonitorInputError``: 2)."""
        return self.comparison.exit_code


def monitor(baseline: Path, current: Path, thresholds: Path | None = None, html_out: Path | None = None,
            markdown_out: Path | None = None, overwrite_shipped: bool = False) -> MonitorResult:
    """Compare two runs; the reports are refused before anything is loaded when their folder is
    missing, they would replace a file that is not a report, or they lie inside data the package
    ships (``files.refuse_shipped``, unless ``overwrite_shipped``). Raises MonitorInputError."""
    for option, out in (("--report", markdown_out), ("--html", html_out)):
        if out is not None:
            refuse_shipped(out, MonitorInputError, option, overwrite_shipped)
    for out in (markdown_out, html_out):  # before loading two runs that may take a while
        if out is not None and not Path(out).parent.is_dir():
            raise MonitorInputError(f"{out}: cannot write the report: its folder {Path(out).parent} does not exist")
        if out is not None:
            _refuse_to_replace(Path(out))
    th = load_thresholds(thresholds)
    b, c = load_output(baseline), load_output(current)
    cmp = compare(b.table, c.table, th)
    md = markdown(cmp, b, c)
    if markdown_out is not None:
        _write(markdown_out, md)
    if html_out is not None:
        _write(html_out, html_page(cmp, b, c))
    return MonitorResult(baseline=b, current=c, comparison=cmp, markdown=md)


def _refuse_to_replace(out: Path) -> None:
    """Raise ``MonitorInputError`` for a report path holding a file that is not empty and not an
    earlier report (``--report cur.jsonl`` replaced the run just compared with the markdown, exit
    0; a Parquet run, a log inside the folder compared and a catalog alike). A device such as
    /dev/null is written as before; a folder fails at the write, named."""
    if not out.is_file() or out.stat().st_size == 0:
        return
    try:
        with open(out, "rb") as fh:
            head = fh.read(len(HTML_START.encode()))
    except OSError:
        return  # unreadable: the write names it
    if not any(head.startswith(start.encode()) for start in (MARKDOWN_START, HTML_START)):
        raise MonitorInputError(f"{out}: exists and is not a liner monitor report (it starts {head[:20]!r}): the "
                                "report would replace it; write the report to another path")


def _write(path: Path, text: str) -> None:
    try:
        # a FIFO no process reads: refused (MonitorInputError naming it once), not a hang
        write_output_text(path, text, MonitorInputError, ": write the report to a file")
    except OSError as e:
        raise MonitorInputError(f"{path}: cannot write the report ({e.strerror or e})") from None
