"""Every benchmark still runs: each script at a tiny size, as a user would start it.

The figures they print are not checked here (speed is measured by running them at full size,
see the README's benchmark table); what is checked is that a refactoring elsewhere has not
broken a script nobody runs in the normal test cycle.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

RUNS = {
    "nlp": (["--posts", "2000", "--warmup", "500"], "posts per CPU-second"),
    "ingest": (["--posts", "1000"], "end to end"),
    "store": (["--posts", "3000", "--repeat", "2"], "insert rate"),
    "alerts": (["--brands", "5", "--days", "3", "--skip-latency"], "detector throughput"),
    "spiders": (["--channels", "1", "--messages", "100"], "posts per second"),
    "sources": (["--sources", "4", "--hosts", "2", "--pages", "1", "--rates", "unlimited"], "ceiling"),
    "webapp": (["--days", "1", "--scale", "1", "--calls", "2"], "p95"),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_benchmark_runs_at_a_tiny_size(name: str) -> None:
    args, expected = RUNS[name]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert expected in result.stdout, result.stdout[-3000:]
