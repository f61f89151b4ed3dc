"""Imported by the forkserver that starts a sweep's local worker processes.

Importing this module loads the package and trains one network for one epoch,
so that the lazy imports of the first training (xarray loads its duck-array
modules, about a third of a second) happen once in the server, and every
worker forked from it starts ready to train in milliseconds. The sweep's own
process imports it too while the forkserver starts, so that it pays for those
imports (it needs them for the results) while it would otherwise wait.
"""

import numpy as np

from .sweep import BlockTask, compute_block

try:
    compute_block(
        BlockTask(
            hidden_std=np.ones(1),
            output_std=np.ones(1),
            lr=np.full(1, 0.1),
            lo=np.zeros(1, dtype=np.int64),
            hi=np.ones(1, dtype=np.int64),
            seed=0,
            epochs=1,
            update="article",
            data="xor",
            hidden=2,
        )
    )
except Exception:  # pragma: no cover - warming up is optional; workers then warm up themselves
    pass
