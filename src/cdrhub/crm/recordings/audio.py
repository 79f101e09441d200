"""Is a downloaded body audio? Pure: judged by its first bytes, never by the server's word.

Recording hosts answer errors with 200 and an HTML login or error page; such a body must never
be archived as the recording.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AudioKind:
    extension: str
    content_type: str


MP3 = AudioKind("mp3", "audio/mpeg")
WAV = AudioKind("wav", "audio/wav")
OGG = AudioKind("ogg", "audio/ogg")
FLAC = AudioKind("flac", "audio/flac")
M4A = AudioKind("m4a", "audio/mp4")
WEBM = AudioKind("webm", "audio/webm")
AMR = AudioKind("amr", "audio/amr")
GSM = AudioKind("gsm", "audio/x-gsm")


def sniff_audio(body: bytes) -> AudioKind | None:
    """The audio format the bytes are in, None when they are not audio we know."""
    head = body[:16]
    if head.startswith(b"ID3"):
        return MP3
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and head[1] != 0xFF:
        return MP3  # MPEG audio frame sync
    if head.startswith(b"RIFF") and body[8:12] in (b"WAVE", b"RF64"):
        return WAV
    if head.startswith(b"RF64"):
        return WAV
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"fLaC"):
        return FLAC
    if body[4:8] == b"ftyp":
        return M4A
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head.startswith(b"#!AMR"):
        return AMR
    return None


def describe_non_audio(body: bytes, content_type: str | None, size: int | None = None) -> str:
    """Why a body is not a recording, for the job's error (`body`: at least its first 512 bytes,
    `size`: the whole body's, when `body` is only its start)."""
    text = body[:512].lstrip().lower()
    size = len(body) if size is None else size
    if not size:
        return "empty body"
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text:
        return f"an HTML page ({content_type or 'no content type'}), not audio"
    if text.startswith((b"{", b"[")):
        return f"a JSON document ({content_type or 'no content type'}), not audio"
    if text.startswith(b"<?xml") or text.startswith(b"<"):
        return f"an XML document ({content_type or 'no content type'}), not audio"
    return f"not a known audio format ({content_type or 'no content type'}, {size} bytes)"
