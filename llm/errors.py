"""The one exception an LLM call raises once its retries are spent."""

from __future__ import annotations

from linernotes.schema import Usage


class LLMError(Exception):
    """A call that failed for good, after the retries it deserved. ``kind`` is the failure
    (``config``, ``rate_limit``, ``timeout``, ``auth``, ``connection`` ... see ``client.classify``);
    ``usage`` is what the attempts cost; the message is redacted by the client that raises it."""

    def __init__(self, kind: str, message: str, usage: Usage | None = None):
        super().__init__(message)
        self.kind = kind
        self.usage = usage or Usage()
