"""``python -m xorsweep.cli``: the ``xorsweep`` command."""

import sys

from . import main

sys.exit(main())
