"""The JSON Schema subset a TriggerEventBus declares for an event's ``data``, and its validator.

The same subset, order of checks and messages as the TypeScript validator (``lambda/core/event-schema.ts``):
``type`` (object, string, number, integer, boolean, array, null, or a list of them), ``properties``, ``required``,
``additionalProperties`` (true or false), ``enum`` and ``const`` (strings, numbers, booleans, null), ``minimum``,
``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``minLength``, ``maxLength`` (in code points), ``items``,
``minItems``, ``maxItems``, ``description`` and ``title``. ``pattern`` and ``$ref`` are refused. Validation visits
each value the schema describes once. ``test/fixtures/event-schema/cases.json`` holds the cases both read.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .js_text import js_number as _js_number, json_text as _json_text

FieldError = Tuple[str, str]
"""A failing field's path (``data.owner.team``) and what is wrong with it (``must be a string``)."""

MAX_BYTES = 4096
MAX_DEPTH = 32

_TYPES = ("object", "string", "number", "integer", "boolean", "array", "null")
_NUMBER_KEYWORDS = ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")
_COUNT_KEYWORDS = ("minLength", "maxLength", "minItems", "maxItems")
_KEYWORDS = frozenset(
    ("type", "properties", "required", "additionalProperties", "enum", "const")
    + _NUMBER_KEYWORDS + _COUNT_KEYWORDS + ("items", "description", "title")
)
_SUBSET = (
    "type, properties, required, additionalProperties, enum, const, minimum, maximum, exclusiveMinimum, "
    "exclusiveMaximum, minLength, maxLength, items, minItems, maxItems, description and title"
)
_REGEX_PROBLEM = (
    "is not supported: a regular expression from configuration can take more than linear time on an event; "
    "use enum, const or minLength/maxLength, or check the text in the pipeline"
)
_KEYWORD_PROBLEMS = {
    "pattern": _REGEX_PROBLEM,
    "patternProperties": _REGEX_PROBLEM,
    "$ref": "is not supported: write the referenced schema inline",
    "$defs": "is not supported: write the referenced schema inline",
    "definitions": "is not supported: write the referenced schema inline",
    "anyOf": "is not supported: use a list of types in type, or enum",
    "oneOf": "is not supported: use a list of types in type, or enum",
    "allOf": "is not supported: write the schemas as one",
}
_ARTICLES = {
    "object": "an object", "array": "an array", "string": "a string", "number": "a number",
    "integer": "an integer", "boolean": "a boolean", "null": "null",
}
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]+")


class Work:
    """Counts the validator's steps: tests read it to show the work grows with the data, not faster."""

    def __init__(self) -> None:
        self.steps = 0


