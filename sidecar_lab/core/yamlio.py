"""Reading manifests: the bytes of a file (only regular files, within a size), the text (UTF-8, no
binary), and its documents, each remembering where every field was written.

The YAML parsing itself is :mod:`sidecar_lab.core.yamlparse` (PyYAML, imported when a document is
first read): a command answered from the cache of loaded meshes never imports PyYAML.

>>> [d.data for d in read_documents("kind: Pod\\nmetadata: {name: a}\\n", "x.yaml")]
[{'kind': 'Pod', 'metadata': {'name': 'a'}}]
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Any, Iterator

from .errors import ManifestError

__all__ = ["Document", "read_documents", "read_path_text", "read_manifest_bytes", "read_limited", "format_path",
           "size_text", "MAX_EXPANDED_NODES", "MAX_FILE_BYTES"]

#: A document whose aliases would expand it past this many nodes is refused.
MAX_EXPANDED_NODES = 1_000_000
#: The largest manifest file (or standard input) read unless the caller raises it (``--max-file-size``):
#: seven times the synthetic 20,000-pod mesh (8.6 MB), well below what parsing could not hold in memory.
MAX_FILE_BYTES = 64 * 1024 * 1024

Path = tuple  # a field path: keys (str) and list indexes (int)


def format_path(path: Path) -> str:
    """``("spec", "egress", 0, "hosts")`` → ``spec.egress[0].hosts``.

    >>> format_path(("spec", "egress", 0, "hosts", 1))
    'spec.egress[0].hosts[1]'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass(slots=True)
class Document:
    """One document: its plain value, where it starts, and how to find a field's line.

    A YAML document keeps its nodes (``_node``); a JSON document keeps a way back into its text
    (``_json``, a :class:`sidecar_lab.core.jsonio.JsonDocument`).
    """

    data: Any
    file: str
    line: int
    _node: Any = field(default=None, repr=False)  # a PyYAML node
    _positions: dict | None = field(default=None, repr=False)
    _json: Any = field(default=None, repr=False)

    def line_of(self, path: Path) -> int:
        """The line where the field at ``path`` (or its closest written parent) is."""
        if self._json is not None:
            return self._json.line_of(path, self.data)
        if self._positions is not None or self._node is None:
            positions = self._positions or {}
            while path:
                if path in positions:
                    return positions[path]
                path = path[:-1]
            return self.line
        node, line = self._node, self.line
        for part in path:  # walk the nodes: cheaper than indexing every field of the document
            if node.id == "mapping":
                for key_node, value_node in node.value:
                    if key_node.id == "scalar" and key_node.value == part:
                        line, node = key_node.start_mark.line + 1, value_node
                        break
                else:
                    return line
            elif node.id == "sequence" and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    def positions(self) -> dict:
        """Every field path of the document mapped to its 1-based line."""
        if self._positions is None:
            if self._json is not None:
                return self._json.positions_under(())
            self._positions = {}
            if self._node is not None:
                _collect_positions(self._node, (), self._positions)
        return self._positions

    def positions_under(self, prefix: Path) -> dict:
        """The lines of the fields at and below ``prefix`` (full paths), without indexing the rest.

        In JSON a key written twice there is refused (a ManifestError), as YAML refuses it while reading.
        """
        if self._json is not None:
            return self._json.positions_under(prefix)
        if self._positions is not None or self._node is None:
            n = len(prefix)
            return {path: line for path, line in (self._positions or {}).items() if path[:n] == prefix}
        node = self._node
        for part in prefix:
            if node.id == "mapping":
                node = next((v for k, v in node.value if k.id == "scalar" and k.value == part), None)
            elif node.id == "sequence" and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
            else:
                node = None
            if node is None:
                return {}
        out = {prefix: self.line_of(prefix)} if prefix else {}
        _collect_positions(node, prefix, out)
        return out

    def error(self, message: str, path: Path = ()) -> ManifestError:
        return ManifestError(message, file=self.file, line=self.line_of(path),
                             field=format_path(path) or None)


