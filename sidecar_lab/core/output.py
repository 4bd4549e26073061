"""Writing the results of many workloads: streamed, and each part that many share encoded once.

On a large mesh, thousands of workloads share one Sidecar scope, and a scope's egress listeners and
visible services are most of each workload's record. :func:`write_resolutions_json` writes exactly
what ``json.dumps([r.to_json() for r in results])`` would (compact, as ``resolve --all --format
json`` always has), one record at a time and with each shared list encoded once, so neither the
output nor its Python objects are ever held whole.

:func:`write_resolutions_by_scope` writes the linear shape (``resolve --all --format json
--shared-scopes``): each distinct scope once, and each workload's record referring to it::

    {"scopes": [{"egress": [...], "visible_services": [...]}, ...],
     "workloads": [{...the resolve record without egress and visible_services..., "scope_ref": 0}, ...]}

``scope_ref`` is an index into ``scopes``; a workload's full ``resolve`` record is its entry with
``egress`` and ``visible_services`` taken from ``scopes[scope_ref]`` (and ``scope_ref`` dropped).
Workloads without a proxy refer to the scope whose lists are empty.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, TextIO

from .messages import get_language
from .results import Resolution, is_shared_json, shared_json_values

__all__ = ["write_resolutions_json", "write_resolutions_by_scope", "SCOPE_KEYS"]

#: The fields of a resolve record that a scope holds in the ``--shared-scopes`` shape.
SCOPE_KEYS = ("egress", "visible_services")

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _c_encode() -> Any:
    """``_ENCODER.encode`` without building a new C encoder on every call (what ``JSONEncoder.encode`` does:
    a few microseconds, and a record takes four calls), or ``_ENCODER.encode`` where the C encoder is not
    the one expected."""
    try:
        from json.encoder import c_make_encoder, encode_basestring

        chunks = c_make_encoder({}, _ENCODER.default, encode_basestring, None, ":", ",", False, False, True)

        def encode(value: Any) -> str:
            if value.__class__ is str:
                return encode_basestring(value)
            return "".join(chunks(value, 0))

        sample = {"a": [1, 2.5, None, True, "é\"\n", {"b": []}], "c": -0.0, "d": 1e300}
        if encode(sample) == _ENCODER.encode(sample) and encode("x") == _ENCODER.encode("x"):
            return encode
    except Exception:  # noqa: BLE001 - no C speedups, or another signature: the plain encoder
        pass
    return _ENCODER.encode


_encode = _c_encode()


class _Encoder:
    """Encodes record dicts, reusing the text of the lists that many records share."""

    def __init__(self) -> None:
        self._shared: dict[int, tuple[Any, str]] = {}

    def value(self, value: Any) -> str:
        if is_shared_json(value):
            hit = self._shared.get(id(value))
            if hit is None:
                hit = self._shared[id(value)] = (value, _encode(value))  # the list is kept: its id stays its own
            return hit[1]
        return _encode(value)

    def record(self, record: dict, skip: tuple = ()) -> str:
        """``record`` as ``json.dumps`` writes it compactly; runs of unshared fields go through one call."""
        parts: list[str] = []
        run: dict = {}
        shared = shared_json_values()
        for key, value in record.items():
            if key in skip:
                continue
            if shared.get(id(value)) is value:
                if run:
                    parts.append(_encode(run)[1:-1])
                    run = {}
                parts.append(_encode(key) + ":" + self.value(value))
            else:
                run[key] = value
        if run:
            parts.append(_encode(run)[1:-1])
        return "{" + ",".join(parts) + "}"


class _Records:
    """A resolve record as text: ``{"workload": ..., <the rest>}``. Pods of one template share every part of
    their answer but the workload (``Simulator.resolve`` hands them the same objects), so the rest is
    encoded once per answer and only the workload once per record.

    Only the rests of the last :data:`KEEP` answers are kept: siblings come one after another (sorted by
    name), and a rest carries the text of its scope's lists, so keeping every one would hold the output."""

    KEEP = 256

    def __init__(self, encoder: _Encoder, lang: str, skip: tuple = ()) -> None:
        self.encoder, self.lang, self.skip = encoder, lang, skip
        self._rests: dict[tuple, tuple[Resolution, str]] = {}

    def text(self, result: Resolution) -> str:
        key = (id(result.candidates), id(result.policy), id(result.egress), id(result.visible_services),
               id(result.ingress), id(result.notes), id(result.proxy_reason), id(result.scope_reason),
               result.proxy, result.scope, id(result.sidecar), result.istio_version)
        hit = self._rests.get(key)
        if hit is None:
            if len(self._rests) >= self.KEEP:
                self._rests.clear()
            record = result.to_json(self.lang)
            del record["workload"]
            # the result is kept: the ids in the key stay its parts' own
            hit = self._rests[key] = (result, self.encoder.record(record, skip=self.skip)[1:-1])
        w = result.workload
        head = '{"workload":' + _encode({"namespace": w.namespace, "name": w.name, "kind": w.kind,
                                          "labels": dict(w.labels)})
        return head + ("," + hit[1] if hit[1] else "") + "}"


