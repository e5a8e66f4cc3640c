"""The CNN example (examples/cnn_digits.py) reaches 98.5% test accuracy on the 8x8 digits,
deterministically for a seed. Needs scikit-learn (the bundled digits; no download)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install -e "
                    "'.[examples]'); the digits data ship with it")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cnn_digits.py"


@pytest.fixture(scope="module")
def cnn():
    spec = importlib.util.spec_from_file_location("cnn_digits_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_cnn_reaches_98_5_percent_test_accuracy(cnn):
    history = cnn.train(epochs=15, seed=0, progress=False)
    assert history["test_acc"][-1] >= 0.985, history["test_acc"]
    assert history["train_loss"][-1] < history["train_loss"][0] / 10


def test_training_is_deterministic_for_a_seed(cnn):
    a = cnn.train(epochs=1, seed=3, progress=False)
    b = cnn.train(epochs=1, seed=3, progress=False)
    assert a == b


def test_command_line_writes_the_png_where_asked(cnn, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed")
    pytest.importorskip("tqdm", reason="tqdm is not installed")
    out = tmp_path / "curves.png"
    cnn.main(["--epochs", "1", "--out", str(out), "--seed", "1"])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "after 1 epochs" in capsys.readouterr().out
