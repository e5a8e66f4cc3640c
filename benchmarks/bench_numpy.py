"""numpy's own functions differentiated: forward + backward of a batched ``einsum``
contraction, ``linalg.solve`` and ``linalg.svd`` of a 100 x 100 matrix and a real FFT of
2^16 points (a weighted power spectrum, complex in the middle), against torch and HIPS
autograd (whichever are installed), interleaved, one BLAS thread.

Every engine's gradient is checked against chainrule's before timing (and chainrule's
against central differences of numpy in the test suite). Target: chainrule at most 1.2x
the faster of the two peers.
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks import harness


def problems() -> dict[str, tuple]:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(16, 64, 64)), rng.normal(size=(16, 64, 64))
    u = rng.normal(size=(16, 64, 64))
    m = rng.normal(size=(100, 100)) + 10 * np.eye(100)
    v = rng.normal(size=100)
    w, p, q = rng.normal(size=100), rng.normal(size=(100, 100)), rng.normal(size=(100, 100))
    signal, weights = rng.normal(size=2 ** 16), rng.uniform(size=2 ** 15 + 1)
    return {"einsum bij,bjk->bik (16x64x64)": (a, b, u), "linalg.solve 100x100": (m, v),
            "linalg.svd 100x100": (m, w, p, q), "fft.rfft 2^16 power spectrum": (signal, weights)}


def _engines(np_, grad, wrap, name):
    """The three workloads written once against a numpy-like module ``np_``."""
    def einsum(a, b, u):
        b, u = wrap(b), wrap(u)
        return grad(lambda x: np_.sum(np_.einsum("bij,bjk->bik", x, b) * u))(a)

    def solve(m, v):
        v = wrap(v)
        return grad(lambda x: np_.sum(np_.linalg.solve(x, v) * v))(m)

    def svd(m, w, p, q):
        w, p, q = wrap(w), wrap(p), wrap(q)

        def loss(x):
            uu, s, vh = np_.linalg.svd(x, full_matrices=False)
            return np_.sum(s * w) + np_.sum(uu * uu * p) + np_.sum(vh * vh * q)
        return grad(loss)(m)

    def fft(signal, weights):
        weights = wrap(weights)
        return grad(lambda x: np_.sum(np_.abs(np_.fft.rfft(x)) ** 2 * weights))(signal)

    return [einsum, solve, svd, fft]


def _torch_grad(torch):
    def grad(f):
        def g(x):
            t = torch.tensor(x, requires_grad=True)
            f(t).backward()
            return t.grad
        return g
    return grad


def main(quick: bool = False) -> dict[str, dict[str, float]]:
    import chainrule as cr

    rounds, repeat = (3, 3) if quick else (9, 10)
    work = problems()
    rows = {"chainrule": _engines(np, cr.grad, lambda v: v, "chainrule")}
    autograd = harness.optional("autograd")
    if autograd is not None:
        rows["autograd"] = _engines(autograd.numpy, autograd.grad, lambda v: v, "autograd")
    else:
        harness.skip_note("autograd")
    torch = harness.optional("torch")
    if torch is not None:
        harness.pin_threads()

        from types import SimpleNamespace

        tnp = SimpleNamespace(sum=torch.sum, einsum=torch.einsum, abs=torch.abs,
                              linalg=SimpleNamespace(solve=torch.linalg.solve,
                                                     svd=torch.linalg.svd),
                              fft=SimpleNamespace(rfft=torch.fft.rfft))
        rows["torch"] = _engines(tnp, _torch_grad(torch), torch.from_numpy, "torch")
    else:
        harness.skip_note("torch")
    print(f"numpy functions, forward + backward; {rounds} interleaved rounds x {repeat} calls")
    out = {}
    for k, (label, args) in enumerate(work.items()):
        engines = {name: (lambda f=fns[k], a=args: f(*a)) for name, fns in rows.items()}
        results = {name: fn() for name, fn in engines.items()}
        harness.check_agree(results, "chainrule", rtol=1e-6, atol=1e-8)
        medians = harness.interleaved(engines, rounds=rounds, repeat=repeat)
        harness.table(f"  {label}: ms per gradient (medians)", medians, "chainrule", unit="ms")
        peers = [m["total"] for n, m in medians.items() if n != "chainrule"]
        if peers:
            harness.verdict(label, medians["chainrule"]["total"] / min(peers), 1.2,
                            "x the faster peer")
        out[label] = {n: m["total"] for n, m in medians.items()}
    return out


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
