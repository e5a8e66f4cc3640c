"""Train a small CNN on scikit-learn's 8x8 digits, written as a PyTorch script would be.

    python examples/cnn_digits.py                 # 15 epochs, curves into the temp folder
    python examples/cnn_digits.py --epochs 5 --out /tmp/cnn.png --seed 1

Two 3x3 convolutions with batch norm and ReLU, 2x2 max-pooling, a linear classifier;
AdamW with a cosine schedule, mini-batches of 32 from a DataLoader, 80/20 stratified
split. Deterministic for a given --seed (``cr.manual_seed`` governs initialisation and
shuffling). Needs the ``examples`` extra (scikit-learn, matplotlib, tqdm).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader, TensorDataset

DEFAULT_OUT = Path(tempfile.gettempdir()) / "chainrule-example" / "cnn_digits_curves.png"


def load_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, x_test, y_train, y_test): images (N, 1, 8, 8) float32 scaled to [0, 1],
    labels int64."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.2, stratify=digits.target, random_state=seed)
    return x_train, x_test, y_train, y_test


class Net(nn.Module):
    def __init__(self):
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(512, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) on (x, y) in evaluation mode, without a graph."""
    model.eval()
    with cr.no_grad():
        logits = model(cr.tensor(x))
        loss = nn.CrossEntropyLoss()(logits, y).item()
        acc = (logits.argmax(1) == cr.tensor(y)).float().mean().item()
    model.train()
    return loss, acc


def train(epochs: int = 15, seed: int = 0, batch_size: int = 32, lr: float = 3e-3,
          progress: bool = True) -> dict[str, list[float]]:
    """Train and return the per-epoch history: train_loss, test_loss, test_acc."""
    x_train, x_test, y_train, y_test = load_data(seed)
    cr.manual_seed(seed)
    model = Net().to(cr.float32)
    opt = optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True)
    loss_fn = nn.CrossEntropyLoss()
    history: dict[str, list[float]] = {"train_loss": [], "test_loss": [], "test_acc": []}
    for epoch in range(1, epochs + 1):
        bar = _progress(loader, f"epoch {epoch:3d}/{epochs}") if progress else loader
        total = 0.0
        for xb, yb in bar:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
            if progress:
                bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        scheduler.step()
        history["train_loss"].append(total / len(x_train))
        test_loss, test_acc = evaluate(model, x_test, y_test)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        if progress:
            bar.write(f"epoch {epoch:3d}: train loss {history['train_loss'][-1]:.4f}, "
                      f"test loss {test_loss:.4f}, test accuracy {test_acc:.2%}")
    return history


def _progress(loader: DataLoader, desc: str):
    from tqdm import tqdm

    return tqdm(loader, desc=desc, unit="batch", leave=False)


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
    ax_acc.plot(epochs, 100 * np.array(history["test_acc"]), label="test")
    ax_acc.axhline(98.5, color="gray", linestyle=":", label="98.5% target")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(90, 100.5),
               title=f"Test accuracy (final: {100 * history['test_acc'][-1]:.1f}%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("chainrule.nn: a small CNN (conv-bn-relu x2, max-pool) on the 8x8 digits")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=15, help="passes over the training set")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where to write the PNG (default {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, init, order")
    args = parser.parse_args(argv)
    history = train(epochs=args.epochs, seed=args.seed)
    plot(history, args.out)
    print(f"test accuracy {history['test_acc'][-1]:.2%} after {args.epochs} epochs; "
          f"curves written to {args.out}")


if __name__ == "__main__":
    main()
