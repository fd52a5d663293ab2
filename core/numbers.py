"""Numbers read from text a person wrote (CSV cells, command-line options, environment variables,
YAML values), as every other program reads them.

Python's ``float()`` and ``int()`` accept ``_`` between digits (``float("0.2_5") == 0.25``,
``int("1_000") == 1000``), a spelling of Python source code alone: a spreadsheet, pandas, JSON and
YAML 1.2 read ``0.2_5`` as text, not as 0.25. A typo such as ``--threshold 0.2_5`` or a rating
cell ``0.2_5`` was silently a different number, so it is refused with a reason instead.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, GetCoreSchemaHandler

UNDERSCORE_REASON = "'_' is not allowed in a number (Python reads 0.2_5 as 0.25; no spreadsheet or JSON does)"


class NumberTextError(ValueError):
    """Text that is not a number; ``str()`` is the reason, naming the text."""


def _check(text: Any, kind: str) -> None:
    if isinstance(text, str | bytes | bytearray) and ("_" in text if isinstance(text, str) else b"_" in text):
        shown = text if isinstance(text, str) else bytes(text).decode("utf-8", "replace")
        raise NumberTextError(f"{shown.strip()!r:.60} is not {kind}: {UNDERSCORE_REASON}")


def parse_float(text: Any) -> float:
    """``float(text)``, refusing text with ``_`` in it. Raises ``NumberTextError`` (a ``ValueError``)
    for that, and ``float()``'s own ``ValueError`` / ``TypeError`` for the rest; a number (not text)
    is converted as ``float()`` does."""
    _check(text, "a number")
    return float(text)


def parse_int(text: Any) -> int:
    """``int(text)``, refusing text with ``_`` in it (``NumberTextError``); otherwise as ``int()``."""
    _check(text, "a whole number")
    return int(text)


def refusing_underscores(value: Any) -> Any:
    """``value`` unchanged, or ``NumberTextError`` for text with ``_`` in it: a ``BeforeValidator``
    for a number read outside a ``TextNumbers`` model (a ``TypeAdapter``'s)."""
    _check(value, "a number")
    return value


def strict_click_numbers() -> None:
    """Make the command line's number options refuse text with ``_`` in it: ``--timeout 1_0`` ran
    with 10. typer (0.29+) reads an option through a pydantic ``TypeAdapter`` (whose float reads
    '1_0' as 10.0), click through ``float()``/``int()``: both are checked before their own reading,
    and the message names the option and the reason: ``Invalid value for '--timeout': '1_0' is not
    a valid float: '_' is not allowed in a number (...)``. Idempotent; affects every command of the
    process."""
    import importlib

    for name in ("typer._click.types", "click.types"):
        try:
            types = importlib.import_module(name)
        except ImportError:
            continue
        base = getattr(types, "_NumberParamTypeBase", None)
        if base is not None and not getattr(base.convert, "_refuses_underscores", False):
            base.convert = _refusing_click(base.convert)
    try:
        from typer import _coercion
    except ImportError:
        return
    adapter = getattr(_coercion, "AdapterRuntimeParam", None)
    if adapter is not None and not getattr(adapter._coerce_value, "_refuses_underscores", False):
        adapter._coerce_value = _refusing_typer(adapter._coerce_value)


def _refusing_click(original: Any) -> Any:
    def convert(self: Any, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and "_" in value:
            self.fail(f"{value!r} is not a valid {self.name}: {UNDERSCORE_REASON}", param, ctx)
        return original(self, value, param, ctx)

    convert._refuses_underscores = True  # type: ignore[attr-defined]
    return convert


def _refusing_typer(original: Any) -> Any:
    import typing

    import typer

    def coerce(self: Any, value: Any, param: Any, ctx: Any) -> Any:
        kinds = [a for a in (typing.get_args(self.annotation) or (self.annotation,)) if a in (int, float)]
        for v in (value if isinstance(value, list | tuple) else [value]) if kinds else []:
            if isinstance(v, str) and "_" in v:
                kind = "float" if float in kinds else "integer"
                raise typer.BadParameter(f"{v!r} is not a valid {kind}: {UNDERSCORE_REASON}", ctx=ctx, param=param)
        return original(self, value, param, ctx)

    coerce._refuses_underscores = True  # type: ignore[attr-defined]
    return coerce


# Schema keys whose values are not validation schemas (a default value or a JSON-schema extra may
# hold a dict with a "type" key that is no schema).
_NOT_SCHEMA = frozenset({"metadata", "serialization", "config", "default", "expected", "cls", "ref",
                         "json_schema_extra", "examples"})
_KINDS = {"float": "a number", "int": "a whole number", "decimal": "a number"}


def _refusing_schema(schema: Any, inside: bool = False) -> Any:
    """A copy of a pydantic core schema in which every number schema (float, int, decimal) first
    refuses text with ``_`` in it; the rest (bounds, strictness, unions, containers) is unchanged. A
    model nested in ``schema`` is left as its class made it (pydantic inlines some nested models and
    refers to others, so descending would check a model's numbers or not by pydantic's choice). A
    fusion artifact's estimator arrays (~700,000 numbers, machine-written) are not models of this
    kind: they read numbers strictly, refusing any quoted one in pydantic-core
    (``fusion.estimators.Fitted``), where a check here cost ~20 ms a 44,000 numbers."""
    if isinstance(schema, list):
        return [_refusing_schema(s, inside) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "model":  # the model itself (maybe under its model validators), then no other
        if inside:
            return schema
        inside = True
    out = {k: (v if k in _NOT_SCHEMA else _refusing_schema(v, inside)) for k, v in schema.items()}
    kind = _KINDS.get(out.get("type"))  # type: ignore[arg-type]
    if kind is None:
        return out
    from pydantic_core import core_schema

    def refuse(value: Any) -> Any:
        _check(value, kind)
        return value

    return core_schema.no_info_before_validator_function(refuse, out)


class TextNumbers(BaseModel):
    """Base of the models that read what a person or another program wrote (specs, gates.yaml,
    signal specs, thresholds, fusion.json, settings, request bodies): each of its number fields
    (``float``, ``int``, in ``Optional``, unions, lists, dicts and tuples) refuses a quoted number
    with ``_`` in it, where pydantic's lax reading takes ``"0.2_5"`` as 0.25 and ``"1_0"`` as 10 (it
    reads text as ``float()`` does). The refusal is a ``ValidationError`` at the field's location
    whose message is ``'0.2_5' is not a number: '_' is not allowed in a number (...)``. A model
    nested in one must derive from ``TextNumbers`` itself: only the model's own fields are checked."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return _refusing_schema(handler(source))
