"""Metric families. Each builds, from aligned per-item inputs, a dict of bootstrap-ready
statistics (``w -> values``, see ``linernotes.evals.bootstrap``), per-item scores, and plot data."""
