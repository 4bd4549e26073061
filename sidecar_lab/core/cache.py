"""A cache of loaded meshes, so that a second question about the same manifests is answered at once.

Reading a large mesh is most of the cost of a command: 20,000 pods take seconds to parse and
build, while the question itself takes milliseconds. The command (not the library) keeps the
built :class:`~sidecar_lab.core.model.Mesh` of what it read in a cache file, and the next command
that reads the same manifests starts from it.

The key is everything that could change the model, so the cache is never stale:

* each input in order: its name as given (objects remember their file) and a SHA-256 of its
  bytes, so an edited, reordered, added or removed file misses;
* the package version, a SHA-256 of the core's own source files (an edited loader or model
  misses, even in an editable install whose version did not change), the cache format
  (:data:`FORMAT`), Python's version and PyYAML as installed (its version and whether libyaml's
  parser is there, read without importing it);
* the options the caller names (``key_options``): the command passes its language and any
  option that changes an answer (a new one, such as an Istio version, joins by being passed).

Where: ``$SIDECAR_LAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/sidecar-lab``, else
``~/.cache/sidecar-lab``; one file per key (``mesh-<key>.pickle``), the most recently used
:data:`KEEP` kept. Deleting the folder is always safe. ``$SIDECAR_LAB_NO_CACHE=1`` (or the
command's ``--no-cache``) turns it off. A file is written to a temporary name and renamed, so a
reader never sees half of one; a file that is corrupt, foreign or from another version is
ignored and replaced, never trusted: the reader accepts only the model's own classes.

>>> key = cache_key([("a.yaml", b"kind: Pod")], {"lang": "en"})
>>> key == cache_key([("a.yaml", b"kind: Pod")], {"lang": "en"}), key == cache_key([("a.yaml", b"kind: Pod ")], {"lang": "en"})
(True, False)
"""

from __future__ import annotations

import array
import dataclasses
import hashlib
import io
import json
import os
import pickle
import sys
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

from . import model
from .model import Mesh, Workload

__all__ = ["FORMAT", "KEEP", "LazyMesh", "cache_dir", "cache_disabled_by_env", "cache_key", "cached_mesh",
           "clear_cache"]

#: Bump when the layout of a cache file changes.
FORMAT = 3
#: How many cache files are kept (the most recently used).
KEEP = 8
_PREFIX, _SUFFIX = "mesh-", ".pickle"
_MAGIC = "sidecar-lab mesh cache"
#: A file read is marked as used (its time set to now) when it was last marked longer ago than this, in
#: seconds: questions asked one after another do not each pay for writing the file's metadata.
_TOUCH_AFTER = 60


