"""Text evidence tools: lexicon valence and language identification (pure functions, no network)."""
