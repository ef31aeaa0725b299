"""The numbers behind the report as CSV: one row per brand and time bucket.

For spreadsheets and further analysis: UTF-8 with a byte-order mark (so Excel reads Persian
brand names correctly), machine-friendly English column names and plain digits whatever the
display settings, the bucket start in ISO 8601 in the display time zone, plus the date as
shown in the report (e.g. on the Jalali calendar).
"""

from __future__ import annotations

import csv
import io

from trendwatch.service.report.locale import Locale
from trendwatch.service.report.model import Report

COLUMNS = (
    "bucket_start",
    "date_shown",
    "brand",
    "own_brand",
    "mentions",
    "unique_authors",
    "positive",
    "neutral",
    "negative",
    "net_sentiment",
)


def render_csv(report: Report) -> bytes:
    request = report.request
    shown = Locale(request.language, request.clock)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for summary in report.brands:
        for bucket in summary.series:
            net = (bucket.positive - bucket.negative) / bucket.count if bucket.count else ""
            writer.writerow(
                (
                    request.clock.local(bucket.start).isoformat(),
                    shown.date(bucket.start),
                    summary.brand,
                    "yes" if summary.own else "no",
                    bucket.count,
                    bucket.authors,
                    bucket.positive,
                    bucket.neutral,
                    bucket.negative,
                    f"{net:.4f}" if net != "" else "",
                )
            )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
