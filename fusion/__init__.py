"""Fusion: learned combiners that turn tool evidence and the LLM's draft into field values with
calibrated probabilities (one combiner per field *kind*), fitted on gold by ``liner fit``."""