def parse_event_schema(schema: object, path: str = "schema") -> Optional[FieldError]:
    """The first way ``schema`` is not a schema of the subset for an event's data, or None when it is one."""
    problem = _parse_node(schema, path, 0)
    if problem is not None:
        return problem
    assert isinstance(schema, dict)
    kind = schema.get("type")
    if not (kind == "object" or kind == ["object"]):
        return (f"{path}.type", "must be 'object': an event's data is an object of fields")
    size = len(json.dumps(schema, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        return (path, f"is {size} bytes as JSON, at most {MAX_BYTES} travel with each trigger: "
                      "shorten descriptions, or declare fewer fields")
    return None


def _parse_node(node: object, path: str, depth: int) -> Optional[FieldError]:
    if not isinstance(node, dict):
        return (path, "must be an object (a JSON Schema)")
    if depth >= MAX_DEPTH:
        return (path, f"nests deeper than {MAX_DEPTH} levels: flatten the schema")
    for key in node:
        if key not in _KEYWORDS:
            return (f"{path}.{key}", _KEYWORD_PROBLEMS.get(key, f"is not supported: the subset takes {_SUBSET}; remove it"))

    def at(keyword: str) -> str:
        return f"{path}.{keyword}"

    if "type" in node and not _is_type_list(node["type"]):
        return (at("type"), f"must be one of {', '.join(_TYPES)}, or a non-empty list of them without repeats")
    properties = node.get("properties")
    if "properties" in node:
        if not isinstance(properties, dict):
            return (at("properties"), "must be an object of field schemas")
        for name in _sorted(properties):
            if name == "__proto__":
                return (f"{at('properties')}.{name}", "names a JavaScript object internal: publish the value under another field name")
            problem = _parse_node(properties[name], f"{at('properties')}.{name}", depth + 1)
            if problem is not None:
                return problem
    if "required" in node:
        required = node["required"]
        if not isinstance(required, list) or not all(isinstance(name, str) for name in required) or len(set(required)) != len(required):
            return (at("required"), "must be a list of field names without repeats")
        for index, name in enumerate(required):
            if not isinstance(properties, dict) or name not in properties:
                return (f"{at('required')}[{index}]", f"names '{name}', which properties does not declare: declare it in properties")
    if "additionalProperties" in node and not isinstance(node["additionalProperties"], bool):
        return (at("additionalProperties"), "must be true or false (a schema for the other fields is not supported)")
    if "enum" in node:
        values = node["enum"]
        if (not isinstance(values, list) or not values or not all(_is_scalar(value) for value in values)
                or len({_json_text(value) for value in values}) != len(values)):
            return (at("enum"), "must be a non-empty list of strings, numbers, booleans or null without repeats")
    if "const" in node and not _is_scalar(node["const"]):
        return (at("const"), "must be a string, a number, a boolean or null")
    for keyword in _NUMBER_KEYWORDS:
        if keyword in node and not _is_number(node[keyword]):
            return (at(keyword), "must be a number (the bound itself)")
    for keyword in _COUNT_KEYWORDS:
        if keyword in node and not (_is_integer(node[keyword]) and node[keyword] >= 0):
            return (at(keyword), "must be a whole number of at least 0")
    if "items" in node:
        if isinstance(node["items"], list):
            return (at("items"), "must be one schema for every item (a list of schemas is not supported)")
        problem = _parse_node(node["items"], at("items"), depth + 1)
        if problem is not None:
            return problem
    for keyword in ("description", "title"):
        if keyword in node and not isinstance(node[keyword], str):
            return (at(keyword), "must be a string")
    return None


def validate_event_data(schema: Mapping[str, Any], value: object, path: str = "data", work: Optional[Work] = None) -> Optional[FieldError]:
    """The first way ``value`` fails ``schema`` (a schema ``parse_event_schema`` accepts), or None.

    At each value, in this order: ``type``, ``const``, ``enum``; then for a number its bounds, for a string its
    lengths, for a list its counts then each item in order, for an object each ``required`` field in listed order,
    each declared field present (by name, in UTF-16 code unit order), and, with ``additionalProperties: false``,
    the undeclared field that sorts first.
    """
    if work is not None:
        work.steps += 1
    if "type" in schema:
        types = [schema["type"]] if isinstance(schema["type"], str) else list(schema["type"])
        if not any(_has_type(value, kind) for kind in types):
            return (path, f"must be {_type_phrase(types)}")
    if "const" in schema and not _same_scalar(value, schema["const"]):
        return (path, f"must be {_json_text(schema['const'])}")
    if "enum" in schema and not any(_same_scalar(value, allowed) for allowed in schema["enum"]):
        return (path, f"must be one of {', '.join(_json_text(allowed) for allowed in schema['enum'])}")
    if _is_number(value):
        return _number_problem(schema, value, path)  # type: ignore[arg-type]
    if isinstance(value, str):
        return _length_problem(schema, value, path, work)
    if isinstance(value, list):
        return _list_problem(schema, value, path, work)
    if isinstance(value, dict):
        return _object_problem(schema, value, path, work)
    return None


def _number_problem(schema: Mapping[str, Any], value: float, path: str) -> Optional[FieldError]:
    if "minimum" in schema and value < schema["minimum"]:
        return (path, f"must be at least {_js_number(schema['minimum'])}")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        return (path, f"must be greater than {_js_number(schema['exclusiveMinimum'])}")
    if "maximum" in schema and value > schema["maximum"]:
        return (path, f"must be at most {_js_number(schema['maximum'])}")
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        return (path, f"must be less than {_js_number(schema['exclusiveMaximum'])}")
    return None


def _length_problem(schema: Mapping[str, Any], value: str, path: str, work: Optional[Work]) -> Optional[FieldError]:
    if "minLength" not in schema and "maxLength" not in schema:
        return None
    length = len(value)  # code points, as JSON Schema counts characters
    if work is not None:
        work.steps += len(value.encode("utf-16-le", "surrogatepass")) // 2
    if "minLength" in schema and length < schema["minLength"]:
        return (path, f"must be at least {_js_number(schema['minLength'])} characters long")
    if "maxLength" in schema and length > schema["maxLength"]:
        return (path, f"must be at most {_js_number(schema['maxLength'])} characters long")
    return None


def _list_problem(schema: Mapping[str, Any], value: List[Any], path: str, work: Optional[Work]) -> Optional[FieldError]:
    def items(count: float) -> str:
        return f"{_js_number(count)} item{'' if count == 1 else 's'}"

    if "minItems" in schema and len(value) < schema["minItems"]:
        return (path, f"must hold at least {items(schema['minItems'])}")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return (path, f"must hold at most {items(schema['maxItems'])}")
    if "items" not in schema:
        return None
    for index, item in enumerate(value):
        problem = validate_event_data(schema["items"], item, f"{path}[{index}]", work)
        if problem is not None:
            return problem
    return None


def _object_problem(schema: Mapping[str, Any], value: Dict[str, Any], path: str, work: Optional[Work]) -> Optional[FieldError]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    for name in schema.get("required", []):
        if work is not None:
            work.steps += 1
        if name not in value:
            return (field_path(path, name), "is required")
    for name in _sorted(properties):
        if name in value:
            problem = validate_event_data(properties[name], value[name], field_path(path, name), work)
            if problem is not None:
                return problem
    if schema.get("additionalProperties", True) is not False:
        return None
    first: Optional[str] = None
    for name in value:
        if work is not None:
            work.steps += 1
        if name not in properties and (first is None or _utf16(name) < _utf16(first)):
            first = name
    return None if first is None else (field_path(path, first), "is not declared in the schema, which allows no other fields")


def field_path(path: str, name: str) -> str:
    """``data.team``, or ``data["odd name"]`` for a name that does not read as a path."""
    return f"{path}.{name}" if _PLAIN_NAME.fullmatch(name) else f"{path}[{json.dumps(name, ensure_ascii=False)}]"


def _has_type(value: object, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return _is_number(value)
    if kind == "integer":
        return _is_integer(value)
    if kind == "boolean":
        return isinstance(value, bool)
    return value is None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_integer(value: object) -> bool:
    return _is_number(value) and float(value).is_integer()  # type: ignore[arg-type]


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, bool)) or _is_number(value)


def _same_scalar(value: object, allowed: object) -> bool:
    """Equal as JSON values: a boolean never equals a number, 1 equals 1.0."""
    if isinstance(value, bool) or isinstance(allowed, bool):
        return isinstance(value, bool) and isinstance(allowed, bool) and value == allowed
    if _is_number(value) and _is_number(allowed):
        return value == allowed
    if value is None or allowed is None:
        return value is None and allowed is None
    return isinstance(value, str) and isinstance(allowed, str) and value == allowed


def _is_type_list(kind: object) -> bool:
    if isinstance(kind, str):
        return kind in _TYPES
    return (isinstance(kind, list) and len(kind) > 0 and all(isinstance(k, str) and k in _TYPES for k in kind)
            and len(set(kind)) == len(kind))


def _type_phrase(types: Sequence[str]) -> str:
    words = [_ARTICLES[kind] for kind in types]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


def _sorted(names: Mapping[str, Any]) -> List[str]:
    """Names in UTF-16 code unit order, as JavaScript sorts them, so that the first error is the same in both."""
    return sorted(names, key=_utf16)
