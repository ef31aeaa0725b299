"""A tiny name -> class registry for plugins (sources, stores, detectors, notifiers).

Each package registers its classes explicitly in one module (`crawlers/plugins.py`, ...): no
directory walking, no import side effects. A plugin class carries:

- `Options`: a pydantic model of its typed options, with defaults next to the class; it forbids
  unknown keys (subclass `trendwatch.config.PluginOptions`), so a typo is an error, not a no-op;
- `description`: one line, shown by `trendwatch sources` and friends.

Configuration names a plugin by its registered short name in `type:`; the config loader
validates the rest of the block against that class's `Options`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel

from trendwatch.errors import UnknownPluginError


class PluginClass(Protocol):
    Options: ClassVar[type[BaseModel]]
    description: ClassVar[str]


T = TypeVar("T", bound=PluginClass)


class Registry(Generic[T]):
    """Plugins of one kind, by short name."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, type[T]] = {}

    def register(self, name: str, cls: type[T]) -> type[T]:
        if name in self._classes:
            raise ValueError(f"{self.kind} type {name!r} is already registered")
        for attr in ("Options", "description"):
            if not hasattr(cls, attr):
                raise TypeError(f"{self.kind} plugin {cls.__name__} has no {attr}")
        if cls.Options.model_config.get("extra") != "forbid":
            raise TypeError(
                f"{cls.__name__}.Options must forbid unknown keys (subclass trendwatch.config.PluginOptions)"
            )
        self._classes[name] = cls
        return cls

    def get(self, name: str) -> type[T]:
        try:
            return self._classes[name]
        except KeyError:
            raise UnknownPluginError(self.kind, name, list(self._classes)) from None

    def options_model(self, name: str) -> type[BaseModel]:
        model: type[BaseModel] = self.get(name).Options
        return model

    def describe(self, name: str) -> str:
        return str(self.get(name).description)

    def names(self) -> list[str]:
        return sorted(self._classes)

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __iter__(self) -> Iterator[tuple[str, type[T]]]:
        return iter(sorted(self._classes.items()))

    def __len__(self) -> int:
        return len(self._classes)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()!r})"


def defaults_of(registry: Registry[Any], name: str) -> BaseModel:
    """The Options of a plugin built from its defaults alone (raises if a field is required)."""
    return registry.options_model(name)()
