"""Imported by the forkserver that starts a sweep's local worker processes.

Importing this module loads what a block's computation needs (NumPy and the
core modules: not xarray, pandas or Zarr, about 0.15 s in all) and trains one
network for one epoch, so that every worker forked from the server starts
ready to train in milliseconds.
"""

import numpy as np

from .tasks import BlockTask, compute_block

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
