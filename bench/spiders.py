"""Spider speed: a Telegram channel backfill through `trendwatch crawl`, as a user runs it.

    PYTHONPATH=. python bench/spiders.py                      # 4 channels x 2,000 messages
    PYTHONPATH=. python bench/spiders.py --channels 1 --messages 500

A local server speaks t.me's web preview (`t.me/s/<channel>`, about 20 messages a page,
`?before=<id>` paging; the test suite's fake, tests/crawlers/spiders/fake_web.py). The crawl is
the real thing: a separate process running the Scrapy spider with the source's politeness (one
request at a time to the host; here `download_delay: 0s`, since t.me's own default of 1 s would
measure only the delay). Reported: posts, requests, wall time, posts/s and the CPU time of the
crawl process.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from tests.crawlers.spiders.fake_web import FakeWeb, persian_channel  # noqa: E402
from trendwatch.timeutil import utcnow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=4, help="channels to backfill (default 4)")
    parser.add_argument("--messages", type=int, default=2000, help="messages per channel (default 2,000)")
    args = parser.parse_args()
    if args.channels < 1 or args.messages < 1:
        parser.error("need --channels >= 1 and --messages >= 1")
    console = Console()
    fake = FakeWeb()
    fake.start()
    try:
        names = [f"bench_{i}" for i in range(args.channels)]
        for name in names:
            fake.channels[name] = persian_channel(
                name, args.messages, newest=utcnow() - timedelta(minutes=1), step=timedelta(minutes=1)
            )
        days = args.messages // 1440 + 2
        with tempfile.TemporaryDirectory(prefix="tw-bench-spiders-") as tmp:
            config = Path(tmp) / "bench.yaml"
            config.write_text(
                f"""brand: {{name: Digikala, aliases: [دیجی‌کالا]}}
sources:
  - type: telegram
    name: bench
    channels: [{", ".join(names)}]
    base_url: {fake.url}
    backfill: {days}d
    max_pages: 10000
    download_delay: 0s
""",
                encoding="utf-8",
            )
            env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "NO_COLOR": "1"}
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "trendwatch", "crawl", "bench", "-c", str(config), "--json"],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise SystemExit(f"crawl failed ({result.returncode}):\n{result.stderr[-3000:]}")
        posts = sum(1 for line in result.stdout.splitlines() if line.startswith("{"))
        requests = sum(len(fake.seen(f"/s/{name}")) for name in names)
    finally:
        fake.stop()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    table = Table(title=f"Telegram backfill: {args.channels} channels x {args.messages:,} messages")
    for column in ("measure", "value"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_row("posts collected", f"{posts:,} of {args.channels * args.messages:,}")
    table.add_row("preview pages requested", f"{requests:,}")
    table.add_row("wall time", f"{wall:.1f} s (process start included)")
    table.add_row("posts per second", f"{posts / wall:,.0f}")
    table.add_row("CPU of the crawl process", f"{cpu:.1f} s ({posts / cpu:,.0f} posts per CPU-second)")
    console.print(table)


if __name__ == "__main__":
    main()
