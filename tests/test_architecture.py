"""The package's layers import downward only: no module of chainrule can reach itself by
following imports (imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "chainrule"


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    mods = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        name = ".".join(rel.parts)
        is_init = path.name == "__init__.py"
        mods[name.removesuffix(".__init__")] = (path, is_init)
    return mods


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the chainrule modules it imports (package ``__init__`` re-exports are
    left out: they sit on top of everything by design)."""
    mods = _modules(root)
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, (path, is_init) in mods.items():
        if is_init:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")[: -node.level]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in mods else module
                           for a in node.names]
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name and not mods[t][1]:
                    edges[name].add(t)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[str]:
    """The modules that can reach themselves."""
    found = []
    for start in edges:
        seen: set[str] = set()
        stack = list(edges[start])
        while stack:
            m = stack.pop()
            if m == start:
                found.append(start)
                break
            if m not in seen:
                seen.add(m)
                stack.extend(edges[m])
    return sorted(found)


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_planted_cycle(tmp_path):
    pkg = tmp_path / "chainrule"
    (pkg / "core").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "core" / "__init__.py").write_text("")
    (pkg / "core" / "a.py").write_text("from . import b\n")
    (pkg / "core" / "b.py").write_text("def f():\n    from .a import x\n")
    (pkg / "top.py").write_text("from .core import a\n")
    assert cycles(import_graph(pkg)) == ["chainrule.core.a", "chainrule.core.b"]


@pytest.mark.parametrize("lower, higher", [
    ("core", "primitive"), ("core", "scalar"), ("core", "tensor"), ("core", "explanation"),
    ("primitive", "scalar"), ("primitive", "tensor"), ("rules", "tensor"),
    ("tensor", "ops"), ("scalar", "ops"), ("ops", "transforms"),
    ("transforms", "checking"), ("transforms", "explanation"), ("checking", "cli"),
    ("explanation", "cli"), ("nn", "cli"),
])
def test_lower_layers_never_import_higher_ones(lower, higher):
    edges = import_graph()
    prefix = f"chainrule.{lower}"
    offenders = sorted(f"{m} -> {t}" for m, ts in edges.items()
                       if m == prefix or m.startswith(prefix + ".")
                       for t in ts if t == f"chainrule.{higher}"
                       or t.startswith(f"chainrule.{higher}."))
    assert offenders == []
