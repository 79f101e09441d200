"""Voicenter's acknowledgement, rendered in the encoding of the request."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from xml.sax.saxutils import escape

OK, PARSE_ERROR, APP_ERROR = 0, 1, 2


def render_ack(encoding: str, err: int, desc: str) -> tuple[bytes, str]:
    """(body, media type) of an answer `{Err, Errdesc}` for a request in `encoding`."""
    if encoding == "xmlrpc":
        body = (
            "<?xml version='1.0'?>\n<methodResponse><params><param><value><struct>"
            f"<member><name>Err</name><value><int>{err}</int></value></member>"
            f"<member><name>Errdesc</name><value><string>{escape(desc)}</string></value></member>"
            "</struct></value></param></params></methodResponse>\n"
        )
        return body.encode(), "text/xml"
    if encoding in ("form", "query"):
        return urlencode(
            {"Err": err, "Errdesc": desc}
        ).encode(), "application/x-www-form-urlencoded"
    return json.dumps({"Err": err, "Errdesc": desc}).encode(), "application/json"
