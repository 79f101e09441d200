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
        return Decoded("json", _decode_json(body))
    if encoding == "xmlrpc":
        return Decoded("xmlrpc", _decode_xmlrpc(body))
    if encoding == "query":
        fields = decode_form(query, drop={"token"})
        if not fields:
            raise DecodeError("empty request: no body and no fields in the query string", "json")
        return Decoded("query", [fields])
    try:
        text = body.decode("utf-8").strip()  # a raw newline is never part of a value
    except UnicodeDecodeError as exc:
        raise DecodeError(f"form body is not UTF-8: {exc}", "form") from exc
    fields = decode_form(text)
    if not fields:
        raise DecodeError("form body has no fields", "form")
    return Decoded("form", [fields])


def _decode_json(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"invalid JSON: {exc}", "json") from exc
    records = data if isinstance(data, list) else [data]
    if not records:
        raise DecodeError("JSON array holds no CDR", "json")
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            kind = type(record).__name__
            raise DecodeError(f"JSON item {index} is a {kind}, not an object", "json")
    return records


def decode_form(text: str, drop: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """Form fields, with PHP/qs bracketed keys (`IVR[0][layer_id]`) nested into dicts."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True, errors="strict"):
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
    """One XML-RPC <value>, in the types the spec names; bare text is a string."""
    children = list(value)
    if not children:
        return value.text or ""
    node = children[0]
    tag, text = node.tag, node.text or ""
    if tag in ("int", "i4", "i8"):
        return int(text.strip())
    if tag == "double":
        return float(text.strip())
    if tag == "boolean":
        return text.strip() in ("1", "true")
    if tag in ("string", "dateTime.iso8601"):
        return text
    if tag == "nil":
        return None
    if tag == "base64":
        return base64.b64decode(text).decode("utf-8", "replace")
    if tag == "array":
        return [xmlrpc_value(v) for v in node.findall("data/value")]
    if tag == "struct":
        out: dict[str, Any] = {}
        for member in node.findall("member"):
            name, val = member.find("name"), member.find("value")
            if name is not None and val is not None:
                out[name.text or ""] = xmlrpc_value(val)
        return out
    raise ValueError(f"unknown XML-RPC type <{tag}>")
