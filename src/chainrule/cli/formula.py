"""The formula language of the ``chainrule`` command.

A formula is a Python expression read with :mod:`ast` and checked against a whitelist: numbers,
variables, ``+ - * / ** @``, unary ``-`` and ``+``, parentheses, calls of the functions in
:data:`FUNCTIONS`, the constants ``pi``, ``e`` and ``inf``, and list literals (arrays). It is
never passed to ``eval``: each syntax node is mapped to one of chainrule's differentiable ops,
so evaluating a formula on Scalars or Tensors records the same graph as the Python code would.

Every problem is reported as a :class:`FormulaError` whose :meth:`~FormulaError.show` prints
the formula with a caret under the offending part. :class:`FormulaUsageError` means the text
itself is wrong (syntax, unknown name, missing value, bad arguments);
:class:`FormulaMathError` means the formula is well formed but an op failed on the given values
(incompatible shapes, an axis out of range).
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import Node
from ..ops import functions as F
from ..primitive import on_register
from ..tensor import Tensor

MAX_CHARS = 5_000
MAX_NODES = 2_000
MAX_DEPTH = 200
MAX_ELEMENTS = 1_000_000
MAX_DIMENSIONS = 32
"""The most axes a value may have (the engine's reductions handle up to 32)."""
_LARGEST = int(np.finfo(float).max)

_SHOWN = 72

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "inf": math.inf}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# C0/C1 control characters and the bidirectional overrides that reorder what a terminal shows
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape(text: str, keep_newlines: bool = False) -> str:
    """``text`` safe to print: every control character (ANSI escapes, carriage returns,
    tabs, bidirectional overrides) written as a Python escape (``\\x1b``), so user text
    cannot move the cursor, recolour the terminal or forge a line. With ``keep_newlines``
    a newline stays one."""
    def one(m: re.Match[str]) -> str:
        ch = m.group()
        if keep_newlines and ch == "\n":
            return ch
        return repr(ch)[1:-1] if ch not in "\x1b\x9b" else f"\\x{ord(ch):02x}"
    return _CONTROL.sub(one, text)


_METER: ContextVar[Callable[[int], None] | None] = ContextVar("formula_meter", default=None)


@contextmanager
def metering(meter: Callable[[int], None]) -> Iterator[None]:
    """Every formula evaluated inside calls ``meter(n)`` after each op with the number of
    elements of its result (``meter.new_pass()`` first, if it has one); the meter may raise
    to stop the evaluation (the command's work budget does)."""
    token = _METER.set(meter)
    try:
        yield
    finally:
        _METER.reset(token)


