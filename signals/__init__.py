"""Declared content signals: YAML specs, per-item evidence, the LLM answer schema, decisions."""
