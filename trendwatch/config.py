"""Typed settings from YAML plus the environment, with errors a person can act on.

A config file names one own brand, any number of competitors, and plugin blocks (store, sources,
detectors, notifiers). Each plugin block has `type:` (a registered short name), an optional
`name:` (defaults to the type) and `enabled:`; a source block also `filter:` (a query posts must
match to be stored). Every other key in the block is validated against the `Options` model of
the class that `type:` names, so options live next to their class and are never duplicated in a
central schema.

`${VAR}` (or `${VAR:-default}`) anywhere in a string pulls a value from the environment; that is
how secrets get in. A missing variable is an error naming the key; values are never echoed.

Loading collects every problem before failing: `ConfigError.issues` lists each one with its key
path (`sources[1].url`) and the line in the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from trendwatch.errors import ConfigError, ConfigIssue, QuerySyntaxError, UnknownPluginError
from trendwatch.query import Query, parse
from trendwatch.registry import Registry
from trendwatch.timeutil import DisplayClock, Duration, parse_duration, zone

PLUGIN_SECTIONS = ("store", "sources", "detectors", "notifiers")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

Path_ = tuple[str | int, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PluginOptions(_Strict):
    """Base of every plugin's `Options`: unknown keys are errors, so typos never pass silently."""


class BrandConfig(_Strict):
    """A brand to watch: the own brand or a competitor."""

    name: str = Field(min_length=1, description="Display name; also the brand's key in the store.")
    aliases: list[str] = Field(default_factory=list, description="Other names in any script.")
    handles: list[str] = Field(default_factory=list, description="Account handles, e.g. @digikala.")
    hashtags: list[str] = Field(default_factory=list, description="Hashtags that mean the brand.")
    keywords: list[str] = Field(default_factory=list, description="Extra search terms for sources.")
    exclude: list[str] = Field(default_factory=list, description="Phrases that are NOT the brand.")
    language: Literal["en", "fa"] = Field("en", description="Language of alerts about this brand.")
    finglish: bool = Field(False, description="Also match Finglish/Persian transliterations.")

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a brand needs a non-empty name")
        return value

    def names(self) -> list[str]:
        """The name plus every alias, handle and hashtag, each once."""
        return list(dict.fromkeys([self.name, *self.aliases, *self.handles, *self.hashtags]))


class DisplayConfig(_Strict):
    timezone: str = "UTC"
    calendar: Literal["gregorian", "jalali"] = "gregorian"
    digits: Literal["latin", "persian"] = "latin"
    language: Literal["en", "fa"] = "en"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    def clock(self) -> DisplayClock:
        return DisplayClock(tz=self.timezone, calendar=self.calendar, digits=self.digits)


class NlpConfig(_Strict):
    sentiment: Literal["lexicon", "textcat"] = "lexicon"
    model: Path | None = Field(None, description="Directory of a trained textcat model.")
    batch_size: int = Field(500, ge=1, le=100_000)
    workers: int = Field(1, ge=1, le=64, description="Processes that run the NLP pipeline.")

    @model_validator(mode="after")
    def _textcat_needs_model(self) -> NlpConfig:
        if self.sentiment == "textcat" and self.model is None:
            raise ValueError("sentiment 'textcat' needs model: DIR (train one with `trendwatch nlp train`)")
        return self


class HttpConfig(_Strict):
    user_agent: str = "trendwatch/0.1 (+https://github.com/trendwatch/trendwatch)"
    timeout: Duration = parse_duration("30s")
    retries: int = Field(4, ge=0, le=20)
    backoff: Duration = parse_duration("1s")
    max_backoff: Duration = parse_duration("5m")
    per_host_rate: float = Field(2.0, gt=0, description="Requests per second per host.")
    per_host_burst: int = Field(4, ge=1)


class WebConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=0, le=65535)
    token: SecretStr | None = None
    public_url: str | None = Field(None, description="Base URL used in alert links.")

    @field_validator("token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @model_validator(mode="after")
    def _token_when_exposed(self) -> WebConfig:
        if self.host not in ("127.0.0.1", "localhost", "::1") and self.token is None:
            raise ValueError(f"binding to {self.host} exposes the service: set web.token (e.g. ${{TRENDWATCH_TOKEN}})")
        return self


class IngestConfig(_Strict):
    batch_size: int = Field(500, ge=1, le=50_000)
    queue_batches: int = Field(8, ge=1, le=1000, description="Bound on batches waiting (backpressure).")


class LoggingConfig(_Strict):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["console", "json"] = "console"


class PluginConfig(BaseModel):
    """One plugin block. Keys other than name/type/enabled are the plugin's own options,
    validated by `load_config` into `options` (an instance of the class's Options model)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(min_length=1)
    name: str = ""
    enabled: bool = True
    _options: BaseModel | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _default_name(self) -> PluginConfig:
        if not self.name:
            self.name = self.type
        return self

    @property
    def raw_options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @property
    def options(self) -> Any:
        if self._options is None:
            raise RuntimeError(f"options of {self.name!r} were not validated; load the config with registries")
        return self._options


class SourceConfig(PluginConfig):
    """A source block: the common plugin keys, plus `filter:`, a query in the query language
    (`trendwatch.query`) that a post must match to be stored. The pipeline applies it after
    enrichment, so `brand:`, `lang:` and topics mean what the NLP stage found."""

    filter: str | None = None

    @field_validator("filter")
    @classmethod
    def _a_query(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            parse(value)
        except QuerySyntaxError as exc:
            raise ValueError(f"not a valid query: {exc}") from None
        return value

    @property
    def query(self) -> Query | None:
        return parse(self.filter) if self.filter is not None else None


class Settings(_Strict):
    brand: BrandConfig
    competitors: list[BrandConfig] = Field(default_factory=list)
    display: DisplayConfig = Field(default_factory=DisplayConfig)
    store: PluginConfig = Field(default_factory=lambda: PluginConfig(type="sqlite"))
    sources: list[SourceConfig] = Field(default_factory=list)
    detectors: list[PluginConfig] = Field(default_factory=list)
    notifiers: list[PluginConfig] = Field(default_factory=list)
    nlp: NlpConfig = Field(default_factory=NlpConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    report: Any = Field(None, description="A scheduled e-mail report; validated by the service's model.")

    @field_validator("competitors", "sources", "detectors", "notifiers", mode="before")
    @classmethod
    def _empty_section_is_empty_list(cls, value: object) -> object:
        return [] if value is None else value

    @property
    def brands(self) -> list[BrandConfig]:
        """The own brand first, then competitors."""
        return [self.brand, *self.competitors]

    def brand_named(self, name: str) -> BrandConfig | None:
        return next((b for b in self.brands if b.name == name), None)

    def plugins(self, section: str) -> list[PluginConfig]:
        value = getattr(self, section)
        return [value] if isinstance(value, PluginConfig) else list(value)


# --------------------------------------------------------------------------- loading


def load_config(
    path: str | Path,
    registries: Mapping[str, Registry[Any]] | None = None,
    env: Mapping[str, str] | None = None,
    sections: Mapping[str, type[BaseModel]] | None = None,
) -> Settings:
    """Read, expand and validate a YAML config file; raise ConfigError listing every problem."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(file, [ConfigIssue("", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(file, [ConfigIssue("", f"cannot read the file: {exc}")]) from None
    return parse_config(text, file=file, registries=registries, env=env, sections=sections)


def parse_config(
    text: str,
    file: str = "<config>",
    registries: Mapping[str, Registry[Any]] | None = None,
    env: Mapping[str, str] | None = None,
    sections: Mapping[str, type[BaseModel]] | None = None,
) -> Settings:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(file, [ConfigIssue("", f"not valid YAML: {problem}", line)]) from None
    lines = dict(_line_index(node)) if node is not None else {}
    return settings_from_data(data, file=file, registries=registries, env=env, lines=lines, sections=sections)


def settings_from_data(
    data: Any,
    file: str = "<config>",
    registries: Mapping[str, Registry[Any]] | None = None,
    env: Mapping[str, str] | None = None,
    lines: Mapping[Path_, int] | None = None,
    sections: Mapping[str, type[BaseModel]] | None = None,
) -> Settings:
    """Validate already-parsed config data (a dict as YAML would give).

    `registries` validate plugin blocks by their `type:`; `sections` validate free-form top-level
    sections the kernel does not know (e.g. the service's `report:`) against the given models,
    replacing the raw value with the model instance.
    """
    lines = lines or {}
    issues: list[ConfigIssue] = []

    def issue(path: Path_, message: str) -> None:
        issues.append(ConfigIssue(_dotted(path), message, _nearest_line(lines, path)))

    if data is None:
        data = {}
    if not isinstance(data, dict):
        issue((), "the top level must be a mapping of keys (brand:, sources:, ...)")
        raise ConfigError(file, issues)

    data = _expand_env(data, os.environ if env is None else env, (), issue)
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            issue(tuple(err["loc"]), _message(err))

    # Plugin blocks and service sections are checked even when something else is wrong, so one
    # run of check-config lists every problem in the file.
    for section in PLUGIN_SECTIONS:
        located = _plugins_at(settings, data, section)
        if settings is not None and section != "store":
            _check_unique([p.name for _, p in located], (section,), section.rstrip("s"), issue)
        if registries is not None and section in registries:
            for at, plugin in located:
                _validate_plugin(plugin, registries[section], at, issue)
    for name, model in (sections or {}).items():
        raw = data.get(name)
        if raw is None:
            continue
        try:
            parsed = model.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                issue((name, *err["loc"]), _message(err))
        else:
            if settings is not None:
                setattr(settings, name, parsed)
    if settings is not None:
        _check_unique([b.name for b in settings.brands], ("competitors",), "brand", issue)
    if issues or settings is None:
        raise ConfigError(file, issues)
    return settings


def _plugins_at(settings: Settings | None, data: dict[str, Any], section: str) -> list[tuple[Path_, PluginConfig]]:
    """The section's plugin blocks with their key paths: from the validated settings, or, when
    the rest of the file is invalid, from every raw block that is itself a valid plugin block
    (one that is not was already reported by the base validation)."""
    if settings is not None:
        plugins = settings.plugins(section)
        if section == "store":
            return [((section,), plugins[0])]
        return [((section, i), p) for i, p in enumerate(plugins)]
    raw = data.get(section)
    entries: list[tuple[Path_, Any]]
    if section == "store":
        entries = [((section,), raw)] if isinstance(raw, dict) else []
    else:
        entries = [((section, i), e) for i, e in enumerate(raw)] if isinstance(raw, list) else []
    model = SourceConfig if section == "sources" else PluginConfig
    located = []
    for at, entry in entries:
        try:
            located.append((at, model.model_validate(entry)))
        except ValidationError:
            continue
    return located


def _validate_plugin(plugin: PluginConfig, registry: Registry[Any], at: Path_, issue: Any) -> None:
    try:
        model = registry.options_model(plugin.type)
    except UnknownPluginError as exc:
        issue((*at, "type"), str(exc))
        return
    try:
        plugin._options = model.model_validate(plugin.raw_options)
    except ValidationError as exc:
        for err in exc.errors():
            issue((*at, *err["loc"]), _message(err))


def _check_unique(names: list[str], at: Path_, what: str, issue: Any) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            issue(at, f"two {what}s are named {name!r}; give each a distinct name")
        seen.add(name)


def _expand_env(value: Any, env: Mapping[str, str], path: Path_, issue: Any) -> Any:
    if isinstance(value, dict):
        return {k: _expand_env(v, env, (*path, str(k)), issue) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, env, (*path, i), issue) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        issue(path, f"environment variable {name} is not set (referenced as ${{{name}}})")
        return ""

    return _ENV_REF.sub(substitute, value)


def _message(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see deploy/config.example.yaml)"
    message = str(err.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _nearest_line(lines: Mapping[Path_, int], path: Path_) -> int | None:
    for cut in range(len(path), -1, -1):
        line = lines.get(tuple(path[:cut]))
        if line is not None:
            return line
    return None


def _line_index(node: yaml.Node, path: Path_ = ()) -> Iterator[tuple[Path_, int]]:
    """(key path, 1-based line) for every node of a composed YAML document."""
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            yield child, key.start_mark.line + 1
            for sub_path, line in _line_index(value, child):
                if sub_path != child:
                    yield sub_path, line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _line_index(item, (*path, index))
