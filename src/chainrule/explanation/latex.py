"""An explanation as LaTeX, in the homework's own form: the gate table
(``f(x) = \\frac{1}{x} \\quad \\frac{df}{dx} = -\\frac{1}{x^{2}}``), the forward and backward
steps in ``align*`` environments, and the final gradients (``amsmath``).

Formulas come from the rule table as text in the formula language; they are read with
:mod:`ast` (never evaluated) and written as LaTeX. A formula that is prose ("1 at the
maximum") is set as ``\\text{...}``.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import numpy as np

from ..formatting import fmt, number

_FUNCTIONS = {"sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "exp": r"\exp", "log": r"\log",
              "tanh": r"\tanh", "sigmoid": r"\sigma", "max": r"\max", "min": r"\min"}
_NAME = re.compile(r"([A-Za-z])(\d+)\Z")
_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\^{}",
                 "#": r"\#", "%": r"\%", "&": r"\&", "$": r"\$", "~": r"\textasciitilde{}",
                 "|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}"}
_NORM = re.compile(r"\|\|([^|]+)\|\|")
# precedence of what an expression is, to decide parentheses
_SUM, _PRODUCT, _SIGN, _ATOM = 1, 2, 3, 5


def text(s: str) -> str:
    """``s`` as upright text inside math: ``\\text{...}`` with LaTeX's specials escaped."""
    return r"\text{" + "".join(_TEXT_ESCAPES.get(c, c) for c in s) + "}"


def name(s: str) -> str:
    """A variable name: ``x1`` -> ``x_{1}``, ``pi`` -> ``\\pi``, ``W`` -> ``W``."""
    m = _NAME.match(s)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    if s == "pi":
        return r"\pi"
    if len(s) == 1:
        return s
    return r"\mathrm{" + s.replace("_", r"\_") + "}"


def formula(src: str) -> str:
    """A formula of the formula language as LaTeX (``-1/x**2`` -> ``-\\frac{1}{x^{2}}``);
    prose, or text that is not a formula, as ``\\text{...}``."""
    src = _NORM.sub(r"norm(\1)", src)
    try:
        return _tex(ast.parse(src.strip(), mode="eval").body)[0]
    except (SyntaxError, _NotMath):
        parts = [p.split(" = ", 1) for p in src.split(", ")]
        try:
            if len(parts) > 1:
                return r",\quad ".join(" = ".join(
                    _tex(ast.parse(q.strip(), mode="eval").body)[0] for q in p) for p in parts)
        except (SyntaxError, _NotMath):
            pass
        return text(src)


class _NotMath(Exception):
    pass


def _paren(s: tuple[str, int], least: int) -> str:
    return rf"\left({s[0]}\right)" if s[1] < least else s[0]


def _tex(n: ast.expr) -> tuple[str, int]:
    if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) \
            and not isinstance(n.value, bool):
        return value(n.value), _ATOM
    if isinstance(n, ast.Name):
        return name(n.id), _ATOM
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
        sign = "-" if isinstance(n.op, ast.USub) else "+"
        return sign + _paren(_tex(n.operand), _PRODUCT), _SIGN
    if isinstance(n, ast.BinOp):
        if isinstance(n.op, ast.Div):
            left = n.left
            if isinstance(left, ast.UnaryOp) and isinstance(left.op, ast.USub):
                return rf"-\frac{{{_tex(left.operand)[0]}}}{{{_tex(n.right)[0]}}}", _SIGN
            return rf"\frac{{{_tex(left)[0]}}}{{{_tex(n.right)[0]}}}", _ATOM
        if isinstance(n.op, ast.Pow):
            return f"{_paren(_tex(n.left), _ATOM)}^{{{_tex(n.right)[0]}}}", _ATOM
        a, b = _tex(n.left), _tex(n.right)
        if isinstance(n.op, (ast.Add, ast.Sub)):
            op = " + " if isinstance(n.op, ast.Add) else " - "
            return a[0] + op + _paren(b, _PRODUCT if op == " - " else _SUM), _SUM
        if isinstance(n.op, (ast.Mult, ast.MatMult)):
            joint = r" \cdot " if isinstance(n.op, ast.Mult) else " "
            return _paren(a, _PRODUCT) + joint + _paren(b, _PRODUCT + 1), _PRODUCT
        raise _NotMath
    if isinstance(n, ast.Attribute) and n.attr == "T":
        return _paren(_tex(n.value), _ATOM) + r"^{\top}", _ATOM
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and not n.keywords:
        args = [_tex(a)[0] for a in n.args]
        fn = n.func.id
        if fn == "sqrt" and len(args) == 1:
            return rf"\sqrt{{{args[0]}}}", _ATOM
        if fn == "norm" and len(args) == 1:
            return rf"\lVert {args[0]} \rVert", _ATOM
        if fn == "abs" and len(args) == 1:
            return rf"\left|{args[0]}\right|", _ATOM
        head = _FUNCTIONS.get(fn, r"\operatorname{" + fn.replace("_", r"\_") + "}")
        return head + "(" + ", ".join(args) + ")", _ATOM
    raise _NotMath


