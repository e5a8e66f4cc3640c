"""Differentiable counterparts of scipy's functions (the optional ``scipy`` extra).

``import chainrule.scipy.special`` gives rules to scipy.special's ufuncs, so that
``scipy.special.erf(t)`` on a Tensor returns a differentiable Tensor, and offers the same
functions under ``chainrule.scipy.special``. chainrule imports scipy only when one of
these modules is imported.
"""
