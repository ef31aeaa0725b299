"""Structured logging for the service: one structlog configuration, console or JSON lines.

Standard-library loggers (aiohttp, Scrapy, asyncio) are routed through the same renderer so the
output is one consistent stream. Call `configure` once, at the start of a command.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from trendwatch.config import LoggingConfig


def configure(config: LoggingConfig | None = None, *, stream: Any = None) -> None:
    config = config or LoggingConfig()
    level = getattr(logging, config.level.upper())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if config.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False, pad_event_to=30)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiohttp.access", "scrapy", "twisted", "filelock", "asyncio"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