def value(v: Any) -> str:
    """A number or array as LaTeX: ``6.12323 \\times 10^{-17}``; small arrays as
    ``bmatrix``, large ones as their summary."""
    if isinstance(v, np.ndarray) and v.ndim > 0:
        if v.size > 12 or v.ndim > 2:
            return text(fmt(v))
        rows = v.reshape(1, -1) if v.ndim == 1 else v
        body = r" \\ ".join(" & ".join(_num(number(x, 4)) for x in row) for row in rows)
        return r"\begin{bmatrix}" + body + r"\end{bmatrix}"
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    try:
        return _num(fmt(float(v)))
    except (TypeError, ValueError):
        return text(str(v))


def _num(s: str) -> str:
    mantissa, e, exponent = s.partition("e")
    if not e:
        return {"inf": r"\infty", "-inf": r"-\infty", "nan": text("nan")}.get(s, s)
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def _gate(g: dict) -> str:
    head, _, expr = g["gate"].partition(" = ")
    symbols = list(g["derivatives"])
    one = len(symbols) == 1
    derivs = []
    for s, d in g["derivatives"].items():
        frac = rf"\frac{{df}}{{d{name(s)}}}" if one else \
            rf"\frac{{\partial f}}{{\partial {name(s)}}}"
        derivs.append(f"{frac} = {formula(d)}")
    args = ", ".join(name(s) for s in symbols)
    left = f"f({args})" if head.startswith("f(") else formula(head)
    return f"{left} = {formula(expr)}" + (r" \quad " + r", \quad ".join(derivs)
                                          if derivs else "")


def _bar(n: str) -> str:
    m = _NAME.match(n)
    if m:
        return rf"\bar{{{m.group(1)}}}_{{{m.group(2)}}}"
    return rf"\overline{{{name(n)}}}"


def _expressions(e: Any) -> dict[str, str]:
    """Each gate's expression in the graph's names (``x2 * w2``), from the explanation's
    trace."""
    trace = getattr(e, "_trace", None)
    if trace is None:
        return {}
    from .formulas import _node_mapping, substitute
    return {trace.name(n): substitute(n.prim.expr, _node_mapping(trace, n))
            for n in trace.order if n.prim is not None and not n.prim.variadic}


def to_latex(e: Any, *, document: bool = False) -> str:
    """The explanation ``e`` as LaTeX: gates (``gather*``), forward and backward steps
    (``align*``) and gradients; ``document=True`` wraps it in a complete ``article``
    (needs ``amsmath``)."""
    out = [f"% chainrule: {e.title}", r"\begin{gather*}"]
    out.append(" \\\\\n".join(_gate(g) for g in e.gates) or text("(no gates)"))
    out += [r"\end{gather*}", r"\begin{align*}"]
    exprs = _expressions(e)
    lines = []
    for r in e.forward:
        if r.get("elided_before"):
            lines.append(r"&\vdots")
        if r["op"] in ("input", "constant"):
            lines.append(f"{name(r['node'])} &= {value(r['value'])} && {text(r['op'])}")
        elif r["node"] in exprs:
            lines.append(f"{name(r['node'])} &= {formula(exprs[r['node']])} = "
                         f"{value(r['value'])}")
        else:
            args = ", ".join(name(a) if re.match(r"[A-Za-z_]\w*\Z", a) else text(a)
                             for a in r["inputs"])
            lines.append(f"{name(r['node'])} &= \\operatorname{{{r['op'].split('(')[0]}}}"
                         f"({args}) = {value(r['value'])}")
    out.append(" \\\\\n".join(lines))
    out += [r"\end{align*}", r"\begin{align*}"]
    lines = [rf"&{text('backward: ')} \bar{{v}} = \frac{{\partial f}}{{\partial v}}, "
             rf"\quad \bar{{v}}_{{\mathrm{{input}}}} \mathrel{{+}}= \bar{{v}}_{{\mathrm{{node}}}}"
             rf" \cdot \frac{{\partial\, \mathrm{{node}}}}{{\partial\, \mathrm{{input}}}}"]
    for r in e.backward:
        if r.get("elided_before"):
            lines.append(r"&\vdots")
        up = rf"\underbrace{{{value(r['upstream'])}}}_{{{_bar(r['node'])}}}"
        if e.scalar:
            local = rf"\underbrace{{{value(r['local'])}}}_{{{formula(r['local_formula'])}}}"
            step = f"{up} \\cdot {local} = {value(r['contribution'])}"
        else:
            step = (f"{formula(r['vjp'])} = {value(r['contribution'])}"
                    rf" \quad (g = {_bar(r['node'])} = {value(r['upstream'])})")
        lines.append(f"{_bar(r['input'])} &\\mathrel{{+}}= {step} && "
                     f"{_bar(r['input'])} = {value(r['accumulated'])}")
    out.append(" \\\\\n".join(lines))
    out += [r"\end{align*}", r"\begin{gather*}"]
    out.append(" \\\\\n".join(
        rf"\frac{{\partial f}}{{\partial {name(g['node'])}}} = {value(g['grad'])}"
        for g in e.gradients) or text("(no inputs require a gradient)"))
    out.append(r"\end{gather*}")
    body = "\n".join(out) + "\n"
    if not document:
        return body
    return ("\\documentclass{article}\n\\usepackage{amsmath}\n"
            "\\usepackage[margin=2cm]{geometry}\n\\begin{document}\n"
            f"\\section*{{{text(e.title)[6:-1]}}}\n{body}\\end{{document}}\n")


__all__ = ["formula", "name", "text", "to_latex", "value"]
