"""Train an MLP on scikit-learn's bundled 8x8 handwritten digits with chainrule.nn.

    python examples/digits.py                  # 40 epochs; curves into the temp folder
    python examples/digits.py --epochs 10 --out curves.png --seed 1

1,797 images of 64 pixels (no download: scikit-learn ships them), 80/20 stratified split,
a 64-128-64-10 ReLU MLP in float32 trained with Adam on mini-batches of 32 and softmax
cross-entropy. Deterministic for a given --seed. Needs the ``examples`` extra
(scikit-learn, matplotlib, tqdm): ``pip install -e '.[examples]'``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule import nn, optim

DEFAULT_OUT = Path(tempfile.gettempdir()) / "chainrule-example" / "digits_curves.png"
"""Where the curves go unless --out says otherwise: outside the source tree."""


def load_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test): pixels standardized with the training set's
    mean and spread, float32 (N, 64); labels int64 (N,)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.2, stratify=digits.target, random_state=seed)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0) + 1.0   # +1: some border pixels are always 0
    x_train = ((x_train - mean) / std).astype(np.float32)
    x_test = ((x_test - mean) / std).astype(np.float32)
    return x_train, y_train, x_test, y_test


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` on (x, y), without recording a graph."""
    model.eval()
    with cr.no_grad():
        logits = model(cr.tensor(x))
        loss = nn.cross_entropy(logits, y).item()
    model.train()
    return loss, float(np.mean(np.argmax(logits.data, axis=1) == y))


def train(epochs: int = 40, seed: int = 0, batch_size: int = 32, lr: float = 1e-3,
          progress: bool = True) -> dict[str, list[float]]:
    """Train and return the per-epoch history: train_loss, train_acc, test_loss,
    test_acc (lists of ``epochs`` floats)."""
    x_train, y_train, x_test, y_test = load_data(seed)
    rng = np.random.default_rng(seed)
    model = nn.MLP([64, 128, 64, 10], activation="relu", rng=rng, dtype=np.float32)
    opt = optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list[float]] = {k: [] for k in
                                       ("train_loss", "train_acc", "test_loss", "test_acc")}
    n = len(x_train)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        batches = range(0, n, batch_size)
        bar = _progress(batches, f"epoch {epoch:3d}/{epochs}") if progress else None
        for start in bar if bar is not None else batches:
            idx = order[start:start + batch_size]
            opt.zero_grad()
            loss = nn.cross_entropy(model(cr.tensor(x_train[idx])), y_train[idx])
            loss.backward()
            opt.step()
            if bar is not None:
                bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        for split, (x, y) in (("train", (x_train, y_train)), ("test", (x_test, y_test))):
            split_loss, split_acc = evaluate(model, x, y)
            history[f"{split}_loss"].append(split_loss)
            history[f"{split}_acc"].append(split_acc)
        if bar is not None:
            bar.write(f"epoch {epoch:3d}: train loss {history['train_loss'][-1]:.4f}, "
                      f"test loss {history['test_loss'][-1]:.4f}, "
                      f"test accuracy {history['test_acc'][-1]:.2%}")
    return history


def _progress(batches: range, desc: str):
    from tqdm import tqdm

    return tqdm(batches, desc=desc, unit="batch", leave=False)


def plot(history: dict[str, list[float]], path: Path) -> None:
    """Write the loss and accuracy curves to a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["train_loss"], label="train")
    ax_loss.plot(epochs, history["test_loss"], label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="Loss")
    ax_acc.plot(epochs, 100 * np.array(history["train_acc"]), label="train")
    ax_acc.plot(epochs, 100 * np.array(history["test_acc"]), label="test")
    ax_acc.axhline(97, color="gray", linestyle=":", label="97% target")
    best = 100 * history["test_acc"][-1]
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(80, 100.5),
               title=f"Accuracy (final test: {best:.1f}%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("chainrule.nn: 64-128-64-10 MLP on the 8x8 digits")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=40, help="passes over the training set")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where to write the PNG (default {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, init, order")
    args = parser.parse_args(argv)
    history = train(epochs=args.epochs, seed=args.seed)
    plot(history, args.out)
    epochs = "1 epoch" if args.epochs == 1 else f"{args.epochs} epochs"
    print(f"test accuracy {history['test_acc'][-1]:.2%} after {epochs}; "
          f"curves written to {args.out}")


if __name__ == "__main__":
    main()
