"""The one item pipeline of the child process: every item becomes one protocol line on stdout."""

from __future__ import annotations

import os
from typing import Any

from scrapy.crawler import Crawler

from crawlers.spiders.protocol import encode


class ProtocolWriter:
    """Writes protocol lines to a file descriptor (the child's real stdout), flushed per line
    so the Source sees each page as soon as it is scraped."""

    def __init__(self, fd: int) -> None:
        self._out = os.fdopen(fd, "wb", closefd=False)

    def write(self, event: Any) -> None:
        self._out.write(encode(event))
        self._out.flush()


class ProtocolPipeline:
    def __init__(self, writer: ProtocolWriter) -> None:
        self.writer = writer

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProtocolPipeline:
        return cls(ProtocolWriter(crawler.settings.getint("TRENDWATCH_OUTPUT_FD")))

    def process_item(self, item: Any) -> Any:
        self.writer.write(item)
        return item
