"""Safe YAML reading that remembers where every field was written.

PyYAML composes the text into nodes (with libyaml's C parser when it is
there); this module turns the nodes into plain Python values itself, so it
never constructs arbitrary objects, refuses alias bombs and recursive
aliases, and can tell the line of any field when a document needs it.

>>> [d.data for d in read_documents("kind: Pod\\nmetadata: {name: a}\\n", "x.yaml")]
[{'kind': 'Pod', 'metadata': {'name': 'a'}}]
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ManifestError

__all__ = ["Document", "read_documents", "read_path_text", "read_manifest_bytes", "read_limited", "format_path",
           "size_text", "MAX_EXPANDED_NODES", "MAX_FILE_BYTES"]

try:  # libyaml's C parser when PyYAML was built with it
    _Base: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeLoader


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """The safe loader, with tag resolution memoised (manifests repeat the same keys endlessly).

    Safe because the safe loader registers no path resolvers: a plain scalar's tag
    depends only on its text.
    """

    _tags: dict = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            tag = self._tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(self._tags) > 200_000:
                    self._tags.clear()
                self._tags[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


assert not yaml.SafeLoader.yaml_path_resolvers, "path resolvers would make the memo above wrong"

#: A document whose aliases would expand it past this many nodes is refused.
MAX_EXPANDED_NODES = 1_000_000
#: The largest manifest file (or standard input) read unless the caller raises it (``--max-file-size``):
#: seven times the synthetic 20,000-pod mesh (8.6 MB), well below what parsing could not hold in memory.
MAX_FILE_BYTES = 64 * 1024 * 1024

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_scalar_constructor = yaml.SafeLoader("")  # only its scalar helpers are used


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
    _node: Node | None = field(default=None, repr=False)
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
            if isinstance(node, MappingNode):
                for key_node, value_node in node.value:
                    if isinstance(key_node, ScalarNode) and key_node.value == part:
                        line, node = key_node.start_mark.line + 1, value_node
                        break
                else:
                    return line
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
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
            if isinstance(node, MappingNode):
                node = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == part), None)
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
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


def _collect_positions(node: Node, path: Path, out: dict) -> None:
    stack = [(node, path)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    continue
                child = path + (key_node.value,)
                out.setdefault(child, key_node.start_mark.line + 1)
                stack.append((value_node, child))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                child = path + (i,)
                out.setdefault(child, item.start_mark.line + 1)
                stack.append((item, child))


class _Converter:
    """Node → plain value, counting every node an alias stands for, so alias bombs are refused."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.memo: dict[int, Any] = {}  # collection nodes already converted (aliases reuse them)
        self.sizes: dict[int, int] = {}  # their size once expanded
        self.active: set[int] = set()
        self.total = 0

    def fail(self, node: Node, message: str) -> ManifestError:
        return ManifestError(message, file=self.file, line=node.start_mark.line + 1)

    def convert(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            self.total += 1
            return self.scalar(node)
        key = id(node)
        if key in self.memo:  # an alias: count what it expands to
            self.total += self.sizes[key]
            if self.total > MAX_EXPANDED_NODES:
                raise self.fail(node, f"YAML aliases expand this document past {MAX_EXPANDED_NODES:,} "
                                      "nodes (an alias bomb?); refusing to read it")
            return self.memo[key]
        if key in self.active:
            raise self.fail(node, "recursive YAML alias: a node refers to itself")
        self.active.add(key)
        before = self.total
        self.total += 1
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                raise self.fail(node, f"unsupported YAML tag {node.tag!r}")
            value: Any = [self.convert(item) for item in node.value]
        elif isinstance(node, MappingNode):
            if node.tag != _MAP:
                raise self.fail(node, f"unsupported YAML tag {node.tag!r}")
            value = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:
                    raise self.fail(key_node, "YAML merge keys ('<<') are not supported in manifests")
                k = self.convert(key_node)
                if isinstance(k, (list, dict)):
                    raise self.fail(key_node, "a mapping key must be a plain value")
                if k in value:
                    raise self.fail(key_node, f"duplicate key {k!r}")
                value[k] = self.convert(value_node)
        else:  # pragma: no cover - PyYAML has only these three
            raise self.fail(node, "unknown YAML node")
        self.active.discard(key)
        self.memo[key] = value
        self.sizes[key] = self.total - before
        return value

    def scalar(self, node: ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == _STR:
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return text.lower() in ("yes", "true", "on", "y")
        if tag == _INT:
            try:
                return int(text) if text.isdigit() else _scalar_constructor.construct_yaml_int(node)
            except Exception:
                raise self.fail(node, f"invalid integer {text!r}") from None
        if tag == _FLOAT:
            try:
                return _scalar_constructor.construct_yaml_float(node)
            except Exception:
                raise self.fail(node, f"invalid number {text!r}") from None
        if tag == _TIMESTAMP:
            return text  # kept as written; callers parse the few timestamps they need
        raise self.fail(node, f"unsupported YAML tag {tag!r}")


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


def is_null_document(node: Node | None) -> bool:
    """An empty document (a trailing ``---``, only comments) or one that is null (``--- ~``, ``--- null``).

    kubectl skips both alike: its stream visitor (cli-runtime ``StreamVisitor.Visit``) drops a
    document whose JSON is empty or ``null``, so ``--- ~`` is skipped exactly as an empty document.
    """
    return node is None or (isinstance(node, ScalarNode) and node.tag == _NULL)


def read_documents(text: str, file: str, *, keep_positions: Any = None) -> Iterator[Document]:
    """Yield each non-empty document of ``text``.

    ``keep_positions(data)`` says whether a document's field lines may be asked
    for later (its nodes are then kept); by default they are kept for all.
    """
    if type(text) is not str:  # libyaml's parser takes exact str only, not a subclass
        text = str.__str__(text)
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if is_null_document(node):
                continue
            data = _Converter(file).convert(node)
            keep = keep_positions(data) if keep_positions is not None else True
            yield Document(data, file, node.start_mark.line + 1, node if keep else None)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ManifestError(f"invalid YAML: {problem}", file=file, line=line) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (DEL, C1 controls, U+FFFE, ...)
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise ManifestError(f"invalid YAML: unacceptable character {char}: {exc.reason}", file=file,
                            line=line) from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"invalid YAML: {' '.join(str(exc).split())}", file=file) from None
    except RecursionError:
        raise ManifestError("YAML nested too deeply", file=file) from None
