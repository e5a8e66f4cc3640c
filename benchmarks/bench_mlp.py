"""One training step of a 784-512-256-10 ReLU MLP: forward, softmax cross-entropy,
backward, SGD update (lr 0.01), at batch 128 and 1024, in float32 and float64.

Every engine starts from the same weights (chainrule's Kaiming init, seed 0) and data
(standard normal inputs, uniform labels); before anything is timed, one step of each is
checked against the hand-written numpy step: same loss, same updated weights. Rows:

- ``hand numpy``: the floor, forward and backward written out by hand
  (dz3 = (softmax - onehot) / N, dW = h.T @ dz, db = sum(dz), dh = dz @ W.T,
  dz = dh * (z > 0)), then ``W -= lr * dW``;
- ``chainrule``: ``nn.MLP`` + ``nn.cross_entropy`` + ``loss.backward()`` + ``optim.SGD``;
- ``torch``: the same formula on CPU tensors (``x @ W + b``, ``torch.relu``,
  ``F.cross_entropy``), update under ``no_grad``;
- ``autograd``: ``autograd.value_and_grad`` of the same loss, update on the arrays.

With ``CHAINRULE_BENCH_BASELINE`` set to another checkout's ``src`` folder, that
checkout's chainrule runs too (row ``chainrule (baseline)``), interleaved in the same
rounds (see ``benchmarks/baseline.py``). All run on one BLAS thread. Reported:
milliseconds per step (medians over interleaved rounds), chainrule / hand numpy and
chainrule / torch.
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks import baseline, harness

SIZES = (784, 512, 256, 10)
LR = 0.01


def make_problem(batch: int, dtype: type) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """(initial parameters [W1, b1, W2, b2, W3, b3], x (batch, 784), labels (batch,))."""
    from chainrule import nn

    model = nn.MLP(SIZES, rng=0, dtype=dtype)
    # the hand-written formulas use x @ W + b: weights in (in, out), nn.Linear's transposed
    params = [p.data.T.copy() for p in model.parameters()]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((batch, SIZES[0])).astype(dtype)
    labels = rng.integers(0, SIZES[-1], size=batch)
    return params, x, labels


def hand_numpy(params0, x, labels):
    W1, b1, W2, b2, W3, b3 = params = [p.copy() for p in params0]
    n = len(labels)
    rows = np.arange(n)
    out = {}

    def run():
        z1 = x @ W1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)
        z3 = h2 @ W3 + b3
        shifted = z3 - z3.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        out["loss"] = np.mean(np.log(total[:, 0]) - shifted[rows, labels])
        dz3 = e / total
        dz3[rows, labels] -= 1
        dz3 /= n
        dW3, db3 = h2.T @ dz3, dz3.sum(axis=0)
        dz2 = (dz3 @ W3.T) * (z2 > 0)
        dW2, db2 = h1.T @ dz2, dz2.sum(axis=0)
        dz1 = (dz2 @ W2.T) * (z1 > 0)
        dW1, db1 = x.T @ dz1, dz1.sum(axis=0)
        for p, g in zip(params, (dW1, db1, dW2, db2, dW3, db3)):
            p -= LR * g

    return run, out, lambda: params


def chainrule_engine(params0, x, labels, cr=None):
    """``cr``: the chainrule package to run (the baseline's, or by default this one)."""
    if cr is None:
        import chainrule as cr
    nn, optim = baseline.submodule(cr, "nn"), baseline.submodule(cr, "optim")

    model = nn.MLP(SIZES, rng=0, dtype=x.dtype)
    model.load_state_dict(dict(zip([n for n, _ in model.named_parameters()],
                                   [p.T for p in params0])))
    opt = optim.SGD(model.parameters(), lr=LR)
    xt = cr.tensor(x)
    out = {}

    def run():
        opt.zero_grad()
        loss = nn.cross_entropy(model(xt), labels)
        loss.backward()
        opt.step()
        out["loss"] = loss.data

    return run, out, lambda: [p.data.T for p in model.parameters()]


def torch_engine(torch, params0, x, labels):
    params = [torch.tensor(p.copy(), requires_grad=True) for p in params0]
    W1, b1, W2, b2, W3, b3 = params
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)
    relu, cross_entropy = torch.relu, torch.nn.functional.cross_entropy
    out = {}

    def run():
        for p in params:
            p.grad = None
        h1 = relu(xt @ W1 + b1)
        h2 = relu(h1 @ W2 + b2)
        loss = cross_entropy(h2 @ W3 + b3, yt)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        out["loss"] = loss.detach()

    return run, out, lambda: [p.detach().numpy() for p in params]