class FormulaError(ValueError):
    """A formula that cannot be used as written.

    ``text`` is the formula, ``start``/``end`` the character span of the offending part
    (None when the problem is not at one place); :meth:`show` renders the caret picture.
    """

    def __init__(self, message: str, text: str = "", start: int | None = None,
                 end: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.start = start
        self.end = end

    def show(self) -> str:
        """The message, then the formula with ``^`` under the offending part (if known)."""
        if self.start is None or not self.text:
            return escape(self.message)
        lines = self.text.split("\n")
        offset = self.start
        row = 0
        while row < len(lines) - 1 and offset > len(lines[row]):
            offset -= len(lines[row]) + 1
            row += 1
        raw = lines[row]
        offset = max(0, min(offset, len(raw)))
        width = 1 if self.end is None else max(1, min(self.end - self.start, len(raw) - offset))
        # control characters are shown escaped, so the caret is placed on the escaped text
        line = escape(raw)
        width = len(escape(raw[offset:offset + width])) or 1
        offset = len(escape(raw[:offset]))
        if len(line) > _SHOWN:
            # a long formula is shown as a window around the problem
            first = max(0, min(offset - _SHOWN // 2, len(line) - _SHOWN))
            line = line[first:first + _SHOWN]
            offset -= first
            width = min(width, _SHOWN - offset)
            line = ("..." if first else "") + line + ("..." if first + _SHOWN < len(
                escape(raw)) else "")
            offset += 3 if first else 0
        return (f"{escape(self.message)}\n    {line}\n"
                f"    {' ' * offset}{'^' * max(1, width)}")


class FormulaUsageError(FormulaError):
    """The formula's text is wrong: syntax, an unknown name, a missing value, bad arguments."""


class FormulaMathError(FormulaError):
    """The formula is well formed but an operation failed on the given values."""


# -- the function table ------------------------------------------------------------------

@dataclass(frozen=True)
class Function:
    """One function of the formula language.

    ``values`` is how many leading positional arguments are differentiable expressions;
    ``params`` names the remaining ones, which must be constants (``axis=0``,
    ``keepdims=True``, ``ord=2``); ``star`` takes any number of constant ints (``reshape``).
    ``scalar`` is True when the function works on single numbers (the Scalar engine).
    """

    name: str
    call: Callable[..., Any]
    values: int
    params: tuple[str, ...] = ()
    star: bool = False
    scalar: bool = False
    makes_array: bool = False
    help: str = ""
    star_name: str = "shape"

    @property
    def usage(self) -> str:
        args = ["x", "y", "z"][: self.values] if self.values else []
        if self.star:
            args.append(("" if self.name == "eye" else "*") + self.star_name)
        args += [f"{p}=..." for p in self.params]
        return f"{self.name}({', '.join(args)})"


def _array_maker(name: str, fn: Callable[[tuple[int, ...]], np.ndarray]) -> Callable[..., Any]:
    def make(*shape: int) -> np.ndarray:
        if len(shape) == 1 and isinstance(shape[0], tuple):
            shape = shape[0]
        if not shape and name != "eye":
            raise ValueError(f"{name}() needs a shape, e.g. {name}(3) or {name}(2, 3)")
        for s in shape:
            if isinstance(s, bool) or not isinstance(s, int) or s < 0:
                raise ValueError(f"{name}: sizes must be non-negative integers, got {s!r}")
        if math.prod(shape) > MAX_ELEMENTS:
            raise ValueError(f"{name}{shape}: more than {MAX_ELEMENTS:,} elements; "
                             "the command is meant for small examples")
        return fn(shape)

    return make


def _eye(shape: tuple[int, ...]) -> np.ndarray:
    if len(shape) != 1:
        raise ValueError(f"eye(n) takes one size, got {len(shape)}")
    if shape[0] ** 2 > MAX_ELEMENTS:
        raise ValueError(f"eye({shape[0]}): more than {MAX_ELEMENTS:,} elements; "
                         "the command is meant for small examples")
    return np.eye(shape[0])


def _function(entry: Any, fn: Callable[..., Any]) -> Function:
    """The formula function of a rule-table entry (or composite), read from its usage
    (``"reshape(x, *shape)"``: one value, then any number of constant ints)."""
    name, _, rest = entry.usage.partition("(")
    args = [a.strip() for a in rest.rstrip(")").split(",") if a.strip()]
    star = next((a[1:] for a in args if a.startswith("*")), None)
    params = tuple(a.split("=")[0] for a in args if "=" in a)
    values = sum(1 for a in args if "=" not in a and not a.startswith("*"))
    kind = getattr(entry, "kind", "")
    help = {"unary": "elementwise", "binary": "elementwise, broadcasting",
            "reduction": "reduction over axis (default: all)"}.get(kind, entry.doc)
    if name in ("max", "min"):
        help = f"reduction; {name}(a, b) is the elementwise {name}imum"
    return Function(name, fn, values, params, star=star is not None,
                    scalar=getattr(entry, "float_fn", None) is not None, help=help,
                    star_name=star or "shape")


def _expose(prim: Any, added: bool) -> None:
    if not prim.formula or prim.function is None:
        return
    if added:
        fn = _function(prim, F.FUNCTIONS[prim.function])
        if fn.name in FUNCTIONS:
            raise ValueError(f"primitive {prim.name!r}: the formula language has {fn.name}")
        FUNCTIONS[fn.name] = fn
    else:
        del FUNCTIONS[prim.usage.partition("(")[0]]


FUNCTIONS: dict[str, Function] = {
    "eye": Function("eye", _array_maker("eye", _eye), 0, star=True, makes_array=True,
                    help="the n x n identity", star_name="n"),
    "zeros": Function("zeros", _array_maker("zeros", np.zeros), 0, star=True,
                      makes_array=True, help="an array of zeros"),
    "ones": Function("ones", _array_maker("ones", np.ones), 0, star=True, makes_array=True,
                     help="an array of ones"),
}
"""Every function a formula may call, by name: the rule table's entries whose ``formula``
is set (kept in sync with the registry), the composites such as ``dot``, and the array
makers."""

FUNCTIONS.update((c.function, _function(c, c.fn)) for c in F.COMPOSITES.values() if c.formula)
on_register(_expose)

_BINOPS: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", F.add), ast.Sub: ("-", F.subtract), ast.Mult: ("*", F.multiply),
    ast.Div: ("/", F.divide), ast.Pow: ("**", F.power), ast.MatMult: ("@", F.matmul),
}

_NOT_SUPPORTED = {
    ast.FloorDiv: "the operator //", ast.Mod: "the operator %", ast.BitAnd: "the operator &",
    ast.BitOr: "the operator |", ast.BitXor: "the operator ^ (for powers write **)",
    ast.LShift: "the operator <<", ast.RShift: "the operator >>", ast.Invert: "the operator ~",
    ast.Not: "'not'", ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "indexing (a[i])", ast.Compare: "comparisons", ast.BoolOp: "'and'/'or'",
    ast.IfExp: "'if ... else'", ast.Lambda: "lambda", ast.Dict: "dictionaries",
    ast.Set: "sets", ast.Tuple: "tuples (use a list [..] for an array)",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.Starred: "'*' unpacking", ast.NamedExpr: "':=' assignment",
    ast.JoinedStr: "strings", ast.Await: "'await'", ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'", ast.Slice: "slices",
}

_SUPPORTED = "numbers, variables, + - * / ** @, parentheses, function calls and [lists]"


def _suggest(name: str, candidates: list[str]) -> str:
    # short names (x1, w2) differ by one character in half their length
    cutoff = 0.5 if len(name) <= 3 else 0.6
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=cutoff)
    if not close:
        return ""
    return " (did you mean " + " or ".join(close) + "?)"


# -- parsing ------------------------------------------------------------------------------

class Formula:
    """A checked formula: ``text``, its ``variables`` (in order of first appearance) and
    ``functions`` used. Build one with :func:`parse`; evaluate it with :meth:`evaluate`."""

    def __init__(self, text: str, tree: ast.Expression, variables: tuple[str, ...],
                 functions: frozenset[str], needs_tensors: bool) -> None:
        self.text = text
        self.tree = tree
        self.variables = variables
        self.functions = functions
        self.needs_tensors = needs_tensors
        self._starts = _line_starts(text)

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def span(self, node: ast.AST) -> tuple[int | None, int | None]:
        """The character span of ``node`` in ``text``."""
        return _span(self.text, self._starts, node)

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The formula's value with each variable taken from ``values`` (Scalars, Tensors,
        numbers or arrays). Operations on Scalars or Tensors are recorded in the graph.

        Raises FormulaUsageError when a variable has no value, FormulaMathError when an op
        fails (e.g. ShapeError for incompatible shapes), naming the op and its place.
        """
        missing = [v for v in self.variables if v not in values]
        if missing:
            given = sorted(values)
            name = missing[0]
            start, end = self.first_use(name)
            hint = _suggest(name, given)
            raise FormulaUsageError(
                f"the variable {name} has no value; give it with --at {name}=...{hint}"
                + (f" (values were given for: {', '.join(given)})" if given else ""),
                self.text, start, end)
        meter = _METER.get()
        if meter is not None and hasattr(meter, "new_pass"):
            meter.new_pass()
        return _Evaluator(self, values, meter).run(self.tree.body, 0)

    def first_use(self, name: str) -> tuple[int | None, int | None]:
        """The character span of the first use of the variable ``name``."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and node.id == name:
                return self.span(node)
        return None, None


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _span(text: str, starts: list[int], node: ast.AST) -> tuple[int | None, int | None]:
    def char(lineno: int | None, col: int | None) -> int | None:
        if lineno is None or col is None or lineno - 1 >= len(starts):
            return None
        begin = starts[lineno - 1]
        line = text[begin:].split("\n", 1)[0]
        # ast columns count UTF-8 bytes
        return begin + len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    start = char(getattr(node, "lineno", None), getattr(node, "col_offset", None))
    end = char(getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))
    return start, end


