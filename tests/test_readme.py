"""The README's examples run and print what the README says they print.

Python blocks run statement by statement; every statement whose line ends in a comment
showing a value (``f.item()      # 2.2176476050544203``) is evaluated and compared with the
numbers in that comment, to the digits the comment shows. Shell transcripts
(``$ chainrule ...`` followed by its output) are run through the command and compared line by
line. The error examples are checked for the message they show.
"""

import ast
import contextlib
import io
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan")


def _fenced(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced block, in order."""
    return re.findall(r"^```(\w*)\n(.*?)^```$", text, flags=re.S | re.M)


def _blocks(text: str, lang: str) -> list[str]:
    return [body for language, body in _fenced(text) if language == lang]


def _shown_value(comment: str) -> str:
    """The value part of a comment: a bracketed literal, or the first word."""
    comment = comment.strip()
    if comment[:1] in "([":
        depth = 0
        for i, ch in enumerate(comment):
            depth += ch in "(["
            depth -= ch in ")]"
            if depth == 0:
                return comment[: i + 1]
    return comment.split()[0]


def _flat_numbers(value) -> list[float]:
    if isinstance(value, tuple | list):
        return [v for item in value for v in _flat_numbers(item)]
    return [float(v) for v in np.ravel(np.asarray(getattr(value, "data", value), dtype=float))]


def _tolerance(shown: str) -> float:
    """Half a unit in the last digit shown (0.1966 -> 5e-5), at least 1e-12 relative."""
    mantissa = re.split("[eE]", shown)[0]
    digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(re.split("[eE]", shown)[1]) if re.search("[eE]", shown) else 0
    return max(0.5 * 10.0 ** (exponent - digits), 1e-12 * abs(float(shown)))


def run_block_checking_shown_values(block: str, namespace: dict) -> int:
    """Run ``block`` in ``namespace``; return how many shown values were compared."""
    lines = block.splitlines()
    checked = 0
    for stmt in ast.parse(block).body:
        source = ast.get_source_segment(block, stmt)
        line = lines[stmt.end_lineno - 1]
        _, hash_, comment = line.partition("  #")
        if isinstance(stmt, ast.Expr) and hash_:
            target = ast.Name("_shown_", ast.Store())
            assign = ast.fix_missing_locations(ast.Assign([target], stmt.value))
            exec(compile(ast.Module([assign], []), "README.md", "exec"), namespace)  # noqa: S102
            got = namespace.pop("_shown_")
            shown = [m.group() for m in NUMBER.finditer(_shown_value(comment))]
            values = _flat_numbers(got)
            assert len(values) == len(shown), f"{source}: shows {shown}, computes {values}"
            for v, s in zip(values, shown):
                assert v == pytest.approx(float(s), abs=_tolerance(s), nan_ok=True), \
                    f"{source}: the README shows {s}, it computes {v!r}"
            checked += 1
        else:
            exec(compile(ast.Module([stmt], []), "README.md", "exec"), namespace)  # noqa: S102
    return checked


def test_readme_python_examples_compute_the_values_their_comments_show():
    namespace: dict = {}
    checked = 0
    blocks = _blocks(README.read_text(), "python")
    assert len(blocks) >= 4
    for block in blocks:
        if "cr.gradcheck(" in block:
            continue            # the failing check, below
        checked += run_block_checking_shown_values(block, namespace)
    # Problem 1 (3 values), Problem 2 (2), numpy functions (2), complex numbers (2), the
    # functional API (5 + 4), containers (2), compile (3), forward mode (6), scipy (1), the
    # PyTorch-style script (2), micrograd-style code (2): every one is compared
    assert checked == 32


def test_shown_values_are_compared_to_the_digits_shown():
    namespace: dict = {}
    assert run_block_checking_shown_values("x = 0.19661193\nx        # 0.1966\n", namespace) == 1
    with pytest.raises(AssertionError, match="shows 0.1967"):
        run_block_checking_shown_values("x = 0.19661193\nx        # 0.1967\n", namespace)
    with pytest.raises(AssertionError, match="shows"):
        run_block_checking_shown_values("x = (1.0, 2.0)\nx        # (1.0, 2.0, 3.0)\n", {})


def test_readme_gradcheck_example_fails_with_the_message_shown():
    blocks = _blocks(README.read_text(), "python")
    (block,) = [b for b in blocks if "cr.gradcheck(" in b]
    fenced = _fenced(README.read_text())
    shown = fenced[fenced.index(("python", block)) + 1][1]
    namespace: dict = {}
    exec("import numpy as np\nimport chainrule as cr\n", namespace)  # noqa: S102
    with pytest.raises(Exception) as info:
        exec(block, namespace)  # noqa: S102 - the README's own code
    message = str(info.value)
    assert type(info.value).__name__ == shown.split(":")[0] == "GradcheckError"
    assert shown.splitlines()[0].split(": ", 1)[1] == message.splitlines()[0]
    for line in ["blame: the first wrong gate is my_sigmoid node #2, input x (edge 0)",
                 "its rule:  d/dx my_sigmoid(x) = x*(1-x)",
                 "got      [[ 0.], [-2.], [-6.]] (its rule)", "off by 6.05 (30.7 relative)"]:
        assert line in shown and line in message, line


def test_readme_shape_error_example_says_what_it_shows():
    import chainrule as cr
    from chainrule.errors import ShapeError
    shown = re.search(r">>> (.*)\n(chainrule\.errors\.ShapeError): (.*)\n", README.read_text())
    assert shown.group(1) == "cr.tensor(np.ones((3, 4))) @ cr.tensor(np.ones(3))"
    with pytest.raises(ShapeError) as info:
        cr.tensor(np.ones((3, 4))) @ cr.tensor(np.ones(3))
    assert str(info.value) == shown.group(3)


def _transcripts(text: str) -> list[tuple[list[str], str]]:
    """(argv, shown output) for each ``$ chainrule ...`` line in the shell blocks."""
    out = []
    for block in _blocks(text, "") + _blocks(text, "console"):
        parts = re.split(r"^\$ chainrule (.*)\n", block, flags=re.M)
        for command, shown in zip(parts[1::2], parts[2::2]):
            out.append((shlex.split(command), shown.rstrip("\n")))
    return out


def test_readme_command_line_transcripts_are_the_real_output(monkeypatch):
    monkeypatch.chdir(ROOT)              # the grading example reads examples/answers.csv
    monkeypatch.setenv("COLUMNS", "100")  # as in a pipe without COLUMNS
    transcripts = _transcripts(README.read_text())
    assert [argv[0] for argv, _ in transcripts] == ["demo", "grad", "grad", "grad", "grade"]
    for argv, shown in transcripts:
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = main(argv)
        printed = (stdout.getvalue() + stderr.getvalue()).rstrip("\n")
        assert printed == shown, f"chainrule {shlex.join(argv)}"
        assert status == (2 if "chainrule: error:" in shown else 1 if argv[0] == "grade" else 0)


def test_extending_doc_example_runs_as_written():
    doc = (README.parent / "docs" / "extending.md").read_text()
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", doc, flags=re.S)
                if 'cr.primitive("cube"' in b]
    namespace: dict = {}
    exec(block, namespace)  # noqa: S102 - the doc's own code
    cr, cube = namespace["cr"], namespace["cube"]
    assert cr.grad(lambda x: cube(x))(2.0) == pytest.approx(12.0)
    assert float(cr.hessian(lambda x: cube(x))(2.0)) == pytest.approx(12.0)
    assert cube.rule(0) == "d/dx cube(x) = 3*x**2"
    assert cr.check_local_gradient(cube, lambda x: 3 * x**2).ok


def _join_continued_commands(text: str) -> str:
    """``$ chainrule ... \\`` lines joined with the lines they continue onto."""
    out: list[str] = []
    for line in text.splitlines():
        if out and out[-1].startswith("$ chainrule") and out[-1].endswith("\\"):
            out[-1] = out[-1][:-1].rstrip() + " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def test_cli_doc_transcripts_are_the_real_output(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "100")
    text = _join_continued_commands((ROOT / "docs" / "cli.md").read_text())
    transcripts = _transcripts(text)
    assert len(transcripts) == 14
    for argv, shown in transcripts:
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            main(argv)
        assert (stdout.getvalue() + stderr.getvalue()).rstrip("\n") == shown, \
            f"chainrule {shlex.join(argv)}"
