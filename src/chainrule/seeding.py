"""The one random stream behind everything chainrule draws: initial weights, ``rand``,
``randn``, ``randint``, dropout masks and DataLoader shuffling. ``cr.manual_seed(n)``
restarts it, so a run is reproducible from one integer (as ``torch.manual_seed``)."""

from __future__ import annotations

import numpy as np

_STREAM = {"generator": np.random.default_rng()}


def manual_seed(seed: int) -> np.random.Generator:
    """Restart the global random stream from ``seed`` and return its numpy Generator."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {seed!r}")
    _STREAM["generator"] = np.random.default_rng(int(seed))
    return _STREAM["generator"]


def default_generator() -> np.random.Generator:
    """The global numpy Generator that ``manual_seed`` restarts."""
    return _STREAM["generator"]