def cache_dir() -> Path:
    """Where the cache files are: ``$SIDECAR_LAB_CACHE_DIR``, ``$XDG_CACHE_HOME/sidecar-lab`` or
    ``~/.cache/sidecar-lab``."""
    explicit = os.environ.get("SIDECAR_LAB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):  # the XDG spec: a relative value is to be ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sidecar-lab"


def cache_disabled_by_env() -> bool:
    """True when ``$SIDECAR_LAB_NO_CACHE`` is set to anything but empty, ``0``, ``false`` or ``no``."""
    return os.environ.get("SIDECAR_LAB_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no")


_CODE_DIGEST: str | None = None


def _code_digest() -> str:
    """A digest of the core's source files: the loader and the model decide what a cache file holds."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        digest = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for path in sorted(here.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        _CODE_DIGEST = digest.hexdigest()
    return _CODE_DIGEST


def _yaml_digest() -> str:
    """PyYAML as installed, without importing it (an answer from the cache never parses YAML): a digest of
    its ``__init__.py`` (which holds its version) and the names of its compiled parts (libyaml's parser)."""
    import importlib.util

    digest = hashlib.sha256()
    spec = importlib.util.find_spec("yaml")
    if spec is not None and spec.origin:
        folder = os.path.dirname(spec.origin)
        try:
            digest.update(Path(spec.origin).read_bytes())
            digest.update("\0".join(sorted(n for n in os.listdir(folder) if n.startswith("_yaml"))).encode())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def _environment() -> list:
    from . import __version__

    return [FORMAT, __version__, sys.version, sys.implementation.name, _yaml_digest(), _code_digest()]


def cache_key(inputs: Iterable[tuple[str, bytes | str]], key_options: Mapping[str, Any]) -> str:
    """The key of a mesh read from ``inputs`` (name and content, in order) with ``key_options``."""
    digest = hashlib.sha256()
    header = {"environment": _environment(), "options": {k: key_options[k] for k in sorted(key_options)}}
    digest.update(json.dumps(header, sort_keys=True, default=repr).encode())
    for name, content in inputs:
        raw = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
        digest.update(b"\0input\0" + name.encode("utf-8", "surrogatepass") + b"\0"
                      + str(len(raw)).encode() + b"\0" + hashlib.sha256(raw).digest())
    return digest.hexdigest()


# -- writing and reading ------------------------------------------------------------

def _frozen(value: dict) -> Mapping:
    return MappingProxyType(value)


def _same(value: Any) -> Any:
    return value


def _table(cls: type, columns: tuple) -> tuple:
    """The objects of one model class written column by column (:class:`_Table`), built again."""
    if cls not in _MODEL_CLASSES:
        raise pickle.UnpicklingError(f"a cache file may not build {cls!r}")
    return tuple(map(cls, *columns))


class _Table:
    """A long tuple of objects of one model class (the mesh's pods, services), to be written as one column per
    field: one constructor call per object when read back, instead of a tuple of fields each."""

    __slots__ = ("cls", "objects")
    #: Shorter tuples are written as they are.
    SMALLEST = 16

    def __init__(self, cls: type, objects: tuple) -> None:
        self.cls, self.objects = cls, objects

    @classmethod
    def of(cls, value: Any) -> Any:
        """``value`` as a table when it is a long tuple of one model class's objects (shared small values aside)."""
        if value.__class__ is not tuple or len(value) < cls.SMALLEST:
            return value
        kind = value[0].__class__
        if kind not in _FIELDS or kind in _VALUES or any(v.__class__ is not kind for v in value):
            return value
        return cls(kind, value)


_MODEL_CLASSES = {cls for cls in vars(model).values()
                  if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == model.__name__}
_FIELDS = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _MODEL_CLASSES}
#: Small values that thousands of objects repeat (every pod of a Deployment has the same ports).
_VALUES = (model.ContainerPort, model.ServicePort, model.ServiceEntryPort, model.PortSpec, model.Destination)


class LazyMesh(Mesh):
    """A :class:`Mesh` read from a cache file: its workloads are built one namespace at a time.

    Workloads are most of a mesh (20,000 pods of the benchmark's 30,000 objects), and a question
    about one workload needs few of them: its own namespace's, and those of the Services it calls.
    The file keeps each namespace's workloads as a pickle of their own (:meth:`workloads_of` builds
    one when first asked for); ``mesh.workloads`` builds them all, in the mesh's order, the first time
    it is read. Otherwise it is the mesh that was read (equal to it, pickled as a plain Mesh).
    """

    __slots__ = ("_shards", "_order", "_built")

    def __new__(cls, *args: Any, **kwargs: Any) -> Mesh:  # type: ignore[misc]
        # A mesh made from this one (dataclasses.replace) is a plain Mesh: only _lazy_mesh makes a LazyMesh.
        return Mesh(*args, **kwargs)

    def workloads_of(self, namespace: str) -> tuple[Workload, ...]:
        """The workloads of ``namespace`` in the mesh's order (built from the file when first asked for)."""
        built = self._built.get(namespace)
        if built is None:
            blob = self._shards.get(namespace)
            try:
                built = () if blob is None else _load_shard(blob)
            except Exception as exc:  # the file was whole when read (renamed into place), so: damaged since
                raise _damaged(exc) from None
            self._built[namespace] = built
        return built

    def workload_namespaces(self) -> frozenset[str]:
        """The namespaces that have a workload."""
        return frozenset(self._shards)

    def _all_workloads(self) -> tuple[Workload, ...]:
        try:
            return _MESH_WORKLOADS.__get__(self, Mesh)
        except AttributeError:
            shards = [iter(self.workloads_of(ns)) for ns in self._shards]
            try:
                value = tuple([next(shards[i]) for i in array.array(_ORDER_CODE, self._order)])
                if any(next(shard, None) is not None for shard in shards):
                    raise ValueError("more workloads than the order names")
            except (IndexError, StopIteration, ValueError) as exc:
                raise _damaged(exc) from None
            _MESH_WORKLOADS.__set__(self, value)
            return value

    workloads = property(_all_workloads)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mesh):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _FIELDS[Mesh])

    __hash__ = Mesh.__hash__

    def __reduce__(self) -> tuple:
        return Mesh, tuple(getattr(self, name) for name in _FIELDS[Mesh])


