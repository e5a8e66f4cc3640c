"""One training epoch of a 64-128-64-10 ReLU MLP on scikit-learn's 8x8 digits: batch 32,
softmax cross-entropy, Adam (lr 1e-3), float32.

The 1797 images (pixels / 16) are shuffled once (seed 0) and cut into 56 batches of 32
(the last 5 images are left out so that every batch has one shape). Every engine starts
from the same weights (He-normal, seed 0) and sees the same batches in the same order;
before anything is timed, one epoch of each is checked against the hand-written one
(the same mean loss over the epoch). Rows:

- ``hand numpy``: the floor, forward and backward written out by hand, then Adam in numpy;
- ``chainrule compiled``: ``cr.compile(cr.value_and_grad(loss))`` on a dict of parameters
  (``relu(x @ W + b)`` twice, then ``nn.cross_entropy``), then the same numpy Adam;
- ``chainrule cr.value_and_grad``: the same step eagerly;
- ``chainrule nn``: ``nn.MLP`` + ``nn.cross_entropy`` + ``loss.backward()`` +
  ``optim.Adam``, as a training script is usually written;
- ``chainrule compiled (baseline)``: the compiled row on the chainrule of another
  checkout, with ``CHAINRULE_BENCH_BASELINE`` set to its ``src`` folder;
- ``torch``: ``nn.Linear`` layers + ``F.cross_entropy`` + ``torch.optim.Adam``;
- ``jax jit``: the whole step (loss, gradient and Adam) under ``jax.jit``.

Reported: milliseconds per epoch (medians over interleaved rounds) and the ratio to hand
numpy.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from benchmarks import baseline, harness

SIZES = (64, 128, 64, 10)
BATCH = 32
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8
NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def load() -> tuple[list[np.ndarray], list[np.ndarray]] | None:
    """The epoch's batches: (xs, ys), 56 batches of (32, 64) float32 images and (32,)
    int64 labels; None without scikit-learn."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(y))
    n = len(y) // BATCH * BATCH
    xs = [x[order[i:i + BATCH]] for i in range(0, n, BATCH)]
    ys = [y[order[i:i + BATCH]] for i in range(0, n, BATCH)]
    return xs, ys


def init_params() -> dict[str, np.ndarray]:
    """He-normal weights (in, out) and zero biases, float32, seed 0."""
    rng = np.random.default_rng(0)
    params = {}
    for k, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        params[f"W{k}"] = (rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(np.float32)
        params[f"b{k}"] = np.zeros(b, dtype=np.float32)
    return params


def numpy_adam(params: dict[str, np.ndarray]):
    """Adam in place on a dict of float32 arrays (as torch.optim.Adam computes it)."""
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v2 = {k: np.zeros_like(v) for k, v in params.items()}
    step = [0]

    def update(grads: dict[str, np.ndarray]) -> None:
        step[0] += 1
        t = step[0]
        scale = LR / (1 - B1 ** t)
        root = np.sqrt(1 - B2 ** t)
        for k, g in grads.items():
            mk, vk = m[k], v2[k]
            mk *= B1
            mk += (1 - B1) * g
            vk *= B2
            vk += (1 - B2) * (g * g)
            params[k] -= scale * mk / (np.sqrt(vk) / root + EPS)

    return update


def hand_numpy(data):
    xs, ys = data
    params = init_params()
    adam = numpy_adam(params)
    rows = np.arange(BATCH)

    def epoch():
        total = 0.0
        p = params
        for x, y in zip(xs, ys):
            z1 = x @ p["W1"] + p["b1"]
            h1 = np.maximum(z1, 0)
            z2 = h1 @ p["W2"] + p["b2"]
            h2 = np.maximum(z2, 0)
            z3 = h2 @ p["W3"] + p["b3"]
            shifted = z3 - z3.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            total_e = e.sum(axis=1, keepdims=True)
            total += float(np.mean(np.log(total_e[:, 0]) - shifted[rows, y]))
            dz3 = e / total_e
            dz3[rows, y] -= 1
            dz3 /= BATCH
            dz2 = (dz3 @ p["W3"].T) * (z2 > 0)
            dz1 = (dz2 @ p["W2"].T) * (z1 > 0)
            adam({"W1": x.T @ dz1, "b1": dz1.sum(axis=0), "W2": h1.T @ dz2,
                  "b2": dz2.sum(axis=0), "W3": h2.T @ dz3, "b3": dz3.sum(axis=0)})
        return total / len(xs)

    return epoch


def _loss(cr):
    nn = baseline.submodule(cr, "nn")

    def loss(p, x, y):
        h1 = cr.relu(x @ p["W1"] + p["b1"])
        h2 = cr.relu(h1 @ p["W2"] + p["b2"])
        return nn.cross_entropy(h2 @ p["W3"] + p["b3"], y)

    return loss


def chainrule_functional(data, compiled: bool, cr: Any = None):
    if cr is None:
        import chainrule as cr

    xs, ys = data
    params = init_params()
    adam = numpy_adam(params)
    step = cr.value_and_grad(_loss(cr))
    if compiled:
        step = cr.compile(step)

    def epoch():
        total = 0.0
        for x, y in zip(xs, ys):
            value, grads = step(params, x, y)
            total += value
            adam(grads)
        return total / len(xs)

    return epoch


def chainrule_nn(data):
    import chainrule as cr
    from chainrule import nn, optim

    xs, ys = data
    model = nn.MLP(SIZES, dtype=np.float32)
    p = init_params()
    model.load_state_dict({name: p[key].T if key[0] == "W" else p[key]
                           for name, key in zip([n for n, _ in model.named_parameters()],
                                                NAMES)})
    opt = optim.Adam(model.parameters(), lr=LR, betas=(B1, B2), eps=EPS)
    txs = [cr.tensor(x) for x in xs]

    def epoch():
        total = 0.0
        for x, y in zip(txs, ys):
            opt.zero_grad()
            loss = nn.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item()
        return total / len(xs)

    return epoch


def torch_engine(torch, data):
    xs, ys = data
    p = init_params()
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 10))
    with torch.no_grad():
        for layer, k in zip((model[0], model[2], model[4]), (1, 2, 3)):
            layer.weight.copy_(torch.from_numpy(p[f"W{k}"].T.copy()))
            layer.bias.copy_(torch.from_numpy(p[f"b{k}"]))
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(B1, B2), eps=EPS)
    txs = [torch.from_numpy(x) for x in xs]
    tys = [torch.from_numpy(y) for y in ys]
    cross_entropy = torch.nn.functional.cross_entropy

    def epoch():
        total = 0.0
        for x, y in zip(txs, tys):
            opt.zero_grad()
            loss = cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item()
        return total / len(xs)

    return epoch


