"""Read manifests written as JSON (``kubectl get ... -o json``), and say on which line each field is.

JSON is read with the standard library's C decoder, which is many times faster than YAML's
flow-style path for the same text. It does not say where a value was written, so this module
finds a field's line on demand, by walking the text from the document's start (or from a
``List`` item's start, which the reader records as it goes): errors still name the file, the
line and the field, and the loader still records where every object is.

A text is read as JSON when its first character (after white space) is ``{`` or ``[``; a text
that is not valid JSON is then read as YAML (of which JSON is nearly a subset, so flow-style YAML
such as ``{kind: Pod}`` still works), and if YAML refuses it too the JSON error is reported.
Several JSON values one after the other (as ``jq -c`` writes them) are several documents.
As in every JSON decoder kubectl uses, a key written twice keeps its last value.

>>> [d.data["kind"] for d in read_json_documents('{"kind": "Pod"}\\n{"kind": "Service"}', "x.json")]
['Pod', 'Service']
>>> doc = next(read_json_documents('{"kind": "List",\\n "items": [\\n  {"kind": "Pod",\\n   "metadata": {"name": "a"}}]}', "x.json"))
>>> doc.line_of(("items", 0, "metadata", "name"))
4
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring
from typing import Any, Callable, Iterator

from .errors import ManifestError
from .yamlio import Document, format_path

__all__ = ["looks_like_json", "read_json_documents", "json_error", "Restart"]

_DECODER = json.JSONDecoder()
_scan_once = _DECODER.scan_once  # the C scanner: one value from an offset, (value, end)
_ws = re.compile(r"[ \t\n\r]*").match


def looks_like_json(text: str) -> bool:
    """True when the first character that is not white space opens a JSON object or array."""
    match = re.match(r"[ \t\r\n]*([\[{])", text)
    return match is not None


class _Fallback(Exception):
    """The fast reader met something it does not handle: the standard decoder decides."""


class JsonText:
    """One JSON text and a cursor that turns offsets into line numbers.

    Lines are counted forward from the last offset asked for, so asking in reading order
    (as the loader does) costs one pass over the text in all.
    """

    __slots__ = ("text", "file", "_at", "_line")

    def __init__(self, text: str, file: str) -> None:
        self.text, self.file = text, file
        self._at, self._line = 0, 1

    def line_at(self, offset: int) -> int:
        if offset < self._at:
            self._at, self._line = 0, 1
        self._line += self.text.count("\n", self._at, offset)
        self._at = offset
        return self._line


class JsonDocument:
    """Where the values of one JSON document are: offsets found by walking the text on demand."""

    __slots__ = ("source", "start", "items", "ends")

    def __init__(self, source: JsonText, start: int, items: list[int] | None,
                 ends: list[int] | None = None) -> None:
        self.source, self.start = source, start
        #: Offsets of the elements of the top-level ``items`` array, when the reader recorded them,
        #: and the offsets where they end.
        self.items = items
        self.ends = ends

    # -- walking the text ---------------------------------------------------
    def _member(self, pos: int, key: Any) -> tuple[int, int] | None:
        """In the object that opens at ``pos``: (offset of the key, offset of its value).

        The first time the key is written: finding a repeated key's last place would mean reading
        the rest of the object again (the value is still the last one, as the decoder keeps it).
        """
        text = self.source.text
        if not isinstance(key, str):
            return None
        i = _ws(text, pos + 1).end()
        while i < len(text) and text[i] == '"':
            name, j = scanstring(text, i + 1)
            j = _ws(text, j).end()
            if j >= len(text) or text[j] != ":":
                return None
            j = _ws(text, j + 1).end()
            if name == key:
                return i, j
            try:
                _, j = _scan_once(text, j)
            except StopIteration:
                return None
            j = _ws(text, j).end()
            if j >= len(text) or text[j] != ",":
                return None
            i = _ws(text, j + 1).end()
        return None

    def _element(self, pos: int, index: Any) -> int | None:
        """In the array that opens at ``pos``: the offset of element ``index``."""
        text = self.source.text
        if not isinstance(index, int) or index < 0:
            return None
        i = _ws(text, pos + 1).end()
        for _ in range(index):
            try:
                _, i = _scan_once(text, i)
            except StopIteration:
                return None
            i = _ws(text, i).end()
            if i >= len(text) or text[i] != ",":
                return None
            i = _ws(text, i + 1).end()
        return i if i < len(text) and text[i] != "]" else None

    def _locate(self, path: tuple) -> tuple[int, int]:
        """(offset of the field's key or element, of its value) for the deepest part of ``path`` found."""
        text = self.source.text
        where = value = self.start
        if self.items is not None and len(path) >= 2 and path[0] == "items" and isinstance(path[1], int) \
                and 0 <= path[1] < len(self.items):
            where = value = self.items[path[1]]  # recorded while reading: no need to walk the items before it
            path = path[2:]
        for part in path:
            opener = text[value] if value < len(text) else ""
            if opener == "{":
                hit = self._member(value, part)
                if hit is None:
                    break
                where, value = hit
            elif opener == "[":
                at = self._element(value, part)
                if at is None:
                    break
                where = value = at
            else:
                break
        return where, value

    def line_of(self, path: tuple, data: Any = None) -> int:
        """The line of the field at ``path`` (or of its closest written parent); ``data`` is the
        document's decoded value, which lets the line of an object's name be found quickly."""
        if len(path) >= 2 and path[-2:] == ("metadata", "name") and data is not None:
            at = self._name_offset(path, data)
            if at is not None:
                return self.source.line_at(at)
        return self.source.line_at(self._locate(path)[0])

    def _name_offset(self, path: tuple, data: Any) -> int | None:
        """Where ``"name": "<the object's name>"`` is written, when that text occurs exactly once in the
        object (almost always: containers and ports rarely carry the pod's own name); else None."""
        start, end = self.start, len(self.source.text)
        obj = data
        if len(path) == 4 and path[0] == "items" and self.items is not None and isinstance(path[1], int) \
                and 0 <= path[1] < len(self.items):
            start = self.items[path[1]]
            if self.ends is not None and path[1] < len(self.ends):
                end = self.ends[path[1]]
            elif path[1] + 1 < len(self.items):
                end = self.items[path[1] + 1]
            obj = data["items"][path[1]]
        elif len(path) != 2:
            return None
        metadata = obj.get("metadata") if obj.__class__ is dict else None
        name = metadata.get("name") if metadata.__class__ is dict else None
        if name.__class__ is not str:
            return None
        if name.isprintable() and '"' not in name and "\\" not in name:
            written = f'"{name}"'  # as every JSON writer writes it
        else:
            written = json.dumps(name, ensure_ascii=False)
        text = self.source.text
        # Look for the name's text and back from each place it is written for a "name" key, rather than visit
        # every "name" key of the object (containers, ports) and compare what follows it.
        limit = end + len(written)  # a key that ends by ``end``: its value may run past it
        found = None
        at = text.find(written, start, limit)
        while at >= 0:
            key = _key_before(text, at, start)
            if key is not None:
                if found is not None:
                    return None  # twice: only walking the text can tell which is the object's own
                found = key
            at = text.find(written, at + 1, limit)
        return found

    def positions_under(self, prefix: tuple) -> dict:
        """Every field path below ``prefix`` (``prefix`` included) mapped to its line."""
        where, value = self._locate(prefix)
        out: dict = {prefix: self.source.line_at(where)}
        self._collect(value, prefix, out)
        return out

    def _collect(self, pos: int, path: tuple, out: dict) -> None:
        text, line_at = self.source.text, self.source.line_at
        opener = text[pos] if pos < len(text) else ""
        if opener == "{":
            seen = set()
            i = _ws(text, pos + 1).end()
            while i < len(text) and text[i] == '"':
                name, j = scanstring(text, i + 1)
                j = _ws(text, j).end()
                if j >= len(text) or text[j] != ":":
                    return
                j = _ws(text, j + 1).end()
                child = path + (name,)
                if name in seen:  # the positions are asked for what is read closely: refuse, as YAML does
                    raise ManifestError(f"duplicate key {name!r}", file=self.source.file, line=line_at(i),
                                        field=format_path(child))
                seen.add(name)
                out[child] = line_at(i)
                self._collect(j, child, out)
                _, j = _scan_once(text, j)
                j = _ws(text, j).end()
                if j >= len(text) or text[j] != ",":
                    return
                i = _ws(text, j + 1).end()
        elif opener == "[":
            i = _ws(text, pos + 1).end()
            index = 0
            while i < len(text) and text[i] != "]":
                child = path + (index,)
                out[child] = line_at(i)
                self._collect(i, child, out)
                _, i = _scan_once(text, i)
                i = _ws(text, i).end()
                if i >= len(text) or text[i] != ",":
                    return
                i = _ws(text, i + 1).end()
                index += 1


def _key_before(text: str, at: int, start: int) -> int | None:
    """The offset of the ``"name"`` key whose value starts at ``at`` (``"name"``, blanks, ``:``, blanks, written
    from ``start`` on, its first quote not escaped), or None."""
    j = at
    while j > start and text[j - 1] in " \t\n\r":
        j -= 1
    if j <= start or text[j - 1] != ":":
        return None
    j -= 1
    while j > start and text[j - 1] in " \t\n\r":
        j -= 1
    key = j - 6
    if key < start or not text.startswith('"name"', key) or text[key - 1] == "\\":
        return None
    return key


def _array_with_offsets(text: str, pos: int, values: list, offsets: list[int], ends: list[int],
                        each: Callable[[int, Any], Any] | None = None) -> int:
    """Read the array that opens at ``pos`` into ``values`` and return its end; where each element starts and
    ends goes to ``offsets`` and ``ends``. ``each(index, value)``, when given, is called with each element as
    soon as it is decoded (the element is in the list then) and returns what the list keeps of it."""
    i = _ws(text, pos + 1).end()
    if text[i] == "]":
        return i + 1
    while True:
        value, end = _scan_once(text, i)
        values.append(value)
        offsets.append(i)
        ends.append(end)
        if each is not None:
            values[-1] = each(len(values) - 1, value)
            del value
        i = _ws(text, end).end()
        c = text[i]
        if c == "]":
            return i + 1
        if c != ",":
            raise _Fallback
        i = _ws(text, i + 1).end()


def _object_with_items(text: str, pos: int, obj: dict, located: "JsonDocument",
                       each: Callable[[int, Any], Any] | None = None) -> int:
    """Fill ``obj`` with the object that opens at ``pos`` (a manifest or a ``List``) and return its end; the
    offsets of its ``items`` go to ``located``, and each item to ``each`` as it is decoded (see
    :func:`_array_with_offsets`)."""
    i = _ws(text, pos + 1).end()
    if text[i] == "}":
        return i + 1
    while True:
        if text[i] != '"':
            raise _Fallback
        key, i = scanstring(text, i + 1)
        i = _ws(text, i).end()
        if text[i] != ":":
            raise _Fallback
        i = _ws(text, i + 1).end()
        if key == "items" and text[i] == "[":
            if each is not None and located.items is not None:
                raise _Fallback  # a second items array: the last one is the value; read it the plain way
            located.items, located.ends = [], []
            obj[key] = items = []  # in the object while its items are handed out
            i = _array_with_offsets(text, i, items, located.items, located.ends, each)
            del items
        else:
            obj[key], i = _scan_once(text, i)
            if key == "items":
                located.items = located.ends = None
        i = _ws(text, i).end()
        c = text[i]
        if c == "}":
            return i + 1
        if c != ",":
            raise _Fallback
        i = _ws(text, i + 1).end()


class Restart(Exception):
    """The fast reader gave up on a document after handing out some of its items: read the text again
    without ``each_item`` (:func:`read_json_documents`)."""


def json_error(exc: json.JSONDecodeError, file: str) -> ManifestError:
    return ManifestError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno)


