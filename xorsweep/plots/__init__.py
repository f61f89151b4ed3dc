"""Figures: the article's eight, two more, four on failure, four beyond it, all drawn from data.

Every ``plot_*`` function takes data and ``ax=None`` (or ``axes=None`` when it
draws more than one panel), draws, and returns what it drew on: an Axes, or a
tuple of Axes for the two-panel figures 5 and 9. Nothing here saves a file;
the caller (the ``xorsweep figures`` command, a notebook) decides where a
figure goes. Nothing here computes the data either: :func:`figure_data`
(from :mod:`xorsweep.analysis.figure_data`, re-exported here) gathers the data of all
ten figures from a sweep's results, and :func:`article_figures` draws them.

This package is the only one that imports matplotlib and seaborn, and
``import xorsweep`` does not import it: use ``import xorsweep.plots``.

Theme and colours
-----------------
One seaborn theme (``whitegrid`` style, ``notebook`` context, ``deep``
palette) is applied by :func:`theme`, a context manager that every ``plot_*``
function enters while it draws; it never changes matplotlib's global settings.
Use ``with theme():`` to draw your own figures in the same style.

:data:`COLORS` fixes what each colour means:

* ``class0``, ``class1`` (blue, orange): the XOR points in the input plane
  (x1, x2) by target, figure 1.
* ``y0``, ``y1`` (purple, green): the output space (y-hat, y), figures 3 to 5;
  deliberately not the input plane's colours, as the article asks. Figure 3's
  colour map (viridis) runs from purple to green to yellow.
* ``boundary`` (black): a hidden neuron's decision line, figure 1.
* ``data`` (blue): measured means, medians and rates, figures 8 to 10.
* ``glorot`` (black): the vertical line at Glorot's std of the data's
  network, figures 8 to 10: 1/sqrt(2) for the article's 2-2-1 network,
  ``sqrt(2 / (2 + 4))`` for width 4.
* ``optimum`` (green, darker than ``y1``): the fitted minimum and its
  confidence band, figure 8 (the article's green line).
* ``fit`` (red): the fitted curve, figure 8.

The figures on failure (:func:`plot_survival`, :func:`plot_end_states`,
:func:`plot_basin_map`, :func:`plot_basin_growth`) draw the results of
:func:`xorsweep.survival_curves`, :func:`xorsweep.state_shares` and
:func:`xorsweep.basin_map`. :data:`STATE_COLORS` gives each end state its colour
(converged green, stuck red, plateau purple, symmetric orange, slow blue, other
grey); survival curves go from light to dark as the hidden std grows (seaborn's
``flare``); a basin map's convergence epoch uses viridis on a log scale, with
``never`` (light grey) for networks not converged and a white star (``reference``)
on the reference network.

The depth study's figures (:func:`plot_gain_loss`, :func:`plot_optimum_vs_depth`,
:func:`plot_lr_gain_map`) draw :func:`xorsweep.studies.depth.run.analyse_depth`'s points
and optima on a gain-over-Glorot axis, each rule's gain a vertical line styled by
:data:`DEPTH_RULE_STYLES`.

The figures beyond the article's line (:func:`plot_loss_map`,
:func:`plot_optimum_vs_width`, :func:`plot_gradient_conventions`,
:func:`plot_optimum_by_setting`) draw summaries and fits over the study's
axes (``output_std``, ``hidden``, ``activation``, ``gradient``, ``bias``), with
what to mark computed by :mod:`xorsweep.analysis.beyond_figure_data`;
:func:`beyond_figure_data` (re-exported here) summarizes and fits the study's
results and :func:`beyond_figures` draws those it has data for. Each rule of
:data:`xorsweep.model.initialization.INIT_RULES` has a colour and a marker
(:data:`RULE_STYLES`); rules giving the same std share one mark, named
together. The fitted optimum is green (``optimum``), a star on the loss map.

Labels
------
Every figure says what its data stand for: under its title, the task, width,
activation, output std, learning rate and epochs that the data hold (their
scalar coordinates, else their attributes); its axes are named from the
variables' CF attributes (:mod:`xorsweep._core.cf_attrs`); the rule it marks is
computed for the data's own network. All of it comes from one module,
``xorsweep.plots._labels``; nothing is taken from the article's defaults
where the data say otherwise.

Families of curves over any grid dimension (learning rate, width, activation,
...): :func:`plot_loss_vs_std` with ``hue=`` / ``col=`` (or
:func:`plot_loss_family`) draws each slice's means, fitted curve and band;
:func:`plot_optimum_vs` draws each slice's optimum against a dimension with
the rules, as lines where they depend on it and as marks otherwise.

Figures 6 and 7 use seaborn's ``Paired`` palette: one hue per parameter role
(weight from x1, weight from x2, bias, output weight), light for hidden
neuron 1 and dark for hidden neuron 2, solid lines for neuron 1 and dashed
for neuron 2; the output bias is purple.
"""

from __future__ import annotations

from ..analysis.beyond_figure_data import (
    BEYOND_FIGURE_NAMES,
    BEYOND_FIGURE_TITLES,
    BeyondFigureData,
    beyond_figure_data,
)
from ..analysis.figure_data import FIGURE_NAMES, FORMATS, FigureData, check_format, figure_data
from ..model.network import GLOROT_STD  # 1/sqrt(2): figures 8 to 10's black line, article's network
from ._article import article_figures
from ._beyond import (
    beyond_figures,
    plot_gradient_conventions,
    plot_loss_map,
    plot_optimum_by_setting,
    plot_optimum_vs_width,
)
from ._depth import DEPTH_RULE_STYLES, plot_gain_loss, plot_lr_gain_map, plot_optimum_vs_depth
from ._failure import plot_basin_growth, plot_basin_map, plot_end_states, plot_survival
from ._family import plot_loss_family, plot_optimum_vs
from ._formulas import plot_bce, plot_bernoulli, plot_sigmoid
from ._network import plot_training, plot_weight_evolution, plot_xor_boundaries
from ._style import COLORS, RULE_STYLES, STATE_COLORS, theme
from ._sweep import plot_converged_epoch, plot_failure_rate, plot_loss_vs_std

__all__ = [
    "BEYOND_FIGURE_NAMES",
    "BEYOND_FIGURE_TITLES",
    "BeyondFigureData",
    "COLORS",
    "DEPTH_RULE_STYLES",
    "FIGURE_NAMES",
    "FORMATS",
    "GLOROT_STD",
    "RULE_STYLES",
    "STATE_COLORS",
    "FigureData",
    "article_figures",
    "beyond_figure_data",
    "beyond_figures",
    "check_format",
    "figure_data",
    "plot_basin_growth",
    "plot_basin_map",
    "plot_bce",
    "plot_bernoulli",
    "plot_converged_epoch",
    "plot_end_states",
    "plot_failure_rate",
    "plot_gain_loss",
    "plot_gradient_conventions",
    "plot_loss_map",
    "plot_lr_gain_map",
    "plot_loss_family",
    "plot_loss_vs_std",
    "plot_optimum_by_setting",
    "plot_optimum_vs",
    "plot_optimum_vs_depth",
    "plot_optimum_vs_width",
    "plot_sigmoid",
    "plot_survival",
    "plot_training",
    "plot_weight_evolution",
    "plot_xor_boundaries",
    "theme",
]