def write_resolutions_json(results: Iterable[Resolution], out: TextIO) -> None:
    """The JSON array of every result's ``to_json()``, written record by record."""
    records = _Records(_Encoder(), get_language())  # the language once, not once per record
    out.write("[")
    for i, result in enumerate(results):
        if i:
            out.write(",")
        out.write(records.text(result))
    out.write("]\n")


def write_resolutions_by_scope(results: list[Resolution], out: TextIO) -> None:
    """Each distinct scope once, then every workload's record with a ``scope_ref`` (module docstring)."""
    encoder = _Encoder()
    by_content: dict[str, int] = {}
    by_identity: dict[tuple[int, int], int] = {}  # results of one scope share these tuples
    refs: list[int] = []
    texts: list[str] = []
    for result in results:
        key = (id(result.egress), id(result.visible_services))
        ref = by_identity.get(key)
        if ref is None:
            text = _encode({"egress": [e.to_json() for e in result.egress],
                            "visible_services": [v.to_json() for v in result.visible_services]})
            ref = by_content.get(text)
            if ref is None:
                ref = by_content[text] = len(texts)
                texts.append(text)
            by_identity[key] = ref
        refs.append(ref)
    out.write('{"scopes":[')
    out.write(",".join(texts))
    out.write('],"workloads":[')
    records = _Records(encoder, get_language(), skip=SCOPE_KEYS)
    for i, (result, ref) in enumerate(zip(results, refs)):
        body = records.text(result)[1:-1]
        out.write(("," if i else "") + "{" + (body + "," if body else "") + f'"scope_ref":{ref}}}')
    out.write("]}\n")


def _pretty(value: Any, level: int) -> str:
    """``json.dumps(value, indent=2)`` as it appears nested ``level`` deep in a larger indented document."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)


def write_matrix_json(sources: list[dict], targets: list[str], cells: list[list[dict]], out: TextIO,
                      extra: dict | None = None) -> None:
    """``{"sources", "targets", "cells", **extra}`` exactly as ``json.dumps(..., indent=2)`` writes it, row
    by row; a row that several sources share (the same list) is encoded once."""
    out.write('{\n  "sources": ' + _pretty(sources, 1) + ',\n  "targets": ' + _pretty(targets, 1) + ',\n  "cells": ')
    if not cells:
        out.write("[]")
    else:
        encoded: dict[int, tuple[list, str]] = {}
        out.write("[\n")
        for i, row in enumerate(cells):
            hit = encoded.get(id(row))
            if hit is None:
                hit = encoded[id(row)] = (row, "    " + _pretty(row, 2))
            out.write(hit[1] + (",\n" if i + 1 < len(cells) else "\n"))
        out.write("  ]")
    for key, value in (extra or {}).items():
        out.write(",\n  " + _encode(key) + ": " + _pretty(value, 1))
    out.write("\n}\n")


def matrix_groups(sources: list, keys: list[tuple], cells: list[list[dict]]) -> list[dict]:
    """The sources grouped by their :func:`~sidecar_lab.core.traffic.source_key`, with how many
    destinations each verdict covers, in the order the groups first appear."""
    from .render import VERDICT_GLYPHS

    groups: dict[tuple, dict] = {}
    for w, key, row in zip(sources, keys, cells):
        group = groups.get(key)
        if group is None:
            namespace, proxy, sidecar = key
            counts = dict.fromkeys(VERDICT_GLYPHS, 0)
            for cell in row:
                counts[cell["verdict"]] += 1
            group = groups[key] = {"namespace": namespace, "proxy": proxy,
                                   "sidecar": None if sidecar is None else {"namespace": sidecar.namespace,
                                                                            "name": sidecar.name},
                                   "workloads": [], "verdicts": counts}
        group["workloads"].append({"namespace": w.namespace, "name": w.name, "kind": w.kind})
    return list(groups.values())


def write_matrix_summary_json(sources: list, keys: list[tuple], targets: list[str], cells: list[list[dict]],
                              out: TextIO, extra: dict | None = None) -> None:
    """``matrix --summary --format json``: ``{"targets": [...], "groups": [{"namespace", "proxy", "sidecar",
    "workloads", "verdicts": {verdict: count}}], **extra}``."""
    out.write(json.dumps({"targets": targets, "groups": matrix_groups(sources, keys, cells), **(extra or {})},
                         ensure_ascii=False, indent=2) + "\n")