def parse(text: str) -> Formula:
    """Read and check ``text``; raise FormulaUsageError with the place of the first problem.

    Refused: anything outside the whitelist (attribute access, indexing, comparisons,
    strings, keyword arguments other than a function's own), names with ``__``, more than
    MAX_CHARS characters, MAX_NODES syntax nodes or MAX_DEPTH levels of nesting.
    """
    if not isinstance(text, str):
        raise FormulaUsageError(f"a formula must be text, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise FormulaUsageError(f"the formula has {len(text):,} characters; the limit is "
                                f"{MAX_CHARS:,}")
    if not text.strip():
        raise FormulaUsageError("the formula is empty")
    if "\x00" in text:
        raise FormulaUsageError("the formula contains a NUL character", text,
                                text.index("\x00"))
    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        if "digits" in str(exc.msg):
            raise FormulaUsageError("a number has too many digits (more than 4,300)",
                                    text) from None
        raise _syntax_error(text, exc) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaUsageError("the formula is too deeply nested to read") from None
    if "#" in text:     # the only place a '#' can be, strings being refused, is a comment
        raise FormulaUsageError("comments (#) are not allowed in a formula", text,
                                text.index("#"), len(text))
    return _Checker(text).check(tree)


def _syntax_error(text: str, exc: SyntaxError) -> FormulaUsageError:
    starts = _line_starts(text)
    lineno = exc.lineno or 1
    col = (exc.offset or 1) - 1
    start = starts[min(lineno, len(starts)) - 1] + max(0, col)
    start = min(start, len(text))
    if exc.offset == 0:     # Python's way of saying the text ended mid-expression
        start = len(text)
    msg = exc.msg or "invalid syntax"
    if msg.startswith("invalid syntax") and start < len(text):
        msg = f"invalid syntax at {text[start]!r}"
    elif start >= len(text):
        msg = f"{msg}: the formula ends too early"
    return FormulaUsageError(f"syntax error: {msg}", text, start)


