"""The LLM stack: one client (``client``: cache, retries, accounting, redaction) over transports
(``transports``: LiteLLM, OpenAI-compatible HTTP, the embedded engine). Imports ``schema`` only."""
