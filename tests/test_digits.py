"""The digits example (examples/digits.py) reaches 97% test accuracy, deterministically,
and writes its curves. Needs scikit-learn (the bundled 8x8 digits; no download)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install -e "
                    "'.[examples]'); the digits data ship with it")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "digits.py"


@pytest.fixture(scope="module")
def digits():
    spec = importlib.util.spec_from_file_location("digits_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_digits_mlp_reaches_97_percent_test_accuracy(digits):
    history = digits.train(epochs=20, seed=0, progress=False)
    assert history["test_acc"][-1] >= 0.97, history["test_acc"]
    assert history["train_loss"][-1] < history["train_loss"][0] / 10


def test_training_is_deterministic_for_a_seed(digits):
    a = digits.train(epochs=2, seed=3, progress=False)
    b = digits.train(epochs=2, seed=3, progress=False)
    assert a == b


def test_command_line_writes_the_png_where_asked(digits, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed")
    pytest.importorskip("tqdm", reason="tqdm is not installed")
    out = tmp_path / "curves.png"
    digits.main(["--epochs", "1", "--out", str(out), "--seed", "1"])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
    assert "after 1 epoch;" in capsys.readouterr().out
