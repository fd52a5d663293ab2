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


class RelayedError(Exception):
    """An HTTP exchange the run's process made for a worker and could not complete
    (``llm.relay``). ``kind``: ``client.classify``'s kind for the original exception;
    ``relayed_name``: its class name, which the error record names."""

    def __init__(self, kind: str, name: str, detail: str):
        super().__init__(detail)
        self.kind, self.relayed_name = kind, name