def _damaged(exc: Exception) -> Exception:
    from .errors import SidecarLabError

    return SidecarLabError(f"the cache of loaded meshes is damaged ({exc or type(exc).__name__}); clear it with "
                           "'sidecar-lab cache --clear', or answer without it: --no-cache")


_MESH_WORKLOADS = Mesh.__dict__["workloads"]  # the slot that LazyMesh.workloads fills
_ORDER_CODE = "I"  # which shard each workload of the mesh's order comes from


def _dump_shard(workloads: tuple) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(workloads)
    return buffer.getvalue()


def _load_shard(blob: bytes) -> tuple:
    value = _Unpickler(io.BytesIO(blob)).load()
    if not (value.__class__ is tuple and all(w.__class__ is Workload for w in value)):
        raise pickle.UnpicklingError("a cache file's workloads are not workloads")
    return value


def _sharded(mesh: Mesh) -> tuple:
    """The arguments of :func:`_lazy_mesh` for ``mesh``: its fields but the workloads, and the workloads
    one pickle per namespace, with the order that interleaves them back."""
    grouped: dict[str, list] = {}
    order = array.array(_ORDER_CODE)
    index: dict[str, int] = {}
    for w in mesh.workloads:
        i = index.get(w.namespace)
        if i is None:
            i = index[w.namespace] = len(index)
        grouped.setdefault(w.namespace, []).append(w)
        order.append(i)
    others = tuple(_Table.of(getattr(mesh, name)) for name in _FIELDS[Mesh] if name != "workloads")
    return others, tuple(grouped), tuple(_dump_shard(tuple(ws)) for ws in grouped.values()), order.tobytes()


def _lazy_mesh(others: tuple, namespaces: tuple, blobs: tuple, order: bytes) -> LazyMesh:
    if not (len(namespaces) == len(blobs) and all(n.__class__ is str for n in namespaces)
            and all(b.__class__ is bytes for b in blobs) and order.__class__ is bytes):
        raise pickle.UnpicklingError("a cache file's workloads are not in shards")
    mesh = object.__new__(LazyMesh)
    for name, value in zip((n for n in _FIELDS[Mesh] if n != "workloads"), others, strict=True):
        object.__setattr__(mesh, name, value)
    object.__setattr__(mesh, "_shards", dict(zip(namespaces, blobs)))
    object.__setattr__(mesh, "_order", order)
    object.__setattr__(mesh, "_built", {})
    return mesh


class _Pickler(pickle.Pickler):
    """The model as constructor calls: ``Class(*fields)`` (straight-line code, quicker to read back
    than the slots dataclasses' own ``__setstate__``), the mesh's long tuples (pods, services, their
    sources) column by column (:class:`_Table`), read-only mappings as plain dicts, and each
    repeated small value (a port, a set of labels) written once and shared: fewer objects to
    build when the file is read back. Every object is immutable, so sharing changes nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen: dict = {}

    def _shared(self, key: Any, obj: Any) -> Any:
        try:
            return self._seen.setdefault(key, obj)
        except TypeError:  # an unhashable value inside
            return obj

    def reducer_override(self, obj: Any) -> Any:
        cls = obj.__class__
        if cls is LazyMesh:  # a mesh read from a cache file, written again
            return _lazy_mesh, _sharded(obj)
        if cls is _Table:
            objects = obj.objects
            return _table, (obj.cls, tuple(_Table.of(tuple([getattr(o, name) for o in objects]))
                                           for name in _FIELDS[obj.cls]))
        names = _FIELDS.get(cls)
        if names is not None:
            if cls is Mesh:  # its workloads one pickle per namespace: see LazyMesh
                return _lazy_mesh, _sharded(obj)
            values = tuple([getattr(obj, name) for name in names])
            if cls in _VALUES:  # keyed with the exact types: 1, 1.0 and True are equal in Python
                first = self._shared((cls, values, tuple(map(type, values))), obj)
                if first is not obj:
                    return _same, (first,)
            return cls, values
        if cls is MappingProxyType:
            items = tuple(obj.items())
            if all(k.__class__ is str and v.__class__ is str for k, v in items):  # labels, annotations
                first = self._shared((MappingProxyType, items), obj)
                if first is not obj:
                    return _same, (first,)
            return _frozen, (dict(obj),)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    """Only the model's own classes may be named: a foreign file cannot run anything."""

    def find_class(self, module: str, name: str) -> Any:
        if module == model.__name__:
            cls = getattr(model, name, None)
            if cls in _MODEL_CLASSES:
                return cls
        if module == __name__ and name in ("_frozen", "_same", "_table", "_lazy_mesh"):
            return globals()[name]
        raise pickle.UnpicklingError(f"a cache file may not name {module}.{name}")