class _Checker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = _line_starts(text)
        self.variables: list[str] = []
        self.functions: set[str] = set()
        self.needs_tensors = False

    def fail(self, message: str, node: ast.AST) -> FormulaUsageError:
        start, end = _span(self.text, self.starts, node)
        return FormulaUsageError(message, self.text, start, end)

    def check(self, tree: ast.Expression) -> Formula:
        count = 0
        stack: list[tuple[ast.AST, int, str]] = [(tree.body, 1, "value")]
        while stack:
            node, depth, role = stack.pop()
            count += 1
            if count > MAX_NODES:
                raise FormulaUsageError(f"the formula has more than {MAX_NODES:,} parts; "
                                        "the limit keeps the command fast")
            if depth > MAX_DEPTH:
                raise self.fail(f"the formula is nested more than {MAX_DEPTH} levels deep "
                                "(each operator of a chain such as x+x+...+x adds a level: "
                                "group long sums and products in parentheses)", node)
            children = self.visit(node, role)
            stack.extend((child, depth + 1, r) for child, r in reversed(children))
        return Formula(self.text, tree, tuple(self.variables), frozenset(self.functions),
                       self.needs_tensors)

    def visit(self, node: ast.AST, role: str) -> list[tuple[ast.AST, str]]:
        """Check one node; return its children with the role each must play."""
        if role == "param":
            self.check_param(node)
            return []
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.fail(f"{node.value!r} is not a number; formulas use "
                                f"{_SUPPORTED}", node)
            if isinstance(node.value, int) and abs(node.value) > _LARGEST:
                raise self.fail("this number is larger than the largest float (about "
                                "1.8e308)", node)
            return []
        if isinstance(node, ast.Name):
            self.check_name(node.id, node)
            if node.id in FUNCTIONS:
                raise self.fail(f"{node.id} is a function; call it: {FUNCTIONS[node.id].usage}",
                                node)
            if node.id not in CONSTANTS and node.id not in self.variables:
                self.variables.append(node.id)
            return []
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise self.fail(f"{_NOT_SUPPORTED[type(node.op)]} is not supported; "
                                "operators are + - * / ** @", node)
            if isinstance(node.op, ast.MatMult):
                self.needs_tensors = True
            return [(node.left, "value"), (node.right, "value")]
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.fail(f"{_NOT_SUPPORTED[type(node.op)]} is not supported; "
                                "the unary operators are - and +", node)
            return [(node.operand, "value")]
        if isinstance(node, ast.List):
            self.needs_tensors = True
            if not node.elts:
                raise self.fail("an empty list [] is not an array of numbers", node)
            return [(e, "value") for e in node.elts]
        if isinstance(node, ast.Call):
            return self.visit_call(node)
        if isinstance(node, ast.Attribute) and node.attr == "T":
            base = ast.get_source_segment(self.text, node.value) or "x"
            raise self.fail(f"{base}.T is not supported in a formula; write "
                            f"transpose({base})", node)
        what = _NOT_SUPPORTED.get(type(node), f"'{type(node).__name__}' syntax")
        raise self.fail(f"{what} is not supported in a formula; formulas use {_SUPPORTED}",
                        node)

    def check_name(self, name: str, node: ast.AST) -> None:
        if "__" in name:
            raise self.fail(f"the name {name} is not allowed (no names with '__')", node)
        if not _IDENTIFIER.match(name):
            raise self.fail(f"the name {name!r} is not allowed: use letters, digits and _",
                            node)

    def visit_call(self, node: ast.Call) -> list[tuple[ast.AST, str]]:
        if not isinstance(node.func, ast.Name):
            what = ("attribute access (a.b)" if isinstance(node.func, ast.Attribute)
                    else "calling the result of an expression")
            raise self.fail(f"{what} is not supported; call a function by its name, "
                            "e.g. sin(x)", node.func)
        name = node.func.id
        self.check_name(name, node.func)
        fn = FUNCTIONS.get(name)
        if fn is None:
            hint = _suggest(name, list(FUNCTIONS))
            known = "" if hint else "; the functions are: " + ", ".join(sorted(FUNCTIONS))
            raise self.fail(f"unknown function {name}{hint}{known}", node.func)
        self.functions.add(name)
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.fail("'*' unpacking is not supported in a formula", a)
        for kw in node.keywords:
            if kw.arg is None:
                raise self.fail("'**' unpacking is not supported in a formula", kw.value)
        values, params = node.args, []
        pairwise = name in ("max", "min") and len(node.args) == 2 and not node.keywords
        if pairwise:
            self.functions.add(name + "imum")
        else:
            if not fn.star and len(node.args) > fn.values + len(fn.params):
                raise self.fail(f"{name} takes at most {fn.values + len(fn.params)} "
                                f"argument(s), got {len(node.args)}: {fn.usage}", node)
            values, params = node.args[: fn.values], node.args[fn.values:]
            if len(values) < fn.values:
                raise self.fail(f"{name} needs {fn.values} argument(s), got "
                                f"{len(node.args)}: {fn.usage}", node)
        seen = set()
        for kw in node.keywords:
            if kw.arg not in fn.params:
                allowed = (f"its keywords are {', '.join(fn.params)}" if fn.params
                           else "it takes no keywords")
                raise self.fail(f"{name} has no keyword {kw.arg}; {allowed}", kw.value)
            if kw.arg in seen:
                raise self.fail(f"{name}: keyword {kw.arg} given twice", kw.value)
            seen.add(kw.arg)
        if fn.makes_array or not (fn.scalar or pairwise):
            self.needs_tensors = True
        children: list[tuple[ast.AST, str]] = [(a, "value") for a in values]
        children += [(a, "param") for a in params]
        children += [(kw.value, "param") for kw in node.keywords]
        return children

    def check_param(self, node: ast.AST) -> None:
        """A parameter (axis, keepdims, ord, a size) must be a constant."""
        try:
            _param_value(node)
        except ValueError as exc:
            raise self.fail(str(exc), node) from None


