"""Run the enrichment graph on Apache Beam (``pip install 'linernotes[beam]'``).

``EnrichItems(config)`` is the PTransform to drop into your own pipeline; ``run_beam`` is what
``liner tag --runner beam`` runs (read -> enrich -> write, same files as the local runner).
"""

from linernotes.beam import _quiet_import  # noqa: F401  (first: Beam imported without its apitools notice)
from linernotes.beam.pipeline import run_beam
from linernotes.beam.transforms import DEAD_LETTER, OK, EnrichBatchFn, EnrichItems

__all__ = ["DEAD_LETTER", "OK", "EnrichBatchFn", "EnrichItems", "run_beam"]
