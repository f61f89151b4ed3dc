"""The article's study: the reproduction's scales, analysis and title
(``run``); the command ``xorsweep reproduce`` writes what comes back.
"""