def read_json_documents(text: str, file: str,
                        each_item: Callable[[Document, int, Any], Any] | None = None) -> Iterator[Document]:
    """Yield each JSON value of ``text`` as a Document; invalid JSON raises ``json.JSONDecodeError``.

    ``each_item(document, index, item)``, when given, is called with each element of a top-level object's
    ``items`` array as soon as it is decoded (before the rest of the object is read: kubectl writes ``kind``
    after ``items``); what it returns is what the document's list keeps (None, to let a large List's items go
    one by one). If the reader then has to read that object again the plain way, it raises :class:`Restart`.
    """
    source = JsonText(text, file)
    pos = _ws(text, 0).end()
    while pos < len(text):
        located = JsonDocument(source, pos, None)
        value: Any = {}
        doc = Document(value, file, source.line_at(pos), _json=located)
        handed: list[int] = []

        def each(index: int, item: Any) -> Any:
            handed.append(index)
            return each_item(doc, index, item)  # type: ignore[misc]

        try:
            if text[pos] != "{":
                raise _Fallback
            end = _object_with_items(text, pos, value, located, each if each_item is not None else None)
        except (_Fallback, StopIteration, IndexError, ValueError):
            if handed:
                raise Restart from None
            value, end = _DECODER.raw_decode(text, pos)  # the exact error, or the value
            located.items = located.ends = None
            doc.data = value
        if value is not None:  # a null document is skipped, as kubectl skips it (and an empty YAML one)
            yield doc
        pos = _ws(text, end).end()
