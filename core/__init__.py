"""linernotes: tag and enrich a streaming catalog, and prove the tags are right."""

__version__ = "0.1.0"
