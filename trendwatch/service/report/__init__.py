"""The competitor report: what a strategist sends a manager about the last week (or any period).

model.py      the report's content: frozen dataclasses, no formatting
gather.py     reads it from any Store (series, top_terms, drivers, get, alerts)
locale.py     words and numbers in English or Persian (digits, Jalali dates, RTL)
charts.py     the charts (matplotlib, vector SVG with text shaped by its raqm layout)
html.py       one self-contained HTML file: fonts and charts embedded, no network
pdf.py        PDF with fpdf2 + HarfBuzz shaping; Persian text extracts in reading order
csv_export.py the numbers behind the charts, one row per brand and bucket
render.py     `render(report, format) -> bytes`
schedule.py   the scheduled e-mail: its configuration and `send_scheduled_report`
"""
