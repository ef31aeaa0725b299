"""One exception tree for the whole system.

    TrendwatchError
    ├── ConfigError          bad configuration: every problem with its file, key path and line
    ├── UnknownPluginError   a `type:` no registry knows (also reported through ConfigError)
    ├── NotConfigured        a plugin declines to run with what it was given (skipped, warned)
    ├── DropPost             a stage drops one post on purpose, with a countable reason
    ├── SourceError          fetching failed; `reason` is the metrics label, never a secret
    │   ├── AuthError        401/403: names the credential to fix
    │   ├── RateLimited      429 or a platform limit; `retry_after` seconds when known
    │   ├── SourceGone       404/410: the feed, channel or account is gone
    │   └── BadPayload       the body is not what the protocol promises (malformed, HTML, empty)
    ├── StoreError           the store could not do what was asked
    ├── QuerySyntaxError     a user query that does not parse; `position` points at the problem
    └── DeliveryError        a notification was not delivered (kept and retried later)

Messages are written for the person who has to fix the problem. Secrets are never part of one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class TrendwatchError(Exception):
    """Base of every error trendwatch raises on purpose."""


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a configuration file."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}{self.path or '<top level>'}: {self.message}"


class ConfigError(TrendwatchError):
    """The configuration is invalid; carries every problem found, not just the first."""

    def __init__(self, file: str, issues: Sequence[ConfigIssue]) -> None:
        self.file = file
        self.issues = tuple(issues)
        noun = "problem" if len(self.issues) == 1 else "problems"
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"{file}: {len(self.issues)} {noun}:\n{lines}")


class UnknownPluginError(TrendwatchError):
    def __init__(self, kind: str, name: str, known: Sequence[str]) -> None:
        self.kind, self.name, self.known = kind, name, tuple(known)
        super().__init__(f"unknown {kind} type {name!r}; known: {', '.join(sorted(known))}")


class NotConfigured(TrendwatchError):
    """Raised by a plugin's constructor when it cannot run as configured; the service skips it
    with one warning naming the plugin and this message."""


class DropPost(TrendwatchError):
    """A stage drops a post deliberately. `reason` is a short, stable metrics label."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


class SourceError(TrendwatchError):
    """Fetching from a source failed. `reason` is a short, stable label used in metrics
    (e.g. "timeout", "http_500", "malformed_json"); the message is for humans."""

    reason: str = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        if reason is not None:
            self.reason = reason
        super().__init__(message)


class AuthError(SourceError):
    reason = "auth"


class RateLimited(SourceError):
    reason = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, reason: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, reason=reason)


class SourceGone(SourceError):
    reason = "gone"


class BadPayload(SourceError):
    reason = "bad_payload"


class StoreError(TrendwatchError):
    """The store failed to do what was asked (not a bad query: see QuerySyntaxError)."""


class QuerySyntaxError(TrendwatchError):
    """A user query did not parse. `position` is the 0-based character offset of the problem."""

    def __init__(self, message: str, query: str, position: int) -> None:
        self.query, self.position = query, position
        pointer = " " * position + "^"
        super().__init__(f"{message} at position {position}\n  {query}\n  {pointer}")


class DeliveryError(TrendwatchError):
    """A notification could not be delivered now; it is kept and retried later.

    `parts_sent`: of a notification the channel carries as several messages, how many went out
    before the failure; the outbox keeps it, so a retry (also after a restart) sends the rest."""

    def __init__(self, message: str, *, retryable: bool = True, parts_sent: int = 0) -> None:
        self.retryable = retryable
        self.parts_sent = parts_sent
        super().__init__(message)
