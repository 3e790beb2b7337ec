"""Streaming readers for the import format: one (type, record) pair at a time, never the whole file.

A JSON document (``{"account": {...}, "deals": [...], ...}``) is walked with ijson's event parser,
building one record object at a time; JSON Lines carry ``{"type": ..., "record": ...}`` per line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson

SINGLE_KEYS = {"account"}


class FormatError(ValueError):
    """The file is not in the import format at all (as opposed to one bad record)."""


def iter_document(doc: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """An in-memory document (the API's body), account first."""
    if not isinstance(doc, dict):
        raise FormatError("the document must be a JSON object with arrays per object type")
    if "account" in doc:
        yield "account", doc["account"]
    for key, value in doc.items():
        if key == "account":
            continue
        if not isinstance(value, list):
            raise FormatError(f"top-level key {key!r} must hold an array")
        for record in value:
            yield key, record


def _iter_json(fp: IO[bytes]) -> Iterator[tuple[str, Any]]:
    builder: ijson.ObjectBuilder | None = None
    key: str | None = None
    depth = 0
    try:
        for prefix, event, value in ijson.parse(fp, use_float=True):
            if builder is None:
                if prefix == "" and event == "map_key":
                    key = value
                elif (key in SINGLE_KEYS and prefix == key and event == "start_map") or (
                    key and prefix == f"{key}.item" and event in ("start_map", "start_array")
                ):
                    builder, depth = ijson.ObjectBuilder(), 0
                elif key and prefix == f"{key}.item":  # a scalar where a record belongs
                    yield key, value
                    continue
                elif prefix == "" and event not in ("start_map", "end_map", "map_key"):
                    raise FormatError("the document must be a JSON object with arrays per object type")
                if builder is None:
                    continue
            builder.event(event, value)
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    assert key is not None
                    yield key, builder.value
                    builder = None
    except ijson.JSONError as exc:
        raise FormatError(f"not valid JSON: {str(exc)[:200]}") from None


def _iter_jsonl(fp: IO[bytes]) -> Iterator[tuple[str, Any]]:
    for n, raw in enumerate(fp, start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            raise FormatError(f"line {n}: not valid JSON") from None
        if not isinstance(item, dict) or "type" not in item or "record" not in item:
            raise FormatError(f'line {n}: expected {{"type": ..., "record": ...}}')
        yield str(item["type"]), item["record"]


def iter_file(path: Path) -> Iterator[tuple[str, Any]]:
    """Records of a ``.json`` or ``.jsonl``/``.ndjson`` file (sniffed when the suffix says neither)."""
    with open(path, "rb") as fp:
        head = fp.read(4096).lstrip()
        fp.seek(0)
        jsonl = path.suffix in (".jsonl", ".ndjson") or (
            path.suffix != ".json" and head.startswith(b"{") and b'"type"' in head.split(b"\n", 1)[0]
        )
        yield from (_iter_jsonl(fp) if jsonl else _iter_json(fp))