def _param_value(node: ast.AST) -> Any:
    """The constant a parameter node stands for: an int, a float, True/False/None, inf, or
    a list/tuple of ints."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(
            node.value, (bool, int, float))):
        return node.value
    if isinstance(node, ast.Name) and node.id == "inf":
        return math.inf
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _param_value(node.operand)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_param_value(e) for e in node.elts]
        if all(isinstance(i, int) and not isinstance(i, bool) for i in items):
            return tuple(items)
    raise ValueError("this argument must be a constant (a whole number such as 0 or -1, "
                     "True/False, or a list of whole numbers): it sets an axis, a size or "
                     "an option, it is not differentiated")


class _Evaluator:
    def __init__(self, formula: Formula, values: Mapping[str, Any],
                 meter: Callable[[int], None] | None = None) -> None:
        self.formula = formula
        self.values = values
        self.meter = meter

    def fail(self, exc: Exception, node: ast.AST) -> FormulaMathError:
        start, end = self.formula.span(node)
        message = str(exc) or type(exc).__name__
        if isinstance(exc, MemoryError):
            message = "out of memory: the arrays involved are too large"
        return FormulaMathError(message, self.formula.text, start, end)

    def run(self, node: ast.AST, depth: int) -> Any:
        # recursion is bounded: parse() refused formulas nested more than MAX_DEPTH levels
        if isinstance(node, ast.Constant):
            # ints stay ints so that explanations read `x ** 2`, not `x ** 2.0`
            return node.value if isinstance(node.value, int) else float(node.value)  # type: ignore[arg-type]  # the parser admits only numbers
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            return self.values[node.id]
        if isinstance(node, ast.BinOp):
            left = self.run(node.left, depth + 1)
            right = self.run(node.right, depth + 1)
            return self.call(_BINOPS[type(node.op)][1], (left, right), {}, node)
        if isinstance(node, ast.UnaryOp):
            operand = self.run(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return operand
            return self.call(F.negative, (operand,), {}, node)
        if isinstance(node, ast.List):
            return self.array(node, [self.run(e, depth + 1) for e in node.elts])
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        name = node.func.id
        fn = FUNCTIONS[name]
        if name in ("max", "min") and len(node.args) == 2 and not node.keywords:
            fn = FUNCTIONS[name + "imum"]
            values, params = node.args, []
        else:
            values, params = node.args[: fn.values], node.args[fn.values:]
        args = [self.run(a, depth + 1) for a in values]
        args += [_param_value(p) for p in params]
        kwargs = {kw.arg: _param_value(kw.value) for kw in node.keywords}
        if fn.values == 1 and not fn.scalar and not isinstance(args[0], Node):
            args[0] = np.asarray(args[0], dtype=float)
        return self.call(fn.call, tuple(args), kwargs, node)

    def call(self, fn: Callable[..., Any], args: tuple, kwargs: dict, node: ast.AST) -> Any:
        try:
            out = fn(*args, **kwargs)
        except (ValueError, TypeError, IndexError, ArithmeticError, MemoryError) as exc:
            raise self.fail(exc, node) from None
        if isinstance(out, np.ndarray) and out.size > MAX_ELEMENTS:
            raise self.fail(ValueError(f"the result has {out.size:,} elements; the limit is "
                                       f"{MAX_ELEMENTS:,}"), node)
        self.dimensions(out, node)
        if self.meter is not None:
            self.meter(int(np.size(out.value if isinstance(out, Node) else out)))
        return out

    def array(self, node: ast.List, items: list[Any]) -> Any:
        if any(isinstance(i, Node) for i in items):
            items = [i if isinstance(i, Node) else Tensor(i) for i in items]
            return self.call(F.stack, (items,), {}, node)
        try:
            arr = np.array([np.asarray(i, dtype=float) for i in items], dtype=float)
        except ValueError:
            shapes = ", ".join(str(np.shape(i)) for i in items)
            raise self.fail(ValueError(f"the rows of this list have different shapes "
                                       f"({shapes}); an array needs equal rows"),
                            node) from None
        if arr.size > MAX_ELEMENTS:
            raise self.fail(ValueError(f"the array has more than {MAX_ELEMENTS:,} elements"),
                            node)
        self.dimensions(arr, node)
        return arr

    def dimensions(self, value: Any, node: ast.AST) -> None:
        ndim = np.ndim(value.value if isinstance(value, Node) else value)
        if ndim > MAX_DIMENSIONS:
            raise self.fail(ValueError(f"the value has {ndim} dimensions; at most "
                                       f"{MAX_DIMENSIONS} are supported"), node)


def constant(text: str) -> float | np.ndarray:
    """The value of a formula without variables (``pi/2``, ``eye(3)``, ``[[1], [2]]``): a
    float, or a float64 ndarray for arrays. Raises FormulaError as :func:`parse` does and
    when the text uses a variable."""
    formula = parse(text)
    if formula.variables:
        name = formula.variables[0]
        start, end = formula.first_use(name)
        hint = _suggest(name, list(CONSTANTS))
        raise FormulaUsageError(f"a value cannot use the variable {name}{hint}; write "
                                "numbers, pi, e, lists, eye(n), zeros(...), ones(...)",
                                formula.text, start, end)
    with np.errstate(all="ignore"):
        value = formula.evaluate({})
    if isinstance(value, np.ndarray):
        return value.astype(float) if value.ndim else float(value)
    return float(value)


def split_assignment(item: str, what: str = "--at") -> tuple[str, str]:
    """``"x1=pi/2"`` -> ``("x1", "pi/2")``; FormulaUsageError if it is not NAME=TEXT."""
    name, sep, rest = item.partition("=")
    name = name.strip()
    if not sep or not rest.strip():
        raise FormulaUsageError(f"{what} {item!r}: expected NAME=VALUE, e.g. x=1.5")
    if not _IDENTIFIER.match(name) or "__" in name:
        raise FormulaUsageError(f"{what} {item!r}: {name!r} is not a variable name "
                                "(letters, digits and _, not starting with a digit)")
    if name in FUNCTIONS or name in CONSTANTS:
        kind = "function" if name in FUNCTIONS else "constant"
        raise FormulaUsageError(f"{what} {item!r}: {name} is a {kind}; "
                                "choose another variable name")
    return name, rest.strip()
