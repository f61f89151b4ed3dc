"""Sweeps: many independently seeded runs at every point of a grid.

A sweep (:func:`xorsweep.sweep`) trains ``runs`` networks at each point of a
grid of hidden-layer standard deviations (the article's 400 values
``exp(linspace(-3, 4, 400))``), optionally crossed with grids of output-layer
stds, learning rates, hidden widths, activations, gradients and bias
initializations (each given as a list), and keeps each run's ``total_loss``,
``final_loss`` and ``converged_epoch``. The modules, in the order of the work:

* :mod:`~xorsweep.sweeps.config`: :class:`SweepConfig`, everything the numbers
  depend on, and :func:`article_grid`;
* :mod:`~xorsweep.sweeps.run`: :func:`sweep` and :func:`run_sweep`, which check
  the arguments, make or resume the results and drive the rest;
* :mod:`~xorsweep.sweeps.planning`: the work cut into chunks of results and
  blocks of runs; :mod:`~xorsweep.sweeps.sinks`: where finished blocks go;
* :mod:`~xorsweep.sweeps.execution`: blocks computed here, on local worker
  processes (:mod:`~xorsweep.sweeps.workers`) or on Dask; a block's own
  computation is :mod:`~xorsweep.sweeps.tasks`, all that a worker imports;
* :mod:`~xorsweep.sweeps.results`: :func:`replay`, :func:`point_setting`, :func:`allocate`,
  :func:`to_article_frame`.

Run ``r`` at the grid point ``(h, o, lr)`` starts from the standard normals of
``default_rng(SeedSequence(seed, spawn_key=(bits(h), bits(o), bits(lr), r)))``
(:mod:`xorsweep.sweeps.seeding`), so a run's numbers depend only on the seed, the
point and the run index: not on the other points, the block it was trained
in, the number of workers or the machine. The width, activation, gradient and
bias are not in the key: a network of any width takes its normals from the
same stream, and runs that differ only in activation, gradient or bias start
from the same normals (common random numbers for paired comparisons). This
package imports nothing here, so that a worker process loads only a block's
computation.
"""
