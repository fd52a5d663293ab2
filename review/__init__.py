"""Annotator review of disagreements: queue (``queue``), store (``store``), agreement metrics
(``agreement``), export of the next gold version (``export``) and the web UI (``web``)."""
