"""Convolution against PyTorch CPU, one thread, float32:

- ``conv2d``: forward + backward of Conv2d(3 -> 32, 3x3, padding 1) on a batch of 64
  32x32 images (loss: sum of outputs times a fixed random array);
- ``lenet5``: one training step of LeNet-5 (conv 6@5x5 pad 2, ReLU, max-pool 2, conv
  16@5x5, ReLU, max-pool 2, 120-84-10 with ReLU; cross-entropy; SGD lr 0.01) on a batch
  of 128 28x28 images.

Both engines start from the same weights; before timing, outputs and gradients are
checked to agree. Reported: ms per call (medians of interleaved rounds) and chainrule /
torch (target <= 2).
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks import harness


def _conv_problem(torch):
    import chainrule as cr
    from chainrule import nn

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


def _lenet_problem(torch):
    import chainrule as cr
    from chainrule import nn, optim

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


def main(quick: bool = False) -> dict[str, dict[str, dict[str, float]]]:
    harness.pin_threads()
    torch = harness.optional("torch")
    if torch is None:
        harness.skip_note("torch")
        return {}
    torch.set_num_threads(1)
    rounds = 5 if quick else 15
    results = {}
    summary = []
    for label, make in (("conv2d fwd+bwd, batch 64, 3->32, 32x32, 3x3", _conv_problem),
                        ("LeNet-5 training step, batch 128, 28x28", _lenet_problem)):
        ours, theirs = make(torch)
        a, b = ours(), theirs()        # same start: the first results agree
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-3, atol=2e-3)
        medians = harness.interleaved({"chainrule": ours, "torch": theirs}, rounds=rounds)
        harness.table(f"\n  {label} ({rounds} rounds, float32)", medians, "torch", unit="ms")
        results[label] = medians
        summary.append((label, medians["chainrule"]["total"] / medians["torch"]["total"]))
    print("\n  summary: chainrule / torch (target <= 2)")
    for label, ratio in summary:
        print(f"  {label:<46} {ratio:>6.2f} ({'met' if ratio <= 2 else 'MISSED'})")
    return results


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
