"""Every registered plugin builds from its defaults alone, or declines with NotConfigured.

Options models must default every field (so `trendwatch sources` can show them and a minimal
config works); a plugin that cannot run without, say, a URL raises NotConfigured saying so.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from trendwatch.errors import NotConfigured
from trendwatch.service.plugins import REGISTRIES

PLUGINS = [(section, name, cls) for section, registry in REGISTRIES.items() for name, cls in registry]


def test_each_stage_registers_plugins() -> None:
    assert {section for section, _, _ in PLUGINS} == set(REGISTRIES), "a registry is empty"


@pytest.mark.parametrize(("section", "name", "cls"), PLUGINS, ids=[f"{s}:{n}" for s, n, _ in PLUGINS])
async def test_plugin_builds_from_defaults(section: str, name: str, cls: Any) -> None:
    options = cls.Options()
    assert cls.description
    assert "\n" not in cls.description
    declined: NotConfigured | None = None
    async with aiohttp.ClientSession() as session:
        try:
            if section == "store":
                cls(options)
            elif section == "detectors":
                cls(name, options)
            else:
                cls(name, options, session)
        except NotConfigured as exc:
            declined = exc
    assert declined is None or str(declined), f"{name} declined without saying why"
