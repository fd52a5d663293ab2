"""A TEST DOUBLE for fault injection in the graph's tools: an exemplar source that raises for one
item. Never a real index: it finds no neighbours for any other text.

Why it exists: a batch of items shares one graph pass (``agents.graph``), so a test must prove
that one item's tool crashing (here inside the ``evidence`` step, as a bug or a corrupt index
would) gives that item the error record it would get alone and leaves the others untouched.
Put ``marker`` in an item's title; build the runtime, then ``dataclasses.replace(rt,
exemplars=RaisingExemplars(marker))``.
"""

from __future__ import annotations

from typing import Any


class InjectedFault(RuntimeError):
    """What ``RaisingExemplars`` raises (the record reads ``internal.InjectedFault``)."""


class RaisingExemplars:
    """Exemplar search and votes that raise ``InjectedFault`` for a text containing ``marker``
    and return nothing for any other."""

    def __init__(self, marker: str):
        self.marker = marker

    def __len__(self) -> int:
        """An exemplar index tells its size (the tools node records it as evidence): this one holds none."""
        return 0

    def _check(self, text: str) -> None:
        if self.marker in text:
            raise InjectedFault(f"injected tool fault for a text containing {self.marker!r}")

    def search(self, text: str, k: int = 3) -> list[Any]:
        self._check(text)
        return []

    def votes(self, text: str, k: int = 10) -> list[Any]:
        self._check(text)
        return []


class SlowExemplars(RaisingExemplars):
    """Exemplar search that takes ``seconds`` (in the worker thread the graph runs it in) for a
    text containing ``marker`` and finds nothing, at once, for any other; votes never wait. For
    proving that one item's slow tool does not hold back the calls of the others in its batch."""

    def __init__(self, marker: str, seconds: float):
        super().__init__(marker)
        self.seconds = seconds

    def search(self, text: str, k: int = 3) -> list[Any]:
        if self.marker in text:
            import time

            time.sleep(self.seconds)
        return []

    def votes(self, text: str, k: int = 10) -> list[Any]:
        return []
