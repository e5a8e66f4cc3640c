"""Hessian of ``f(x) = sum(tanh(A @ x) ** 2)``, x of size 100, A of shape (100, 100).

Every engine's Hessian is checked against the closed form before timing:
with z = A x and t = tanh(z), grad f = A^T (2 t (1 - t^2)) and

    H = A^T diag((2 - 6 t^2)(1 - t^2)) A.

Rows: chainrule ``cr.hessian`` (reverse-over-reverse), autograd's ``hessian``,
``torch.func.hessian`` (forward-over-reverse) and ``torch.autograd.functional.hessian``.
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks import harness

N = 100


def problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(N, N)) / np.sqrt(N), rng.normal(size=N)


def closed_form(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    t = np.tanh(A @ x)
    return A.T @ (((2 - 6 * t * t) * (1 - t * t))[:, None] * A)


def main(quick: bool = False) -> dict[str, dict[str, float]]:
    import chainrule as cr

    rounds, repeat = (3, 5) if quick else (9, 20)
    A, x = problem()
    engines = {"chainrule": lambda: cr.hessian(lambda v: cr.sum(cr.tanh(A @ v) ** 2))(x)}
    autograd = harness.optional("autograd")
    if autograd is not None:
        anp = autograd.numpy
        engines["autograd"] = lambda: autograd.hessian(
            lambda v: anp.sum(anp.tanh(anp.dot(A, v)) ** 2))(x)
    else:
        harness.skip_note("autograd")
    torch = harness.optional("torch")
    if torch is not None:
        harness.pin_threads()
        import torch.func

        At, xt = torch.from_numpy(A), torch.from_numpy(x)

        def ft(v):
            return (torch.tanh(At @ v) ** 2).sum()

        engines["torch.func"] = lambda: torch.func.hessian(ft)(xt)
        engines["torch.autograd.functional"] = (
            lambda: torch.autograd.functional.hessian(ft, xt))
    else:
        harness.skip_note("torch")
    print(f"Hessian of sum(tanh(A @ x)**2), x of size {N}; {rounds} interleaved rounds x "
          f"{repeat} calls")

    results = {"closed form": closed_form(A, x)}
    results.update({name: fn() for name, fn in engines.items()})
    harness.check_agree(results, "closed form", rtol=1e-9, atol=1e-12, what="Hessian")
    print("  every Hessian agrees with the closed form A^T diag((2 - 6t^2)(1 - t^2)) A")

    medians = harness.interleaved(engines, rounds=rounds, repeat=repeat, collect=False)
    harness.table("  ms per Hessian (medians)", medians, "chainrule", unit="ms")
    harness.verdict("hessian", medians["chainrule"]["total"] * 1e3, 2.0, "ms")
    return medians


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