def _collect_positions(node: Any, path: Path, out: dict) -> None:
    """The line of every field under a PyYAML node (told apart by their ``id``: mapping, sequence, scalar)."""
    stack = [(node, path)]
    while stack:
        node, path = stack.pop()
        if node.id == "mapping":
            for key_node, value_node in node.value:
                if key_node.id != "scalar":
                    continue
                child = path + (key_node.value,)
                out.setdefault(child, key_node.start_mark.line + 1)
                stack.append((value_node, child))
        elif node.id == "sequence":
            for i, item in enumerate(node.value):
                child = path + (i,)
                out.setdefault(child, item.start_mark.line + 1)
                stack.append((item, child))


def size_text(size: int) -> str:
    """``64 MiB``, ``1.5 GiB``, ``700 KiB``, ``12 bytes``."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


_NOT_REGULAR = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str | None:
    """What a file is when it is not a regular file (None when it is one)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    return next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")


def _too_large(path: str, size: int | None, limit: int) -> ManifestError:
    got = f"{size_text(size)}, " if size is not None else ""
    return ManifestError(f"too large: {got}over the limit of {size_text(limit)} for one manifest "
                         "(--max-file-size raises it)", file=path)


def read_manifest_bytes(path: str, max_bytes: int | None = None) -> bytes:
    """The bytes of one manifest file: the one place that decides what may be read as a manifest.

    Only a regular file (a symlink is followed to what it points at): a named pipe would block
    forever and a device such as ``/dev/zero`` never ends, so anything else is refused before it is
    opened for reading. A file larger than ``max_bytes`` (default :data:`MAX_FILE_BYTES`) is refused
    without being read whole.
    """
    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    try:
        kind = _not_regular(os.stat(path).st_mode)  # stat never opens the file (no blocking, no side effect)
        if kind == "a directory":
            raise ManifestError("is a directory", file=path)
        if kind is not None:
            raise ManifestError(f"not a regular file: it is {kind}; only regular files are read as manifests "
                                "(pipe it to standard input with - instead)", file=path)
        # O_NONBLOCK: should the path become a FIFO between stat and open, opening it does not block.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ManifestError("no such file", file=path) from None
    except IsADirectoryError:
        raise ManifestError("is a directory", file=path) from None
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror or exc}", file=path) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if _not_regular(info.st_mode) is not None:
            raise ManifestError("not a regular file (it changed while being opened)", file=path)
        if info.st_size > limit:
            raise _too_large(path, info.st_size, limit)
        try:
            raw = handle.read(limit + 1)
        except OSError as exc:
            raise ManifestError(f"cannot read: {exc.strerror or exc}", file=path) from None
    if len(raw) > limit:  # it grew while being read
        raise _too_large(path, None, limit)
    return raw


def read_limited(stream: Any, name: str, max_bytes: int | None = None) -> bytes | str:
    """At most ``max_bytes`` (default :data:`MAX_FILE_BYTES`) of a stream such as standard input."""
    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    source = stream.buffer if hasattr(stream, "buffer") else stream
    data = source.read(limit + 1)
    if len(data) > limit:
        raise _too_large(name, None, limit)
    return data


def read_path_text(path: str, max_bytes: int | None = None) -> str:
    """Read a manifest file as text; missing, unreadable, binary, oversized and non-regular files are ManifestErrors."""
    return decode_text(read_manifest_bytes(path, max_bytes), path)


def decode_text(raw: bytes, path: str) -> str:
    if b"\x00" in raw[:65536]:
        raise ManifestError("binary file, not YAML", file=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ManifestError("not UTF-8 text (a binary file?)", file=path, line=line) from None
    at = _first_control_character(text)
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        raise ManifestError("control characters in the text (a binary file?)", file=path, line=line)
    return text


_CONTROL_CHARACTERS = tuple(chr(c) for c in (*range(0x00, 0x09), *range(0x0E, 0x20)))


def _first_control_character(text: str) -> int:
    """Where the first C0 control character other than tab, newline, CR and form feed is, or -1.

    One ``find`` per character is several times quicker than a regular expression over megabytes."""
    found = [at for at in map(text.find, _CONTROL_CHARACTERS) if at >= 0]
    return min(found) if found else -1


def read_documents(text: str, file: str, *, keep_positions: Any = None) -> Iterator[Document]:
    """Yield each non-empty document of ``text`` (:func:`sidecar_lab.core.yamlparse.read_yaml_documents`).

    ``keep_positions(data)`` says whether a document's field lines may be asked
    for later (its nodes are then kept); by default they are kept for all.
    """
    from .yamlparse import read_yaml_documents

    return read_yaml_documents(text, file, keep_positions=keep_positions)
