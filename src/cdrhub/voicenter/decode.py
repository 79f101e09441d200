"""Request body -> wire dicts, for each of Voicenter's encodings. Pure: bytes in, dicts out.

The encoding is read from the bytes first and the Content-Type second, because bodies with the
wrong Content-Type are seen in the wild. XML is parsed with defusedxml and no DTD is allowed,
which refuses entity bombs before any expansion.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

ENCODINGS = ("json", "xmlrpc", "form", "query")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


class DecodeError(ValueError):
    """The body cannot be read as CDRs. `encoding` is the one to answer in."""

    def __init__(self, reason: str, encoding: str) -> None:
        super().__init__(reason)
        self.encoding = encoding


@dataclass(frozen=True, slots=True)
class Decoded:
    encoding: str
    records: list[dict[str, Any]]
    # Each record's own exact bytes, where the body holds several and they can be told apart
    # (a JSON array); None: the records share the body.
    parts: list[bytes] | None = None


def encoding_for(content_type: str | None, body: bytes) -> str:
    """The encoding a request is in, for reading it and for answering in kind."""
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "json"
    if head[:1] == b"<":
        return "xmlrpc"
    ctype = (content_type or "").lower()
    if "json" in ctype:
        return "json"
    if "xml" in ctype:
        return "xmlrpc"
    if not body.strip():
        return "query"
    return "form"


def decode(body: bytes, content_type: str | None, query: str = "") -> Decoded:
    """Read the CDRs a request carries: a body in any encoding, or fields in the query string."""
    encoding = encoding_for(content_type, body)
    if encoding == "json":
        return _decode_json(body)
    if encoding == "xmlrpc":
        return Decoded("xmlrpc", _decode_xmlrpc(body))
    if encoding == "query":
        fields = decode_form(query, drop={"token"}, encoding="query")
        if not fields:
            raise DecodeError("empty request: no body and no fields in the query string", "json")
        return Decoded("query", [fields])
    try:
        text = body.decode("utf-8").strip()  # a raw newline is never part of a value
    except UnicodeDecodeError as exc:
        raise DecodeError(f"form body is not UTF-8: {exc}", "form") from exc
    fields = decode_form(text, encoding="form")
    if not fields:
        raise DecodeError("form body has no fields", "form")
    return Decoded("form", [fields])


def _decode_json(body: bytes) -> Decoded:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"invalid JSON: {exc}", "json") from exc
    split = _array_items(text)
    if split is not None:
        records, parts = split
        return Decoded("json", _objects(records), [p.encode() for p in parts])
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise DecodeError(f"invalid JSON: {exc}", "json") from exc
    except RecursionError:
        # Nested deeper than the parser's stack allows: each array or object below
        # `DEEP_AS_TEXT` levels is read as a string holding its text.
        try:
            data = json.loads(_deep_as_text(text, DEEP_AS_TEXT))
        except (ValueError, RecursionError) as exc:
            raise DecodeError("invalid JSON: nested too deeply to read", "json") from exc
    return Decoded("json", _objects(data if isinstance(data, list) else [data]))


def _objects(records: list[Any]) -> list[dict[str, Any]]:
    if not records:
        raise DecodeError("JSON array holds no CDR", "json")
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            kind = type(record).__name__
            raise DecodeError(f"JSON item {index} is a {kind}, not an object", "json")
    return records


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def _array_items(text: str) -> tuple[list[Any], list[str]] | None:
    """The items of a JSON array of two or more items, each with its own exact text; None when
    the text is anything else or not valid JSON (then `json.loads` reads it, or says why not)."""
    at = _SPACE.match(text).end()  # type: ignore[union-attr]
    if not text.startswith("[", at):
        return None
    at = _SPACE.match(text, at + 1).end()  # type: ignore[union-attr]
    items: list[Any] = []
    parts: list[str] = []
    try:
        while True:
            item, end = _DECODER.raw_decode(text, at)
            items.append(item)
            parts.append(text[at:end])
            at = _SPACE.match(text, end).end()  # type: ignore[union-attr]
            if text.startswith(",", at):
                at = _SPACE.match(text, at + 1).end()  # type: ignore[union-attr]
            elif text.startswith("]", at):
                break
            else:
                return None
    except (ValueError, RecursionError):
        return None
    if len(items) < 2 or _SPACE.match(text, at + 1).end() != len(text):  # type: ignore[union-attr]
        return None
    return items, parts


# Levels of JSON read as such when a body nests deeper than the parser can go; the rest is text.
DEEP_AS_TEXT = 64
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _deep_as_text(text: str, limit: int) -> str:
    """`text` with every array or object nested deeper than `limit` replaced by a JSON string
    of its text. One pass over the brackets outside strings, no recursion; text that is not
    JSON stays as it is, for the parser to refuse."""
    out: list[str] = []
    done = depth = 0
    start: int | None = None
    for token in _JSON_TOKEN.finditer(text):
        mark = token.group()
        if mark[0] == '"':
            continue
        if mark in "[{":
            depth += 1
            if depth == limit + 1:
                start = token.start()
            continue
        if depth == limit + 1 and start is not None:
            out.append(text[done:start])
            out.append(json.dumps(text[start : token.end()], ensure_ascii=False))
            done, start = token.end(), None
        depth -= 1
    out.append(text[done:])
    return "".join(out)


def decode_form(
    text: str, drop: frozenset[str] | set[str] = frozenset(), encoding: str = "form"
) -> dict[str, Any]:
    """Form fields, with PHP/qs bracketed keys (`IVR[0][layer_id]`) nested into dicts."""
    result: dict[str, Any] = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"a {encoding} field is not UTF-8 once unquoted", encoding) from exc
    for key, value in pairs:
        if key in drop:
            continue
        head, _, rest = key.partition("[")
        if not rest or not head:
            result[key] = value
            continue
        path = [head, *_BRACKETS.findall("[" + rest)]
        node = result
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = value
    return result


def _decode_xmlrpc(body: bytes) -> list[dict[str, Any]]:
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise DecodeError(f"XML refused: {exc.__class__.__name__}", "xmlrpc") from exc
    except SafeET.ParseError as exc:
        raise DecodeError(f"invalid XML: {exc}", "xmlrpc") from exc
    if root.tag != "methodCall":
        raise DecodeError(f"XML-RPC body must be a methodCall, not <{root.tag}>", "xmlrpc")
    value = root.find("params/param/value")
    if value is None:
        raise DecodeError("methodCall has no params", "xmlrpc")
    try:
        data = xmlrpc_value(value)
    except (ValueError, TypeError) as exc:
        raise DecodeError(f"invalid XML-RPC value: {exc}", "xmlrpc") from exc
    records = data if isinstance(data, list) else [data]
    if not records or not all(isinstance(r, dict) for r in records):
        raise DecodeError("the first param is not a struct of CDR fields", "xmlrpc")
    return records


def xmlrpc_value(value: Element) -> Any:
    """One XML-RPC <value>, in the types the spec names; bare text is a string. Read with a
    loop, not recursion, so that arrays and structs nested however deep are read."""
    holder: list[Any] = [None]
    todo: list[tuple[Element, Any, Any]] = [(value, holder, 0)]  # (<value>, into, key)
    while todo:
        element, into, key = todo.pop()
        children = list(element)
        if not children:
            into[key] = element.text or ""
            continue
        node = children[0]
        tag = node.tag
        out: Any
        if tag == "array":
            items = node.findall("data/value")
            out = [None] * len(items)
            todo.extend((items[i], out, i) for i in range(len(items) - 1, -1, -1))
        elif tag == "struct":
            out = {}
            members = []
            for member in node.findall("member"):
                name, val = member.find("name"), member.find("value")
                if name is not None and val is not None:
                    out[name.text or ""] = None  # the members' order; a repeated name: the last
                    members.append((val, out, name.text or ""))
            todo.extend(reversed(members))
        else:
            out = _xmlrpc_scalar(tag, node.text or "")
        into[key] = out
    return holder[0]


def _xmlrpc_scalar(tag: str, text: str) -> Any:
    if tag in ("int", "i4", "i8", "double"):
        number = text.strip()
        if not number.isascii():  # int() and float() read other scripts' digits too
            raise ValueError(f"<{tag}> holds more than ASCII digits")
        return int(number) if tag != "double" else float(number)
    if tag == "boolean":
        return text.strip() in ("1", "true")
    if tag in ("string", "dateTime.iso8601"):
        return text
    if tag == "nil":
        return None
    if tag == "base64":
        return base64.b64decode(text).decode("utf-8", "replace")
    raise ValueError(f"unknown XML-RPC type <{tag}>")
