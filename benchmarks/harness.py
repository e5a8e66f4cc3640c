"""Shared machinery of the benchmarks: one BLAS thread, interleaved timing, medians, ratio
tables and a gradient-agreement check that runs before anything is timed.

Import this module before numpy where possible (``python -m benchmarks`` does): the BLAS
thread count is read from the environment when numpy loads. Where numpy is already loaded,
threadpoolctl (if installed) caps the running BLAS pools instead.

Timing rules, because the machine is shared and noisy:

- engines run in *interleaved rounds* (every engine once per round, order rotated each
  round), so a burst of load from elsewhere hits all of them alike;
- the garbage collector is left in its default state while timing (unlike ``timeit``),
  because that is what users get; ``gc.collect()`` runs *between* calls so every call
  starts from the same heap;
- results are medians over rounds, never means or minima.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
# Set on some processors by the machine's image; reported, never changed.
_OPENBLAS_TUNING_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def pin_blas_env() -> None:
    """Ask every BLAS / OpenMP runtime for one thread, through the environment.

    Only effective before numpy (or torch) is imported; call :func:`pin_threads` after
    importing them to cap pools that already exist.
    """
    for var in _THREAD_VARS:
        os.environ[var] = "1"


pin_blas_env()

import numpy as np  # noqa: E402  (after the environment is pinned)

_limiter: Any = None


def pin_threads() -> str:
    """Cap BLAS and OpenMP pools to one thread (env vars + threadpoolctl + torch).

    Returns a one-line description of what was pinned, for the report header.
    """
    global _limiter
    pin_blas_env()
    notes = ["env *_NUM_THREADS=1"]
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        notes.append("threadpoolctl not installed")
    else:
        _limiter = threadpool_limits(limits=1)
        notes.append("threadpoolctl limits=1")
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
        notes.append("torch.set_num_threads(1)")
    return ", ".join(notes)


def optional(name: str) -> Any:
    """Import a peer library, or return None (the caller prints a skip note)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def skip_note(name: str) -> None:
    print(f"  (skipped {name}: not installed; `make bench` installs the peers)")


def machine_notes() -> dict[str, str]:
    """What a reader needs to judge the numbers: CPU, core count, load, versions, BLAS."""
    notes = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    notes["chainrule"] = _chainrule_source()
    for var in _OPENBLAS_TUNING_VARS:
        notes[var] = os.environ.get(var, "(not set)")
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        pools = [f"{p.get('internal_api')} {p.get('version')} x{p.get('num_threads')}"
                 for p in threadpool_info()]
        notes["BLAS pools"] = "; ".join(pools) or "(none loaded)"
    return notes


def _chainrule_source() -> str:
    """Which chainrule is measured: its directory, and the git commit of that checkout
    (with "+ uncommitted changes" when its sources differ from the commit)."""
    import subprocess

    spec = importlib.util.find_spec("chainrule")
    if spec is None or spec.origin is None:
        return "(not importable)"
    where = os.path.dirname(spec.origin)
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=where,
                              capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=where,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return where
    if head.returncode != 0:
        return f"{where} (not a git checkout)"
    state = " + uncommitted changes" if dirty.stdout.strip() else ""
    return f"{where} at {head.stdout.strip()}{state}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# -- timing ---------------------------------------------------------------------------

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
_CLOCK_VAR = "CHAINRULE_BENCH_CLOCK"


def set_clock(name: str) -> None:
    """Choose what the benchmarks measure: ``"cpu"`` (this process's CPU time, the default:
    time spent descheduled on a shared machine is not counted) or ``"wall"``. Inherited by
    subprocesses through the environment."""
    if name not in CLOCKS:
        raise ValueError(f"set_clock: unknown clock {name!r}; choose one of {list(CLOCKS)}")
    os.environ[_CLOCK_VAR] = name


def clock_name() -> str:
    name = os.environ.get(_CLOCK_VAR, "cpu")
    return name if name in CLOCKS else "cpu"


def clock() -> float:
    """The current reading of the chosen clock, in seconds."""
    return CLOCKS[clock_name()]()


def interleaved(engines: Mapping[str, Callable[[], Any]], rounds: int,
                repeat: int = 1, warmup: int = 1,
                collect: bool = True) -> dict[str, dict[str, float]]:
    """Time each engine in ``rounds`` interleaved rounds; return medians in seconds.

    ``engines`` maps a name to a zero-argument callable doing one unit of work. Its time
    on :func:`clock` is measured here (phase ``"total"``) and its result ignored, unless
    it returns a dict ``{phase: seconds}`` such as ``{"forward": f, "backward": b}``: then
    those phases are used and ``"total"`` is their sum. Within a round each engine runs
    ``repeat`` times and the per-call mean of that round is one sample; the result is,
    per engine and phase, the median of the ``rounds`` samples. The engine order rotates
    every round. ``warmup`` untimed calls per engine come first. The garbage collector
    stays enabled while timing; with ``collect`` it is run between calls.
    """
    if rounds < 1 or repeat < 1:
        raise ValueError(f"interleaved: rounds and repeat must be >= 1, got {rounds}, {repeat}")
    names = list(engines)
    now = CLOCKS[clock_name()]
    for name in names:
        for _ in range(warmup):
            engines[name]()
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            totals: dict[str, float] = {}
            fn = engines[name]
            for _ in range(repeat):
                if collect:
                    gc.collect()
                t0 = now()
                phases = fn()
                wall = now() - t0
                if not isinstance(phases, dict):
                    phases = {"total": wall}
                elif "total" not in phases:
                    phases = {**phases, "total": sum(phases.values())}
                for phase, sec in phases.items():
                    totals[phase] = totals.get(phase, 0.0) + sec
            for phase, sec in totals.items():
                samples[name].setdefault(phase, []).append(sec / repeat)
    return {name: {phase: float(np.median(v)) for phase, v in per.items()}
            for name, per in samples.items()}


