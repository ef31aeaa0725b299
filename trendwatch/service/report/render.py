"""`render(report, format)`: the one way to turn a gathered report into the bytes of a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from trendwatch.service.report.csv_export import render_csv
from trendwatch.service.report.gather import ReportError
from trendwatch.service.report.html import render_html
from trendwatch.service.report.model import FORMATS, Format, Report
from trendwatch.service.report.pdf import render_pdf

RENDERERS: dict[Format, Callable[[Report], bytes]] = {"html": render_html, "pdf": render_pdf, "csv": render_csv}
MEDIA_TYPES: dict[Format, str] = {"html": "text/html", "pdf": "application/pdf", "csv": "text/csv"}


def render(report: Report, fmt: Format) -> bytes:
    return RENDERERS[fmt](report)


def format_for(path: Path, given: str | None) -> Format:
    """The format asked for, or the one the file name's suffix says."""
    name = (given or path.suffix.lstrip(".")).lower()
    for fmt in FORMATS:
        if name == fmt:
            return fmt
    if given:
        raise ReportError(f"unknown format {given!r}; use one of: {', '.join(FORMATS)}")
    raise ReportError(f"cannot tell the format from {path.name!r}; add --format ({', '.join(FORMATS)})")
