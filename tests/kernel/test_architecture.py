"""The layer rule and module hygiene, checked on the source text (DESIGN.md §2).

crawlers/, nlp/, indexer/ and alerts/ import only the kernel (trendwatch.models, config, errors,
registry, metrics, timeutil), never each other or trendwatch.service.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("crawlers", "nlp", "indexer", "alerts")
KERNEL = {
    "trendwatch",
    "trendwatch.models",
    "trendwatch.config",
    "trendwatch.errors",
    "trendwatch.registry",
    "trendwatch.metrics",
    "trendwatch.timeutil",
    "trendwatch.query",
    "trendwatch.waits",
    "trendwatch.links",
}
PACKAGES = ("trendwatch", *STAGES)


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return names


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_stage_imports_only_the_kernel(stage: str) -> None:
    offenders = []
    for path in sorted((ROOT / stage).rglob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in STAGES and top != stage:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
            if top == "trendwatch" and name not in KERNEL:
                offenders.append(f"{path.relative_to(ROOT)} imports {name} (not part of the kernel)")
    assert offenders == []


def test_kernel_imports_no_stage() -> None:
    offenders = []
    for path in sorted((ROOT / "trendwatch").glob("*.py")):
        if path.name == "__main__.py":  # the entry point starts the service, by design
            continue
        for name in _imports(path):
            if name.split(".")[0] in STAGES or name.startswith("trendwatch.service"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_there_are_modules_to_check() -> None:
    assert len(_modules()) > 10


@pytest.mark.parametrize("module", _modules())
def test_module_importable_on_its_own(module: str) -> None:
    """Each module imports in a fresh interpreter, with nothing imported before it."""
    result = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_importlib_sees_the_packages() -> None:
    for package in PACKAGES:
        assert importlib.import_module(package).__doc__
