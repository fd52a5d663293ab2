"""Running the graph over a catalog: one run preparation (``prepare``) and the runners that only
schedule (``runner`` in one process, ``parallel`` over worker processes), dry-run planning
(``plan``) and progress lines (``progress``). Beam and the online service live beside it."""
