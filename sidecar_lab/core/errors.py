"""Errors raised by sidecar-lab.

One base class, and a branch for each place things go wrong::

    SidecarLabError
    ├── ManifestError        bad input: names the file, the line and the field path
    ├── UsageError           a bad argument: unknown workload, malformed target, ...
    └── ClusterError         talking to a live cluster failed (no cluster, RBAC, timeouts)

The command line turns every one of them into a single ``error:`` line and exit
code 2; nothing else should ever reach the user as a traceback.
"""

from __future__ import annotations

__all__ = ["SidecarLabError", "ManifestError", "UsageError", "ClusterError"]


class SidecarLabError(Exception):
    """Base class of every error sidecar-lab raises on purpose."""


class ManifestError(SidecarLabError):
    """A manifest cannot be read or does not have the shape Kubernetes requires.

    >>> str(ManifestError("expected a list", file="a.yaml", line=3, field="spec.egress"))
    'a.yaml:3: spec.egress: expected a list'
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class UsageError(SidecarLabError):
    """A command-line argument or an API argument is wrong (unknown workload, bad target)."""


class ClusterError(SidecarLabError):
    """A live cluster could not be reached or refused what was asked."""
