"""The model layer: networks and their populations, truth tables, activations and
initialisation rules. Imports only ``xorsweep._core``.
"""
