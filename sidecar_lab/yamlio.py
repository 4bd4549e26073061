"""Safe YAML reading that remembers where every field was written.

PyYAML composes the text into nodes (with libyaml's C parser when it is
there); this module turns the nodes into plain Python values itself, so it
never constructs arbitrary objects, refuses alias bombs and recursive
aliases, and can tell the line of any field when a document needs it.

>>> [d.data for d in read_documents("kind: Pod\\nmetadata: {name: a}\\n", "x.yaml")]
[{'kind': 'Pod', 'metadata': {'name': 'a'}}]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ManifestError

__all__ = ["Document", "read_documents", "read_path_text", "format_path", "MAX_EXPANDED_NODES"]

try:  # libyaml's C parser when PyYAML was built with it
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

#: A document whose aliases would expand it past this many nodes is refused.
MAX_EXPANDED_NODES = 1_000_000

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
    """One YAML document: its plain value, where it starts, and how to find a field's line."""

    data: Any
    file: str
    line: int
    _node: Node | None = field(default=None, repr=False)
    _positions: dict | None = field(default=None, repr=False)

    def line_of(self, path: Path) -> int:
        """The line where the field at ``path`` (or its closest written parent) is."""
        positions = self.positions()
        while path:
            if path in positions:
                return positions[path]
            path = path[:-1]
        return self.line

    def positions(self) -> dict:
        """Every field path of the document mapped to its 1-based line."""
        if self._positions is None:
            self._positions = {}
            if self._node is not None:
                _collect_positions(self._node, (), self._positions)
        return self._positions

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
    """Node → plain value, with a budget on alias expansion."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.memo: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()

    def fail(self, node: Node, message: str) -> ManifestError:
        return ManifestError(message, file=self.file, line=node.start_mark.line + 1)

    def size(self, node: Node) -> int:
        """How many nodes ``node`` stands for once every alias is expanded."""
        key = id(node)
        known = self.sizes.get(key)
        if known is not None:
            return known
        if key in self.active:
            raise self.fail(node, "recursive YAML alias: a node refers to itself")
        total = 1
        if isinstance(node, (MappingNode, SequenceNode)):
            self.active.add(key)
            children = node.value
            if isinstance(node, MappingNode):
                children = [n for pair in children for n in pair]
            for child in children:
                total += self.size(child)
                if total > MAX_EXPANDED_NODES:
                    raise self.fail(node, f"YAML aliases expand this document past {MAX_EXPANDED_NODES:,} "
                                          "nodes (an alias bomb?); refusing to read it")
            self.active.discard(key)
        self.sizes[key] = total
        return total

    def convert(self, node: Node) -> Any:
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        if isinstance(node, ScalarNode):
            value = self.scalar(node)
        elif isinstance(node, SequenceNode):
            if node.tag not in (_SEQ,):
                raise self.fail(node, f"unsupported YAML tag {node.tag!r}")
            value = [self.convert(item) for item in node.value]
        elif isinstance(node, MappingNode):
            if node.tag not in (_MAP,):
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
        self.memo[key] = value
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
                return _scalar_constructor.construct_yaml_int(node)
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


_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f]")


def read_path_text(path: str) -> str:
    """Read a manifest file as text; missing, unreadable and binary files are ManifestErrors."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise ManifestError("no such file", file=path) from None
    except IsADirectoryError:
        raise ManifestError("is a directory", file=path) from None
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror or exc}", file=path) from None
    return decode_text(raw, path)


def decode_text(raw: bytes, path: str) -> str:
    if b"\x00" in raw[:65536]:
        raise ManifestError("binary file, not YAML", file=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ManifestError("not UTF-8 text (a binary file?)", file=path, line=line) from None
    match = _BINARY.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        raise ManifestError("control characters in the text (a binary file?)", file=path, line=line)
    return text


def read_documents(text: str, file: str, *, keep_positions: Any = None) -> Iterator[Document]:
    """Yield each non-empty document of ``text``.

    ``keep_positions(data)`` says whether a document's field lines may be asked
    for later (its nodes are then kept); by default they are kept for all.
    """
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            conv = _Converter(file)
            conv.size(node)
            data = conv.convert(node)
            keep = keep_positions(data) if keep_positions is not None else True
            yield Document(data, file, node.start_mark.line + 1, node if keep else None)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ManifestError(f"invalid YAML: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:
        raise ManifestError("YAML nested too deeply", file=file) from None