def time_once(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Time of one call on :func:`clock`, and its result (for workloads too long to
    repeat)."""
    t0 = clock()
    out = fn()
    return clock() - t0, out


def in_subprocess(module: str, args: list[str], timeout: float = 600) -> dict:
    """Run ``python -m module --worker *args`` in a fresh interpreter (same environment,
    repository root as working directory) and return the JSON object it prints last;
    on failure, ``{"error": <last line of stderr>}``."""
    import json
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = [sys.executable, "-m", module, "--worker", *args]
    try:
        done = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                              timeout=timeout, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        return {"error": lines[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- agreement ------------------------------------------------------------------------

def check_agree(results: Mapping[str, Any], baseline: str, rtol: float = 1e-7,
                atol: float = 1e-9, what: str = "gradient") -> None:
    """Raise AssertionError unless every engine's result matches ``baseline``'s.

    Each value is an array or a sequence of arrays (one per differentiated input), compared
    element-wise with ``np.allclose(rtol, atol)`` after conversion to float64 ndarrays.
    The message names the engine, the input index, the shapes or the largest difference.
    """
    if baseline not in results:
        raise KeyError(f"check_agree: baseline {baseline!r} is not among {list(results)}")
    ref = _as_arrays(results[baseline])
    for name, value in results.items():
        got = _as_arrays(value)
        if len(got) != len(ref):
            raise AssertionError(f"{what}: {name} returned {len(got)} arrays, "
                                 f"{baseline} {len(ref)}")
        for i, (a, b) in enumerate(zip(got, ref)):
            if a.shape != b.shape:
                raise AssertionError(f"{what} {i}: {name} has shape {a.shape}, "
                                     f"{baseline} {b.shape}")
            if not np.allclose(a, b, rtol=rtol, atol=atol):
                diff = np.abs(a - b)
                j = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
                raise AssertionError(
                    f"{what} {i}: {name} disagrees with {baseline}: largest difference "
                    f"{float(diff.max()):.3g} at index {j} ({a[j]!r} vs {b[j]!r})")


def _as_arrays(value: Any) -> list[np.ndarray]:
    if isinstance(value, (list, tuple)):
        return [np.asarray(_plain(v), dtype=np.float64) for v in value]
    return [np.asarray(_plain(value), dtype=np.float64)]


def _plain(v: Any) -> Any:
    """A torch tensor, a mygrad tensor or a chainrule Tensor as a numpy array."""
    if type(v).__module__.startswith("torch"):
        return v.detach().cpu().numpy()
    data = getattr(v, "data", None)
    if isinstance(data, np.ndarray):
        return data
    return v


# -- reporting ------------------------------------------------------------------------

def table(title: str, medians: Mapping[str, Mapping[str, float]], baseline: str,
          phases: Iterable[str] = ("total",), unit: str = "us", per: float = 1.0,
          ratio_phase: str = "total") -> str:
    """Format medians as a table: one row per engine, one column per phase, then the
    ratio ``engine / baseline`` of ``ratio_phase`` (higher = slower than the baseline).

    Times are seconds divided by ``per`` (e.g. the node count, for "us per node") and
    shown in ``unit`` (``"s"``, ``"ms"`` or ``"us"``). Returns the text (also printed).
    """
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
    phases = list(phases)
    base = medians.get(baseline, {}).get(ratio_phase)
    width = max(len(n) for n in medians) if medians else 6
    head = f"  {'engine':<{width}}  " + "  ".join(f"{p + ' ' + unit:>14}" for p in phases)
    head += f"  {'x ' + baseline:>14}"
    lines = [title, head]
    for name, per_phase in medians.items():
        cells = [f"{per_phase[p] / per * scale:>14.4g}" if p in per_phase else f"{'-':>14}"
                 for p in phases]
        ratio = per_phase.get(ratio_phase)
        rcell = f"{ratio / base:>14.3g}" if base and ratio is not None else f"{'-':>14}"
        lines.append(f"  {name:<{width}}  " + "  ".join(cells) + f"  {rcell}")
    text = "\n".join(lines)
    print(text)
    return text


def verdict(name: str, value: float, target: float, unit: str) -> str:
    """One line saying whether chainrule met a target (value <= target)."""
    ok = "met" if value <= target else "MISSED"
    line = f"  target {name}: {value:.4g} {unit} (target <= {target:g} {unit}) -> {ok}"
    print(line)
    return line


def micrograd_trig(Value: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """``sin`` and ``cos`` for micrograd, which has neither: written the way its own ops are
    (a closure per node), so that it is measured as a user would extend it."""
    import math

    def sin(v: Any) -> Any:
        out = Value(math.sin(v.data), (v,), "sin")

        def _backward() -> None:
            v.grad += math.cos(v.data) * out.grad
        out._backward = _backward
        return out

    def cos(v: Any) -> Any:
        out = Value(math.cos(v.data), (v,), "cos")

        def _backward() -> None:
            v.grad += -math.sin(v.data) * out.grad
        out._backward = _backward
        return out

    return sin, cos

