"""``python -m xorsweep``: the ``xorsweep`` command."""

import sys

from .cli import main

sys.exit(main())