def jax_engine(jax, data):
    jnp = jax.numpy
    xs, ys = data
    params = {k: jnp.asarray(v) for k, v in init_params().items()}
    state = {"m": {k: jnp.zeros_like(v) for k, v in params.items()},
             "v": {k: jnp.zeros_like(v) for k, v in params.items()},
             "t": jnp.zeros((), jnp.float32)}
    rows = jnp.arange(BATCH)

    def loss(p, x, y):
        h1 = jax.nn.relu(x @ p["W1"] + p["b1"])
        h2 = jax.nn.relu(h1 @ p["W2"] + p["b2"])
        logp = jax.nn.log_softmax(h2 @ p["W3"] + p["b3"], axis=1)
        return -jnp.mean(logp[rows, y])

    @jax.jit
    def step(p, s, x, y):
        value, g = jax.value_and_grad(loss)(p, x, y)
        t = s["t"] + 1
        m = {k: B1 * s["m"][k] + (1 - B1) * g[k] for k in p}
        v = {k: B2 * s["v"][k] + (1 - B2) * g[k] * g[k] for k in p}
        scale = LR / (1 - B1 ** t)
        root = jnp.sqrt(1 - B2 ** t)
        p = {k: p[k] - scale * m[k] / (jnp.sqrt(v[k]) / root + EPS) for k in p}
        return p, {"m": m, "v": v, "t": t}, value

    jxs = [jnp.asarray(x) for x in xs]
    jys = [jnp.asarray(y) for y in ys]
    box = {"p": params, "s": state}

    def epoch():
        total = 0.0
        p, s = box["p"], box["s"]
        for x, y in zip(jxs, jys):
            p, s, value = step(p, s, x, y)
            total += float(value)
        box["p"], box["s"] = p, s
        return total / len(xs)

    return epoch


def main(quick: bool = False) -> dict[str, dict[str, float]] | None:
    data = load()
    if data is None:
        harness.skip_note("scikit-learn (the digits data)")
        return None
    rounds = 3 if quick else 9
    engines = {"hand numpy": hand_numpy(data),
               "chainrule compiled": chainrule_functional(data, compiled=True),
               "chainrule cr.value_and_grad": chainrule_functional(data, compiled=False),
               "chainrule nn": chainrule_nn(data)}
    base = baseline.load()
    if base is not None:
        engines["chainrule compiled (baseline)"] = chainrule_functional(data, True, base)
    torch = harness.optional("torch")
    if torch is not None:
        harness.pin_threads()
        engines["torch"] = torch_engine(torch, data)
    else:
        harness.skip_note("torch")
    jax = harness.optional("jax")
    if jax is not None:
        engines["jax jit"] = jax_engine(jax, data)
    else:
        harness.skip_note("jax")
    print(f"digits {SIZES} MLP, ReLU, cross-entropy, Adam, batch {BATCH}, float32: one epoch "
          f"= {len(data[0])} steps; {rounds} interleaved rounds")
    first = {name: epoch() for name, epoch in engines.items()}
    for name, value in first.items():
        if not np.isclose(value, first["hand numpy"], rtol=1e-4):
            raise AssertionError(f"{name}: mean loss of the first epoch {value!r}, hand "
                                 f"numpy's {first['hand numpy']!r}")
    print(f"  first epoch's mean loss agrees with hand numpy's ({first['hand numpy']:.6f}) "
          "for every engine")
    medians = harness.interleaved(engines, rounds=rounds, collect=False)
    harness.table("  ms per epoch (medians)", medians, "hand numpy", unit="ms")
    ratio = medians["chainrule compiled"]["total"] / medians["hand numpy"]["total"]
    harness.verdict("digits epoch compiled / hand numpy", ratio, 1.1, "x")
    if base is not None:
        before = medians["chainrule compiled (baseline)"]["total"] / medians["hand numpy"]["total"]
        print(f"  baseline: compiled {before:.3g}x hand numpy")
    eager = medians["chainrule nn"]["total"] / medians["hand numpy"]["total"]
    harness.verdict("digits epoch eager (nn) / hand numpy", eager, 1.3, "x")
    return medians


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
