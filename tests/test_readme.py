"""The README's Python examples run and print what the README says they print."""

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_examples():
    assert len(_python_blocks()) >= 4


def test_readme_python_examples_run_and_match_their_comments():
    namespace: dict = {}
    for block in _python_blocks():
        if "cr.gradcheck(" in block:
            with pytest.raises(Exception) as info:
                exec(block, namespace)  # noqa: S102 - the README's own code
            assert "the first wrong gate is my_sigmoid" in str(info.value)
            continue
        exec(block, namespace)  # noqa: S102
    cr = namespace["cr"]
    assert namespace["f"] is not None
    assert namespace["x2"].grad == pytest.approx(1 / 9)
    assert namespace["w2"].grad == pytest.approx(np.pi / 18)
    np.testing.assert_allclose(namespace["x"].grad.ravel(),
                               [0.28746968, 0.18495609, 0.08606823], rtol=1e-7)
    np.testing.assert_allclose(cr.jacobian(cr.softmax)(np.array([1.0, 2.0])),
                               [[0.19661193, -0.19661193], [-0.19661193, 0.19661193]], rtol=1e-7)
    np.testing.assert_allclose(cr.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 3.0])),
                               [[6.0, 2.0], [2.0, 0.0]])


def test_extending_doc_example_runs_as_written():
    doc = (README.parent / "docs" / "extending.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    namespace: dict = {}
    exec(blocks[-1], namespace)  # noqa: S102 - the doc's own code
    cr, cube = namespace["cr"], namespace["cube"]
    assert cr.grad(lambda x: cube(x))(2.0) == pytest.approx(12.0)
    assert float(cr.hessian(lambda x: cube(x))(2.0)) == pytest.approx(12.0)
    assert cube.rule(0) == "d/dx cube(x) = 3*x**2"
    assert cr.check_local_gradient(cube, lambda x: 3 * x**2).ok