def _path(key: str) -> Path:
    return cache_dir() / f"{_PREFIX}{key[:40]}{_SUFFIX}"


def _read(key: str) -> Mesh | None:
    path = _path(key)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
            used = os.fstat(handle.fileno()).st_mtime
    except OSError:
        return None
    import gc

    enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of objects, no cycles: see loader.collector_paused
    try:
        value = _Unpickler(io.BytesIO(data)).load()
    except Exception:  # corrupt, truncated, foreign or from another version: read the manifests again
        return None
    finally:
        if enabled:
            gc.enable()
    if not (isinstance(value, tuple) and len(value) == 3 and value[0] == _MAGIC and value[1] == key
            and isinstance(value[2], Mesh)):
        return None
    if time.time() - used > _TOUCH_AFTER:
        try:
            os.utime(path)  # most recently used: kept longest
        except OSError:
            pass
    return value[2]


def _write(key: str, mesh: Mesh) -> None:
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        buffer = io.BytesIO()
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump((_MAGIC, key, mesh))
        import tempfile  # only to write: reading a cache file does without it

        fd, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=_SUFFIX, dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(buffer.getbuffer())
            os.replace(temporary, _path(key))
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
        _prune(directory)
    except (OSError, pickle.PicklingError, RecursionError, TypeError):
        pass  # a cache that cannot be written is no cache: the answer is the same


def _prune(directory: Path) -> None:
    entries = []
    for path in directory.glob(f"{_PREFIX}*{_SUFFIX}"):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:
            continue
    entries.sort(reverse=True)
    for _, path in entries[KEEP:]:
        try:
            path.unlink()
        except OSError:
            pass


def cached_mesh(inputs: list[tuple[str, bytes | str]], build: Callable[[], Mesh], *,
                key_options: Mapping[str, Any], enabled: bool = True, write_at_exit: bool = False) -> tuple[Mesh, bool]:
    """The mesh of ``inputs``: from the cache when it holds them, else ``build()`` (then cached).

    Returns the mesh and whether it came from the cache. Errors of ``build`` (bad input) pass
    through and nothing is cached. With ``write_at_exit`` the file is written when the process
    exits, after its answer is out, by a forked child the caller does not wait for (POSIX; elsewhere
    at exit, in the process itself): the first question is not delayed by the writing.
    """
    if not enabled:
        return build(), False
    key = cache_key(inputs, key_options)
    mesh = _read(key)
    if mesh is not None:
        return mesh, True
    mesh = build()
    if write_at_exit:
        import atexit

        atexit.register(_write_in_background, key, mesh)
    else:
        _write(key, mesh)
    return mesh, False


def _write_in_background(key: str, mesh: Mesh) -> None:
    """Write the cache file from a child process, so that the command's own exit does not wait."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # the answer goes out now, and the child must not write it a second time
        except (OSError, ValueError):
            pass
    fork = getattr(os, "fork", None)
    if fork is None:  # pragma: no cover - Windows
        _write(key, mesh)
        return
    try:
        pid = fork()
    except OSError:
        _write(key, mesh)
        return
    if pid:
        return  # the command exits; the child finishes the file
    try:  # the child: let go of the terminal and of every pipe a caller may be reading to the end
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        _write(key, mesh)
    finally:
        os._exit(0)


def clear_cache() -> int:
    """Remove every cache file (and leftovers of interrupted writes); returns how many."""
    directory = cache_dir()
    removed = 0
    for pattern in (f"{_PREFIX}*{_SUFFIX}", f".tmp-*{_SUFFIX}"):
        for path in directory.glob(pattern):
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass
    return removed
