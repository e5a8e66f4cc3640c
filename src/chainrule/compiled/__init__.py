"""Traced replay: ``cr.compile(f)`` records the ops of ``f`` once per argument signature
and replays them, forward and backward, as one straight-line function of numpy calls.

- :mod:`.tracing`: running ``f`` on Tensors that record, and refusing what a replay
  cannot repeat (Python control flow on traced values, random draws, in-place writes);
- :mod:`.program`: the trace as generated code, with the eager backward pass's order;
- :mod:`.api`: ``compile``/``jit``, argument signatures and the cache of programs.
- :mod:`.guard`: the state ``f`` reads besides its arguments (closed-over Tensors,
  globals, modules' buffers), checked at each call: a change traces again.
"""

from .api import Compiled, compile, jit
from .program import Program
from .tracing import ConcretizationError, TraceError

__all__ = ["Compiled", "ConcretizationError", "Program", "TraceError", "compile", "jit"]
