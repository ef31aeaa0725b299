"""Running a spider child process from the service's event loop, and reading what it says.

`SpiderProcess` starts `python -m crawlers.spiders.run`, hands it the spec on stdin and yields
the events it writes on stdout as they arrive. It never trusts the child: a line that does not
decode is logged once, counted (`malformed_message`) and skipped; a non-zero exit, a death by
signal or an exit without its closing summary is a `SourceError` (`spider_crashed`) carrying the
end of the child's stderr; a child that outlives its deadline is killed (`timeout`). Leaving the
`async with` block for any reason (including a consumer that stops reading mid-round) stops the
child: SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections import deque
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from types import TracebackType

import structlog

from crawlers.spiders.items import Event, Summary
from crawlers.spiders.protocol import CrawlSpec, decode
from trendwatch.errors import SourceError
from trendwatch.metrics import SOURCE_ERRORS

log = structlog.get_logger(__name__)

CHILD = (sys.executable, "-m", "crawlers.spiders.run")
LINE_LIMIT = 64 * 1024 * 1024  # one page of messages per line; far below this in practice
STDERR_LINES = 40
STOP_GRACE = 5.0
_ROOT = str(Path(__file__).resolve().parents[2])  # the directory holding the `crawlers` package


class SpiderProcess:
    """One round of one spider in a child interpreter."""

    def __init__(
        self,
        spec: CrawlSpec,
        *,
        deadline: float,
        idle: float | None = None,
        command: Sequence[str] = CHILD,
    ) -> None:
        self.spec = spec
        self.deadline = deadline
        self.idle = idle
        self.command = tuple(command)
        self.summary: Summary | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self._drain: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SpiderProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH", "")) if p)
        self._proc = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            limit=LINE_LIMIT,
        )
        assert self._proc.stdin is not None
        assert self._proc.stderr is not None
        self._drain = asyncio.create_task(self._read_stderr(self._proc.stderr))
        try:
            self._proc.stdin.write(self.spec.to_json())
            await self._proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the child died at once; its exit status tells why
        finally:
            self._proc.stdin.close()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def events(self) -> AsyncGenerator[Event | None]:
        """Events in the order the child wrote them; `None` after `idle` seconds without one."""
        assert self._proc is not None
        assert self._proc.stdout is not None
        stdout = self._proc.stdout
        ends_at = time.monotonic() + self.deadline
        while True:
            remaining = ends_at - time.monotonic()
            if remaining <= 0:
                await self.stop()
                raise SourceError(
                    f"{self.spec.source}: the {self.spec.spider} spider ran past its deadline "
                    f"({self.deadline:.0f}s) and was stopped",
                    reason="timeout",
                )
            wait = remaining if self.idle is None else min(self.idle, remaining)
            try:
                line = await asyncio.wait_for(stdout.readline(), timeout=wait)
            except TimeoutError:
                if self.idle is not None:
                    yield None
                continue
            except (ValueError, asyncio.LimitOverrunError) as exc:  # a line longer than LINE_LIMIT
                self._malformed(f"line too long: {exc}", b"")
                continue
            if not line:
                break
            try:
                event = decode(line)
            except ValueError as exc:
                self._malformed(str(exc), line)
                continue
            if isinstance(event, Summary):
                self.summary = event
            yield event
        await self._exited()

    async def stop(self) -> None:
        """Stop the child if it still runs (SIGTERM, then SIGKILL) and collect it."""
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            try:
                proc.terminate()
                await asyncio.wait_for(proc.wait(), timeout=STOP_GRACE)
            except TimeoutError:
                proc.kill()
                await proc.wait()
            except ProcessLookupError:
                pass
        if proc.stdout is not None and not proc.stdout.at_eof():
            # Discard what a stopped child still had in the pipe: the transport only closes at EOF.
            with contextlib.suppress(TimeoutError, ValueError):
                await asyncio.wait_for(proc.stdout.read(), timeout=STOP_GRACE)
        if self._drain is not None:
            try:
                await asyncio.wait_for(self._drain, timeout=STOP_GRACE)
            except TimeoutError:
                self._drain.cancel()

    async def _exited(self) -> None:
        assert self._proc is not None
        code = await self._proc.wait()
        if self._drain is not None:
            await self._drain
        if code == 0 and self.summary is not None:
            return
        if code < 0:
            what = f"was killed by signal {-code}"
        elif code == 0:
            what = "exited without its summary"
        else:
            what = f"exited with status {code}"
        tail = "\n".join(self._stderr) or "(no output on stderr)"
        raise SourceError(
            f"{self.spec.source}: the {self.spec.spider} spider {what}; its last log lines:\n{tail}",
            reason="spider_crashed",
        )

    def _malformed(self, problem: str, line: bytes) -> None:
        SOURCE_ERRORS.labels(source=self.spec.source, reason="malformed_message").inc()
        log.warning(
            "malformed message from spider",
            source=self.spec.source,
            spider=self.spec.spider,
            problem=problem,
            line=line[:200].decode("utf-8", "replace"),
        )

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        while True:
            try:
                raw = await stream.readline()
            except (ValueError, asyncio.LimitOverrunError):
                continue
            if not raw:
                return
            text = raw.decode("utf-8", "replace").rstrip()
            if text:
                self._stderr.append(text)
                log.debug("spider log", source=self.spec.source, line=text)
