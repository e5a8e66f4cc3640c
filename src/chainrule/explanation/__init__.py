"""Explanations and pictures: the step tables of ``cr.explain`` and the graph drawings of
``cr.to_dot`` / ``cr.render``."""
