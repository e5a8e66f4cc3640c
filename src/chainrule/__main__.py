"""``python -m chainrule``: the same as the ``chainrule`` command."""

import sys

from .cli.main import main

if __name__ == "__main__":  # importing the module (as the API docs build does) runs nothing
    sys.exit(main())
