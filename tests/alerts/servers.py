"""Local servers that speak the notification channels' protocols, for tests and the benchmark.

`ChannelServer` is one aiohttp app with:

- `POST /hook`: a webhook receiver that records headers and body;
- `POST /slack/{path}`: a Slack incoming webhook that checks Block Kit structure and limits and
  answers `ok`, or `invalid_blocks` (400) like Slack does;
- `POST /bot{token}/sendMessage`: the Telegram Bot API method, checking the token, the chat and,
  in HTML parse mode, the markup as strictly as Telegram (only its tags, only its entities, no
  bare `<`, `>` or `&`) and the 4,096-character limit after entity parsing.

`server.script(endpoint, *replies)` queues failures (429 with Retry-After, 5xx, a slow answer,
an HTML error page, Telegram's own error bodies) that the next requests receive, in order.

`SmtpServer` is an aiosmtpd server on the test's loop with STARTTLS (a self-signed certificate),
required AUTH, and a record of every message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import ipaddress
import re
import ssl
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TELEGRAM_TOKEN = "123456:TEST-token-never-logged"
TELEGRAM_CHAT = "-100777"
TG_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote", "tg-spoiler"}
_TG_TAG = re.compile(r'<(/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>')
_TG_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


@dataclass
class Reply:
    """A scripted answer: status, body (dict -> JSON), headers, and a delay before answering."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


class TelegramHtmlError(ValueError):
    pass


