"""YAML parsing for :mod:`sidecar_lab.core.yamlio`: PyYAML composes the text into nodes (with libyaml's C
parser when it is there); this module turns the nodes into plain Python values itself, so it never
constructs arbitrary objects, refuses alias bombs and recursive aliases, and keeps the nodes so
that the line of any field can be told when a document needs it.

Imported when a document is first read (``yamlio.read_documents``), not by ``import sidecar_lab``:
a command answered from the cache of loaded meshes does without PyYAML.

>>> [d.data for d in read_yaml_documents("kind: Pod\\nmetadata: {name: a}\\n", "x.yaml")]
[{'kind': 'Pod', 'metadata': {'name': 'a'}}]
"""

from __future__ import annotations

from typing import Any, Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ManifestError
from .yamlio import MAX_EXPANDED_NODES, Document

__all__ = ["read_yaml_documents", "is_null_document"]

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


def is_null_document(node: Node | None) -> bool:
    """An empty document (a trailing ``---``, only comments) or one that is null (``--- ~``, ``--- null``).

    kubectl skips both alike: its stream visitor (cli-runtime ``StreamVisitor.Visit``) drops a
    document whose JSON is empty or ``null``, so ``--- ~`` is skipped exactly as an empty document.
    """
    return node is None or (isinstance(node, ScalarNode) and node.tag == _NULL)


def read_yaml_documents(text: str, file: str, *, keep_positions: Any = None) -> Iterator[Document]:
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
