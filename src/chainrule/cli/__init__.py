"""The ``chainrule`` command: the formula language, the commands and the demo."""
