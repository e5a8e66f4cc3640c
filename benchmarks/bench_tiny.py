"""Tiny tensors: the homework's Problem-2 function, forward + backward per call.

    f(W, x) = ||sigmoid(W x)||^2 = sum(sigmoid(W @ x) ** 2),   W: (3, 3), x: (3,)

at the homework's point W = I, x = [1, 2, 3] (f = 2.2176476050544203), gradients with
respect to both W and x. This measures per-op overhead, not arithmetic: the floor is the
same forward and backward written by hand in numpy.

Leaves are created once and their gradients reset each call (``grad = None``), as in a
training loop. Rows:

- ``chainrule``: ``(cr.sigmoid(W @ x) ** 2).sum().backward()`` on Tensors;
- ``chainrule numpy line``: the homework's own line
  ``np.linalg.norm(1 / (np.exp(-np.dot(W, x)) + 1), ord=2) ** 2`` on Tensors;
- ``chainrule cr.grad``: the functional API on plain arrays;
- ``chainrule compiled``: ``cr.compile(cr.value_and_grad(...))``, traced once and
  replayed as straight-line numpy code;
- ``jax jit``: ``jax.jit(jax.value_and_grad(...))`` in float64 on the CPU, the arrays
  already on the device (where jax is installed);
- ``chainrule (baseline)``, ``chainrule compiled (baseline)``: the first and the compiled
  rows on the chainrule of another checkout, with ``CHAINRULE_BENCH_BASELINE`` set to its
  ``src`` folder (a before/after comparison in one run);
- peers: torch (``torch.sigmoid``), mygrad (``mygrad.nnet.activations.sigmoid``),
  autograd (``autograd.scipy.special.expit`` where scipy is installed, else the composed
  ``1 / (1 + exp(-z))``: autograd.numpy has no sigmoid).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from benchmarks import baseline, harness

W0 = np.eye(3)
X0 = np.array([1.0, 2.0, 3.0])
F_HOMEWORK = 2.2176476050544203


def hand_numpy():
    """Forward and backward by hand: z = Wx, s = sigmoid(z), f = s.s;
    df/dz = 2 s * s (1 - s), df/dW = outer(df/dz, x), df/dx = W^T df/dz."""
    W, x = W0.copy(), X0.copy()
    exp, outer = np.exp, np.outer
    out = {}

    def run():
        z = W @ x
        s = 1.0 / (1.0 + exp(-z))
        out["f"] = s @ s
        gz = 2.0 * s * s * (1.0 - s)
        out["grads"] = [outer(gz, x), W.T @ gz]

    return run, out


def chainrule_tensor(cr: Any = None):
    if cr is None:
        import chainrule as cr

    W = cr.tensor(W0, requires_grad=True)
    x = cr.tensor(X0, requires_grad=True)
    sigmoid = cr.sigmoid
    out = {}

    def run():
        W.grad = None
        x.grad = None
        f = (sigmoid(W @ x) ** 2).sum()
        f.backward()
        out["f"] = f.item()
        out["grads"] = [W.grad, x.grad]

    return run, out


def chainrule_numpy_line(cr: Any = None):
    if cr is None:
        import chainrule as cr

    W = cr.tensor(W0, requires_grad=True)
    x = cr.tensor(X0, requires_grad=True)
    out = {}

    def run():
        W.grad = None
        x.grad = None
        f = np.linalg.norm(1 / (np.exp(-np.dot(W, x)) + 1), ord=2) ** 2
        f.backward()
        out["f"] = f.item()
        out["grads"] = [W.grad, x.grad]

    return run, out


def chainrule_functional(cr: Any = None):
    if cr is None:
        import chainrule as cr

    vg = cr.value_and_grad(lambda W, x: (cr.sigmoid(W @ x) ** 2).sum(), argnums=(0, 1))
    out = {}

    def run():
        out["f"], grads = vg(W0, X0)
        out["grads"] = list(grads)

    return run, out


def chainrule_compiled(cr: Any = None):
    if cr is None:
        import chainrule as cr

    vg = cr.compile(cr.value_and_grad(lambda W, x: (cr.sigmoid(W @ x) ** 2).sum(),
                                      argnums=(0, 1)))
    out = {}

    def run():
        out["f"], grads = vg(W0, X0)
        out["grads"] = list(grads)

    return run, out


def jax_engine(jax):
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    vg = jax.jit(jax.value_and_grad(lambda W, x: jnp.sum(jax.nn.sigmoid(W @ x) ** 2),
                                    argnums=(0, 1)))
    W, x = jnp.asarray(W0), jnp.asarray(X0)
    block = jax.block_until_ready
    out = {}

    def run():
        f, grads = block(vg(W, x))
        out["f"] = f
        out["grads"] = list(grads)

    return run, out


def torch_engine(torch):
    W = torch.tensor(W0, requires_grad=True)
    x = torch.tensor(X0, requires_grad=True)
    sigmoid = torch.sigmoid
    out = {}

    def run():
        W.grad = None
        x.grad = None
        f = (sigmoid(W @ x) ** 2).sum()
        f.backward()
        out["f"] = f.item()
        out["grads"] = [W.grad, x.grad]

    return run, out


def mygrad_engine(mg):
    from mygrad.nnet.activations import sigmoid

    W = mg.tensor(W0)
    x = mg.tensor(X0)
    out = {}

    def run():
        f = (sigmoid(mg.matmul(W, x)) ** 2).sum()
        f.backward()
        out["f"] = f.item()
        out["grads"] = [W.grad, x.grad]

    return run, out


def autograd_engine(autograd):
    anp = autograd.numpy
    try:
        from autograd.scipy.special import expit as sigmoid
        how = "expit"
    except ImportError:
        def sigmoid(z):
            return 1 / (1 + anp.exp(-z))
        how = "1/(1+exp(-z))"

    vg = autograd.value_and_grad(lambda W, x: anp.sum(sigmoid(anp.dot(W, x)) ** 2),
                                 argnum=(0, 1))
    out = {}

    def run():
        out["f"], grads = vg(W0, X0)
        out["grads"] = list(grads)

    return run, out, how


def main(quick: bool = False) -> dict[str, dict[str, float]]:
    rounds, repeat = (3, 100) if quick else (9, 400)
    engines = {"chainrule": chainrule_tensor(), "chainrule numpy line": chainrule_numpy_line(),
               "chainrule cr.grad": chainrule_functional(),
               "chainrule compiled": chainrule_compiled(), "hand numpy": hand_numpy()}
    base = baseline.load()
    if base is not None:
        engines[baseline.NAME] = chainrule_tensor(base)
        engines["chainrule compiled (baseline)"] = chainrule_compiled(base)
    torch = harness.optional("torch")
    if torch is not None:
        harness.pin_threads()
        engines["torch"] = torch_engine(torch)
    else:
        harness.skip_note("torch")
    mg = harness.optional("mygrad")
    if mg is not None:
        engines["mygrad"] = mygrad_engine(mg)
    else:
        harness.skip_note("mygrad")
    autograd = harness.optional("autograd")
    how = ""
    if autograd is not None:
        run, out, how = autograd_engine(autograd)
        engines["autograd"] = (run, out)
    else:
        harness.skip_note("autograd")
    jax = harness.optional("jax")
    if jax is not None:
        engines["jax jit"] = jax_engine(jax)
    else:
        harness.skip_note("jax")
    print(f"f = ||sigmoid(W x)||^2, W = I (3x3), x = [1, 2, 3]; grads wrt W and x; "
          f"{rounds} interleaved rounds x {repeat} calls"
          + (f"; autograd sigmoid = {how}" if how else ""))

    for name, (run, out) in engines.items():
        run()
        if not np.isclose(out["f"], F_HOMEWORK, rtol=1e-12, atol=0):
            raise AssertionError(f"{name}: f = {out['f']!r}, the homework's value is "
                                 f"{F_HOMEWORK!r}")
    harness.check_agree({name: out["grads"] for name, (_, out) in engines.items()},
                        "hand numpy", rtol=1e-10, atol=1e-12)
    print(f"  values agree with the homework's f = {F_HOMEWORK}; gradients agree with the "
          "hand-written backward pass")

    medians = harness.interleaved({name: run for name, (run, _) in engines.items()},
                                  rounds=rounds, repeat=repeat, collect=False)
    harness.table("  us per call, forward + backward (medians)", medians, "chainrule",
                  unit="us")
    hand = medians["hand numpy"]["total"]
    harness.verdict("tiny eager / hand numpy", medians["chainrule"]["total"] / hand, 2.0, "x")
    ratio = medians["chainrule compiled"]["total"] / hand
    harness.verdict("tiny compiled / hand numpy", ratio, 1.2, "x")
    if base is not None:
        print(f"  baseline: eager {medians[baseline.NAME]['total'] / hand:.3g}x, "
              f"compiled {medians['chainrule compiled (baseline)']['total'] / hand:.3g}x "
              "hand numpy")
    return medians


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
