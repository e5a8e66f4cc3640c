"""Fail unless each module named in pyproject.toml's [tool.chainrule.coverage-gate] ``full``
list has 100% of its lines and branches covered by the last test run (.coverage).

Run by ``make test`` after the suite: ``python tests/coverage_gate.py``. A branch that cannot
or should not be covered carries ``# pragma: no branch`` / ``# pragma: no cover`` with its
reason, next to the code.
"""

from __future__ import annotations

import io
import sys
import tomllib
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["chainrule"]["coverage-gate"]["full"]
    cov = coverage.Coverage(data_file=str(ROOT / ".coverage"))
    cov.load()
    problems, short = [], []
    for pattern in patterns:
        paths = sorted(ROOT.glob(pattern))
        if not paths:
            problems.append(f"{pattern}: no such file")
        for path in paths:
            try:
                percent = cov.report(include=[str(path)], file=io.StringIO())
            except coverage.exceptions.NoDataError:
                problems.append(f"{path.relative_to(ROOT)}: not measured")
                continue
            if percent < 100:
                short.append(str(path))
    if short:
        print("coverage gate: below 100% of lines and branches:")
        cov.report(include=short, show_missing=True, skip_covered=False)
    for problem in problems:
        print(f"coverage gate: {problem}")
    if short or problems:
        return 1
    print(f"coverage gate: {len(patterns)} module(s) at 100% of lines and branches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
