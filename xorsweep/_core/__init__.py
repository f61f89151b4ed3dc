"""Checks and utilities that every layer may use: argument checks, NumPy
compatibility, deferred interrupts, output paths. Imports nothing of the package.
"""
