"""The analysis layer: summaries, 1-D and 2-D fits, the article's claims,
statistics, survival, tails, end states and basins, and the data of the figures.
Imports the layers below (model, training, sweeps), never plots, studies or the CLI.
"""