def telegram_render(text: str) -> str:
    """The text Telegram would display for `text` in HTML mode; raises like Telegram on bad markup."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TG_TAG.match(text, i)
            if not m or m.group(2) not in TG_TAGS:
                raise TelegramHtmlError(f"Unsupported start tag at byte offset {i}")
            closing, name = m.group(1) == "/", m.group(2)
            if closing:
                if not stack or stack.pop() != name:
                    raise TelegramHtmlError(f"Unmatched end tag at byte offset {i}, expected {name}")
            else:
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _TG_ENTITY.match(text, i)
            if not m:
                raise TelegramHtmlError(f"Unknown entity at byte offset {i}")
            out.append(html.unescape(m.group(0)))
            i = m.end()
        elif ch == ">":
            raise TelegramHtmlError(f"Unexpected end tag at byte offset {i}")
        else:
            out.append(ch)
            i += 1
    if stack:
        raise TelegramHtmlError(f"Can't find end tag corresponding to start tag {stack[-1]}")
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class ChannelServer:
    def __init__(self) -> None:
        self.received: dict[str, list[Received]] = defaultdict(list)
        self.telegram_messages: list[dict[str, Any]] = []  # accepted sendMessage requests
        self.slack_messages: list[dict[str, Any]] = []
        self.reject_html = False  # make the Bot API refuse every HTML message (a parser change)
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.events: asyncio.Queue[Received] = asyncio.Queue()  # requests accepted
        self.arrivals: asyncio.Queue[Received] = asyncio.Queue()  # requests as they arrive

    def script(self, endpoint: str, *replies: Reply) -> None:
        self._scripts[endpoint].extend(replies)

    async def start(self) -> ChannelServer:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        app.router.add_post("/slack/{path:.*}", self._slack)
        app.router.add_post("/bot{token}/sendMessage", self._telegram)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, endpoint: str, request: web.Request) -> tuple[Received, web.Response | None]:
        body = await request.read()
        got = Received(request.path, dict(request.headers), body, asyncio.get_running_loop().time())
        self.received[endpoint].append(got)
        self.arrivals.put_nowait(got)
        script = self._scripts[endpoint]
        if script:
            reply = script.popleft()
            if reply.delay:
                await asyncio.sleep(reply.delay)
            if reply.status != 200 or reply.body is not None:
                data = reply.body if isinstance(reply.body, str | bytes) else orjson.dumps(reply.body)
                return got, web.Response(
                    status=reply.status, body=data, headers=reply.headers, content_type=reply.content_type
                )
        return got, None

    async def _hook(self, request: web.Request) -> web.Response:
        got, scripted = await self._record("hook", request)
        if scripted is not None:
            return scripted
        await self.events.put(got)
        return web.json_response({"received": True})

    async def _slack(self, request: web.Request) -> web.Response:
        got, scripted = await self._record("slack", request)
        if scripted is not None:
            return scripted
        try:
            message = got.json
            check_slack_message(message)
        except (ValueError, KeyError, TypeError) as exc:
            return web.Response(status=400, text=f"invalid_blocks: {exc}")
        self.slack_messages.append(message)
        await self.events.put(got)
        return web.Response(text="ok")

    async def _telegram(self, request: web.Request) -> web.Response:
        got, scripted = await self._record("telegram", request)
        if scripted is not None:
            return scripted
        if request.match_info["token"] != TELEGRAM_TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        data = got.json
        if str(data.get("chat_id")) != TELEGRAM_CHAT:
            return _tg_error(400, "Bad Request: chat not found")
        text = data.get("text", "")
        if data.get("parse_mode") == "HTML":
            if self.reject_html:
                return _tg_error(400, 'Bad Request: can\'t parse entities: Unsupported start tag "b" at byte offset 0')
            try:
                text = telegram_render(text)
            except TelegramHtmlError as exc:
                return _tg_error(400, f"Bad Request: can't parse entities: {exc}")
        if not text.strip():
            return _tg_error(400, "Bad Request: message text is empty")
        if utf16_len(text) > 4096:
            return _tg_error(400, "Bad Request: message is too long")
        self.telegram_messages.append({**data, "rendered": text})
        await self.events.put(got)
        return web.json_response({"ok": True, "result": {"message_id": len(self.telegram_messages), "text": text}})


def _tg_error(code: int, description: str, **parameters: Any) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def tg_reply(code: int, description: str, **parameters: Any) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Reply(status=code, body=body)


def check_slack_message(message: dict[str, Any]) -> None:
    """The Block Kit rules our messages must keep (types, text objects, documented limits)."""
    if not message.get("text") and not message.get("blocks"):
        raise ValueError("no_text")
    blocks = message.get("blocks", [])
    if len(blocks) > 50:
        raise ValueError("too many blocks")
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            _text_object(block["text"], 150, plain_only=True)
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                raise ValueError("section without text or fields")
            if "text" in block:
                _text_object(block["text"], 3000)
            fields = block.get("fields", [])
            if len(fields) > 10:
                raise ValueError("more than 10 fields")
            for f in fields:
                _text_object(f, 2000)
            if "accessory" in block:
                _button(block["accessory"])
        elif kind == "context":
            elements = block["elements"]
            if not 1 <= len(elements) <= 10:
                raise ValueError("context needs 1-10 elements")
            for e in elements:
                _text_object(e, 2000)
        elif kind == "actions":
            for e in block["elements"]:
                _button(e)
        elif kind != "divider":
            raise ValueError(f"unknown block type {kind}")


def _text_object(obj: dict[str, Any], limit: int, plain_only: bool = False) -> None:
    if obj["type"] not in ("plain_text", "mrkdwn") or (plain_only and obj["type"] != "plain_text"):
        raise ValueError(f"bad text object type {obj['type']}")
    if not 1 <= len(obj["text"]) <= limit:
        raise ValueError(f"text length {len(obj['text'])} outside 1..{limit}")


def _button(obj: dict[str, Any]) -> None:
    if obj["type"] != "button":
        raise ValueError("expected a button")
    _text_object(obj["text"], 75, plain_only=True)
    if len(obj.get("url", "")) > 3000:
        raise ValueError("button url too long")


# ---------------------------------------------------------------------------------------- SMTP


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 / localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.server.messages.append((envelope, message, session.ssl is not None, session.authenticated))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on the running loop: STARTTLS and AUTH required (when `tls`), records mail."""

    def __init__(self, cert: Path, key: Path, *, user: str = "alerts", password: str = "s3cret!", tls: bool = True):
        self.user, self.password = user.encode(), password.encode()
        self.messages: list[tuple[Envelope, EmailMessage, bool, bool | None]] = []
        self.tls_context: ssl.SSLContext | None = None
        if tls:
            self.tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls_context.load_cert_chain(cert, key)
        self.port = 0
        self._server: asyncio.AbstractServer | None = None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == self.user and data.password == self.password
        return AuthResult(success=ok, handled=False)

    async def start(self) -> SmtpServer:
        handler = _Handler(self)
        tls = self.tls_context

        def factory() -> SMTP:
            return SMTP(
                handler,
                hostname="localhost",
                tls_context=tls,
                require_starttls=tls is not None,
                authenticator=self._authenticate,
                auth_required=tls is not None,
                auth_require_tls=tls is not None,
            )

        self._server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