def autograd_engine(autograd, params0, x, labels):
    anp = autograd.numpy
    params = [p.copy() for p in params0]
    rows = np.arange(len(labels))

    def loss_fn(ps):
        W1, b1, W2, b2, W3, b3 = ps
        h1 = anp.maximum(anp.dot(x, W1) + b1, 0)
        h2 = anp.maximum(anp.dot(h1, W2) + b2, 0)
        z3 = anp.dot(h2, W3) + b3
        shifted = z3 - anp.max(z3, axis=1, keepdims=True)
        return anp.mean(anp.log(anp.sum(anp.exp(shifted), axis=1)) - shifted[rows, labels])

    value_and_grad = autograd.value_and_grad(loss_fn)
    out = {}

    def run():
        out["loss"], grads = value_and_grad(params)
        for p, g in zip(params, grads):
            p -= LR * g

    return run, out, lambda: params


def build(batch: int, dtype: type) -> dict[str, tuple]:
    params0, x, labels = make_problem(batch, dtype)
    engines = {"hand numpy": hand_numpy(params0, x, labels),
               "chainrule": chainrule_engine(params0, x, labels)}
    base = baseline.load()
    if base is not None:
        engines[baseline.NAME] = chainrule_engine(params0, x, labels, base)
    torch = harness.optional("torch")
    if torch is not None:
        engines["torch"] = torch_engine(torch, params0, x, labels)
    autograd = harness.optional("autograd")
    if autograd is not None:
        engines["autograd"] = autograd_engine(autograd, params0, x, labels)
    return engines


def check(engines: dict[str, tuple], dtype: type) -> None:
    """One step of every engine from the same start: losses and updated weights agree."""
    rtol, atol = (2e-4, 2e-6) if dtype == np.float32 else (1e-10, 1e-12)
    for run, _, _ in engines.values():
        run()
    harness.check_agree({name: [out["loss"]] for name, (_, out, _) in engines.items()},
                        "hand numpy", rtol=rtol, atol=atol, what="loss")
    harness.check_agree({name: list(params()) for name, (_, _, params) in engines.items()},
                        "hand numpy", rtol=rtol, atol=atol, what="updated weights")
    for name, (_, _, params) in engines.items():
        got = {np.asarray(harness._plain(p)).dtype for p in params()}
        if got != {np.dtype(dtype)}:
            raise AssertionError(f"{name}: weights have dtypes {got} after a step, "
                                 f"expected {np.dtype(dtype)}")


def main(quick: bool = False) -> dict[str, dict[str, dict[str, float]]]:
    rounds = {128: 5, 1024: 3} if quick else {128: 21, 1024: 9}
    harness.pin_threads()
    for name in ("torch", "autograd"):
        if harness.optional(name) is None:
            harness.skip_note(name)
    print(f"training step of a {'-'.join(map(str, SIZES))} ReLU MLP (forward, softmax "
          f"cross-entropy, backward, SGD lr={LR}); ms per step, medians of interleaved "
          "rounds")
    results: dict[str, dict[str, dict[str, float]]] = {}
    summary = []
    for dtype in (np.float32, np.float64):
        for batch in (128, 1024):
            engines = build(batch, dtype)
            harness.pin_threads()
            check(engines, dtype)
            medians = harness.interleaved({n: e[0] for n, e in engines.items()},
                                          rounds=rounds[batch], collect=False)
            label = f"{np.dtype(dtype).name}, batch {batch}"
            harness.table(f"\n  {label} ({rounds[batch]} rounds; loss and updated weights "
                          "agree with hand numpy)", medians, "hand numpy", unit="ms")
            results[label] = medians
            cr_ms = medians["chainrule"]["total"]
            row = [label, cr_ms / medians["hand numpy"]["total"]]
            row.append(cr_ms / medians["torch"]["total"] if "torch" in medians else None)
            if baseline.NAME in medians:
                row.append(medians[baseline.NAME]["total"] / medians["hand numpy"]["total"])
            summary.append(row)
    # hand numpy's speed / chainrule's >= 0.97, i.e. chainrule's time <= 1/0.97 of hand numpy's
    print("\n  summary: chainrule / hand numpy (target <= 1.031), chainrule / torch"
          + (", baseline / hand numpy" if baseline.load() is not None else ""))
    for label, vs_numpy, vs_torch, *base_row in summary:
        torch_cell = f"{vs_torch:.3f}" if vs_torch is not None else "-"
        ok = "met" if vs_numpy <= 1 / 0.97 else "MISSED"
        base_cell = f"   {base_row[0]:>7.3f}" if base_row else ""
        print(f"  {label:<20} {vs_numpy:>7.3f} ({ok})   {torch_cell:>7}{base_cell}")
    return results


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
