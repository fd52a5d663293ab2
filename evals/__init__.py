"""Evaluation harness: score a tagger against gold sets, compare two runs, gate regressions.

By concept: ``spec`` / ``gold`` (what the tagger may see, what the answers are), ``run``
(``liner eval``: tag through the same graph, resumable), ``metrics`` + ``bootstrap`` +
``scoring`` (per-field scores with clustered 95% intervals), ``record`` (the RunRecord JSON),
``gate`` + ``report`` + ``plots`` (``liner gate``: paired comparison, PR summary, HTML).
"""
