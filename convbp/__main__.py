"""``python -m convbp``: see :mod:`convbp.cli`."""

from .cli import main

raise SystemExit(main())
