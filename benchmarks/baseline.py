"""A second chainrule in the same process, to compare against in the same run.

With the environment variable ``CHAINRULE_BENCH_BASELINE`` set to another checkout's
``src`` folder, :func:`load` imports that checkout's chainrule under the name
``chainrule_baseline`` next to the one being measured, so a benchmark can interleave the
two engines round by round (the fairest comparison on a shared machine). Without the
variable, :func:`load` returns None and the benchmarks run as usual.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

VAR = "CHAINRULE_BENCH_BASELINE"
NAME = "chainrule (baseline)"
"""The engine's name in the benchmark tables."""


def load() -> Any:
    """The baseline chainrule package (imported once), or None without ``VAR``."""
    where = os.environ.get(VAR)
    if not where:
        return None
    if "chainrule_baseline" in sys.modules:
        return sys.modules["chainrule_baseline"]
    init = os.path.join(where, "chainrule", "__init__.py")
    if not os.path.exists(init):
        raise SystemExit(f"benchmarks: {VAR}={where!r} holds no chainrule/__init__.py")
    spec = importlib.util.spec_from_file_location(
        "chainrule_baseline", init, submodule_search_locations=[os.path.dirname(init)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["chainrule_baseline"] = module
    spec.loader.exec_module(module)
    return module


def submodule(package: Any, name: str) -> Any:
    """``package.name`` (e.g. ``nn``) of the current or the baseline chainrule."""
    return importlib.import_module(f"{package.__name__}.{name}")
