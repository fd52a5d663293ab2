"""Point a YAML spec's errors at their line: one shared mapper for every YAML spec loader (declared
signals, gold specs).

``yaml_lines(text)`` composes the document once and maps every key path (pydantic's ``loc``, e.g.
``("tasks", 0, "gold_field")``) to the 1-based line its key or list item starts on;
``line_of`` walks a path up to its nearest ancestor present (a *missing* key is reported at the
mapping that lacks it). ``pydantic_reason`` turns one pydantic error into ``(loc, reason)``.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

import yaml
from pydantic import BeforeValidator

from linernotes.schema import error_message
from linernotes.tools.yaml_text import alias_expansion, underscore_number, underscore_reason

Lines = dict[tuple[Any, ...], int]


SECOND_DOCUMENT = "a second YAML document ('---') starts here; a file holds one document"


class YamlSyntaxError(ValueError):
    """The text is not YAML: ``line`` (1-based) and ``reason`` say where and why."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class KeyedError(ValueError):
    """A cross-field problem that belongs to one key path, raised inside a pydantic validator so the
    loader can point at that key's line instead of the document's first line."""

    def __init__(self, key: str | tuple[Any, ...], message: str) -> None:
        super().__init__(message)
        self.loc: tuple[Any, ...] = (key,) if isinstance(key, str) else tuple(key)

    @property
    def key(self) -> str:
        return ".".join(map(str, self.loc))


def node_lines(node: yaml.Node, path: tuple[Any, ...] = ()) -> Lines:
    """Every key path of a composed YAML node -> the 1-based line its key (or item) starts on."""
    out = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = (*path, k.value)
            out[key] = k.start_mark.line + 1
            out.update({p: n for p, n in node_lines(v, key).items() if p != key})
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out.update(node_lines(v, (*path, i)))
    return out


def check_unique_keys(node: yaml.Node) -> None:
    """Raise ``YamlSyntaxError`` at the second of two equal keys in one mapping: YAML loaders keep
    the last silently, so ``name: decade`` then ``name: other`` declared a signal named other."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                line = k.start_mark.line + 1
                if k.value in seen:
                    raise YamlSyntaxError(line, f"key '{k.value}' is given twice (lines {seen[k.value]} and "
                                                f"{line}); keep one")
                seen[k.value] = line
            check_unique_keys(v)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            check_unique_keys(v)


def load_with_lines(text: str) -> tuple[Any, Lines]:
    """``(yaml.safe_load(text), key path -> line)``; ``(None, {})`` for an empty document. Raises
    ``YamlSyntaxError`` (with the parser's line) for text that is not YAML, and for a key given
    twice in one mapping (``check_unique_keys``), for aliases that expand past
    ``tools.yaml_text.MAX_ALIAS_NODES`` (the mapper below walks every alias's subtree again), and
    for an unquoted number with '_' in it (``tools.yaml_text.underscore_number``)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        # on the composed nodes (aliases shared, not expanded), before the walks below expand them
        if (bomb := alias_expansion(text, root=root)) is not None:
            raise YamlSyntaxError(bomb.line, bomb.reason())
        if (odd := underscore_number(text, root)) is not None:  # 'review_threshold: 0.2_5' was 0.25
            raise YamlSyntaxError(odd[0], underscore_reason(odd[1]))
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = str(getattr(e, "problem", None) or e)
        if "another document" in reason:  # yaml's 'expected a single document ... but found another document'
            reason = SECOND_DOCUMENT
        raise YamlSyntaxError(line, reason) from None
    if root is None:
        return data, {}
    check_unique_keys(root)
    return data, node_lines(root)


def line_of(lines: Lines, path: tuple[Any, ...]) -> int:
    """The line of ``path``, or of its nearest ancestor present in ``lines`` (1 when none is)."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def format_loc(loc: tuple[Any, ...]) -> str:
    """``("tasks", 0, "gold_field")`` -> ``tasks[0].gold_field`` (how the YAML reads)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def pydantic_reason(err: dict[str, Any]) -> tuple[tuple[Any, ...], str]:
    """One entry of ``ValidationError.errors()`` -> ``(key path, reason)``: a ``KeyedError``'s own
    key path when a validator raised one, "required key is missing" for a missing key, "unknown key"
    for a forbidden extra, and what YAML read when a string was expected."""
    ctx = (err.get("ctx") or {}).get("error")
    loc = tuple(err["loc"])
    if isinstance(ctx, KeyedError):
        loc = (*loc, *ctx.loc)
    msg = error_message(err)
    if err["type"] == "missing":
        msg = "required key is missing"
    elif err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "string_type" and isinstance(err.get("input"), (bool, int, float)):
        # YAML reads yes/no/on/off as booleans and 1970 as a number: say what it saw
        msg += f" (YAML read {err['input']!r}, a {type(err['input']).__name__}; quote it: '...')"
    return loc, msg


def first_reason(errors: list[dict[str, Any]]) -> tuple[tuple[Any, ...], str]:
    """``pydantic_reason`` of the error a person should read first: a misspelt key makes two
    errors (the unknown key and the required key it was meant to be); report the misspelling, at
    its own line, with the key it was likely meant to be."""
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    if not extra:
        return pydantic_reason(errors[0])
    loc, msg = pydantic_reason(extra[0])
    missing = [e["loc"][-1] for e in errors if e["type"] == "missing" and tuple(e["loc"][:-1]) == loc[:-1]]
    close = difflib.get_close_matches(str(loc[-1]), [str(m) for m in missing], n=1, cutoff=0.6)
    if close:
        msg += f" (did you mean {close[0]}?)"
    elif missing:
        msg += f" (missing: {', '.join(map(str, missing))})"
    return loc, msg


def not_a_boolean(value: Any) -> Any:
    """Refuse a YAML boolean where a number belongs: pydantic takes true as 1 and false as 0, so a
    signal's ``review_threshold: no`` ('do not review it') became 0.0 and nothing was ever routed,
    and ``range: [false, true]`` became [0, 1] (as ``evals.spec`` refuses it in gold specs)."""
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is not a number (YAML reads yes/no/on/off/true/false as true or "
                         "false): write the number")
    return value


# a number in a YAML file a person writes: any int or float, never a boolean
YamlNumber = Annotated[float, BeforeValidator(not_a_boolean)]
