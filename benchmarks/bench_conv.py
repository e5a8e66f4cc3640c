"""Convolution against PyTorch CPU, one thread, float32:

- ``conv2d``: forward + backward of Conv2d(3 -> 32, 3x3, padding 1) on a batch of 64
  32x32 images (loss: sum of outputs times a fixed random array);
- ``lenet5``: one training step of LeNet-5 (conv 6@5x5 pad 2, ReLU, max-pool 2, conv
  16@5x5, ReLU, max-pool 2, 120-84-10 with ReLU; cross-entropy; SGD lr 0.01) on a batch
  of 128 28x28 images.

Both engines start from the same weights; before timing, outputs and gradients are
checked to agree. Reported: ms per call (medians of interleaved rounds, and the spread:
the quartiles of the rounds) and chainrule / torch (target <= 2).

With ``CHAINRULE_BENCH_BASELINE`` set to another checkout's ``src`` folder, that checkout's
chainrule runs too ("chainrule (baseline)"), interleaved with the others: a before/after
comparison in one run.
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks import baseline, harness


def _conv_problem(torch, cr):
    nn = baseline.submodule(cr, "nn")
    cr.manual_seed(0)
    layer = nn.Conv2d(3, 32, 3, padding=1, dtype=np.float32)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3, 32, 32)).astype(np.float32)
    w = rng.standard_normal((64, 32, 32, 32)).astype(np.float32)
    tlayer = torch.nn.Conv2d(3, 32, 3, padding=1)
    tlayer.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    cx, tx, tw = cr.tensor(x), torch.tensor(x), torch.tensor(w)

    def ours():
        layer.zero_grad()
        (layer(cx) * w).sum().backward()
        return layer.weight.grad

    def theirs():
        tlayer.zero_grad()
        (tlayer(tx) * tw).sum().backward()
        return tlayer.weight.grad.numpy()

    return ours, theirs


def _lenet(nn):
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def _lenet_problem(torch, cr):
    nn, optim = baseline.submodule(cr, "nn"), baseline.submodule(cr, "optim")
    cr.manual_seed(0)
    net = _lenet(nn).to(np.float32)
    tnet = _lenet(torch.nn)
    tnet.load_state_dict({k: torch.tensor(v) for k, v in net.state_dict().items()})
    rng = np.random.default_rng(2)
    x = rng.standard_normal((128, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    opt = optim.SGD(net.parameters(), lr=0.01)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.01)
    cx, tx, ty = cr.tensor(x), torch.tensor(x), torch.tensor(y)
    loss_fn, tloss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()

    def ours():
        opt.zero_grad()
        loss = loss_fn(net(cx), y)
        loss.backward()
        opt.step()
        return loss.item()

    def theirs():
        topt.zero_grad()
        loss = tloss_fn(tnet(tx), ty)
        loss.backward()
        topt.step()
        return loss.item()

    return ours, theirs


def _timed(fn, log):
    """``fn``, logging the wall time of each call (for the spread)."""
    def run():
        t0 = harness.clock()
        out = fn()
        log.append(harness.clock() - t0)
        return out
    return run


def main(quick: bool = False) -> dict[str, dict[str, dict[str, float]]]:
    harness.pin_threads()
    torch = harness.optional("torch")
    if torch is None:
        harness.skip_note("torch")
        return {}
    torch.set_num_threads(1)
    import chainrule

    base = baseline.load()
    rounds = 5 if quick else 15
    results = {}
    summary = []
    for label, make in (("conv2d fwd+bwd, batch 64, 3->32, 32x32, 3x3", _conv_problem),
                        ("LeNet-5 training step, batch 128, 28x28", _lenet_problem)):
        ours, theirs = make(torch, chainrule)
        engines = {"chainrule": ours}
        if base is not None:
            engines[baseline.NAME] = make(torch, base)[0]
        engines["torch"] = theirs
        first = {name: np.asarray(fn()) for name, fn in engines.items()}
        for name, got in first.items():    # same start: the first results agree
            np.testing.assert_allclose(got, first["torch"], rtol=2e-3, atol=2e-3,
                                       err_msg=f"{label}: {name} disagrees with torch")
        logs: dict[str, list[float]] = {name: [] for name in engines}
        medians = harness.interleaved({name: _timed(fn, logs[name])
                                       for name, fn in engines.items()}, rounds=rounds)
        harness.table(f"\n  {label} ({rounds} rounds, float32)", medians, "torch", unit="ms")
        print("  spread (quartiles of the rounds, ms): " + "; ".join(
            f"{name} {1e3 * np.percentile(t[1:], 25):.2f}-{1e3 * np.percentile(t[1:], 75):.2f}"
            for name, t in logs.items()))
        results[label] = medians
        summary.append((label, {name: medians[name]["total"] / medians["torch"]["total"]
                                for name in engines if name != "torch"}))
    print("\n  summary: chainrule / torch (target <= 2)")
    for label, ratios in summary:
        line = ", ".join(f"{name} {r:.2f}" for name, r in ratios.items())
        verdict = "met" if ratios["chainrule"] <= 2 else "MISSED"
        print(f"  {label:<46} {line} ({verdict})")
    return results


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
