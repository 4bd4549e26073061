"""Figures of why Sidecar matters at scale, drawn from :func:`sidecar_lab.scale.sizing.scaling_series`.

matplotlib is imported lazily and only through :class:`matplotlib.figure.Figure` (never pyplot),
so these work in notebooks, scripts and tests without a display. Every figure has a title and
alternative text in ``fig.sidecar_lab_alt``; the three setups differ by colour (Okabe-Ito,
colour-blind safe), line style and marker, so they read in grey too.

>>> from sidecar_lab.scale.sizing import scaling_series
>>> fig = config_vs_mesh_size(scaling_series((2, 4)))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = ["config_vs_mesh_size", "mesh_total", "push_fanout_figure", "STYLES", "LABELS"]

#: Okabe-Ito colours, with a line style and a marker each.
STYLES = {
    "none": {"color": "#D55E00", "linestyle": "-", "marker": "o"},
    "namespace": {"color": "#0072B2", "linestyle": "--", "marker": "s"},
    "dependency": {"color": "#009E73", "linestyle": ":", "marker": "^"},
    "mixed": {"color": "#CC79A7", "linestyle": "-.", "marker": "D"},
}
LABELS = {
    "none": "no Sidecar",
    "namespace": "namespace-scoped (./* + istio-system/*)",
    "dependency": "dependency-scoped (declared calls)",
    "mixed": "mixed",
}
_ESTIMATE = "memory is an estimate in MiB (a linear model calibrated to published measurements, docs/sizing.md), not a measurement"


def _figure(width: float = 10.0, height: float = 4.2) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _modes(points: Sequence[dict], key: str) -> list[str]:
    seen: list[str] = []
    for point in points:
        for mode in point[key]:
            if mode not in seen:
                seen.append(mode)
    return seen


def _plot(ax: Any, xs: list, ys: list, mode: str) -> None:
    ax.plot(xs, ys, label=LABELS.get(mode, mode), linewidth=2, markersize=6, **STYLES.get(mode, {}))


def _x(points: Sequence[dict]) -> list[int]:
    return [p["services"] for p in points]


def _check(points: Sequence[dict]) -> None:
    if not points:
        raise ValueError("no points: pass the result of sidecar_lab.scale.sizing.scaling_series()")


def config_vs_mesh_size(points: Sequence[dict]) -> Any:
    """Clusters and estimated memory of one proxy against the number of services in the mesh."""
    _check(points)
    fig = _figure()
    left, right = fig.subplots(1, 2)
    xs = _x(points)
    modes = _modes(points, "per_proxy")
    for mode in modes:
        _plot(left, xs, [p["per_proxy"][mode]["clusters"] for p in points], mode)
        _plot(right, xs, [p["per_proxy"][mode]["memory_mib"] for p in points], mode)
    left.set_title("Envoy clusters of one proxy")
    left.set_ylabel("clusters")
    right.set_title("estimated proxy memory")
    right.set_ylabel("MiB (estimate)")
    for ax in (left, right):
        ax.set_xlabel("services in the mesh")
        ax.grid(True, alpha=0.3)
    left.legend(loc="upper left", fontsize="small")
    fig.suptitle("Configuration per proxy against mesh size")
    last = points[-1]
    parts = [f"{LABELS.get(m, m)} {last['per_proxy'][m]['clusters']:,} clusters "
             f"(about {last['per_proxy'][m]['memory_mib']:.0f} MiB)" for m in modes]
    fig.sidecar_lab_alt = (
        f"Two line charts, x axis: services in the mesh from {xs[0]:,} to {xs[-1]:,}. "
        f"Left: clusters of one proxy; right: its estimated memory. Without a Sidecar both grow in "
        f"proportion to the mesh; scoped proxies stay flat. At {xs[-1]:,} services: " + "; ".join(parts)
        + f". {_ESTIMATE}.")
    return fig


def mesh_total(points: Sequence[dict]) -> Any:
    """Estimated memory of every proxy of the mesh added up, and total clusters, against mesh size."""
    _check(points)
    fig = _figure()
    left, right = fig.subplots(1, 2)
    xs = _x(points)
    modes = _modes(points, "totals")
    for mode in modes:
        _plot(left, xs, [p["totals"][mode]["memory_mib"] / 1024.0 for p in points], mode)
        _plot(right, xs, [p["totals"][mode]["clusters"] for p in points], mode)
    left.set_title("all proxies: estimated memory")
    left.set_ylabel("GiB (estimate)")
    right.set_title("all proxies: clusters")
    right.set_ylabel("clusters (sum over proxies)")
    for ax in (left, right):
        ax.set_xlabel("services in the mesh")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    left.legend(loc="upper left", fontsize="small")
    fig.suptitle("Mesh-wide proxy configuration")
    last = points[-1]
    parts = [f"{LABELS.get(m, m)} about {last['totals'][m]['memory_mib'] / 1024.0:,.1f} GiB"
             for m in modes]
    fig.sidecar_lab_alt = (
        f"Two line charts on logarithmic axes, x axis: services in the mesh from {xs[0]:,} to {xs[-1]:,}. "
        f"Left: estimated memory of all {last['pods']:,} proxies added up; right: clusters summed over all "
        f"proxies. Without Sidecars the total grows with the square of the mesh size (every proxy sees "
        f"every service); with scoped Sidecars it grows linearly. At {xs[-1]:,} services: "
        + "; ".join(parts) + f". {_ESTIMATE}.")
    return fig


def push_fanout_figure(points: Sequence[dict]) -> Any:
    """How many proxies istiod must push when one service changes, against mesh size."""
    _check(points)
    fig = _figure(6.5, 4.2)
    ax = fig.subplots()
    xs = _x(points)
    key = "push_fanout_mean" if all("push_fanout_mean" in p for p in points) else "push_fanout"
    modes = _modes(points, key)
    for mode in modes:
        _plot(ax, xs, [max(p[key][mode], 0) for p in points], mode)
    ax.set_xlabel("services in the mesh")
    ax.set_ylabel("proxies pushed" + (" (mean over services)" if key == "push_fanout_mean" else ""))
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(bottom=0)  # a count: no negative ticks (-10^0, -10^1) below the axis
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    what = "a service" if key == "push_fanout_mean" else points[-1].get("service", "one service")
    ax.set_title("Proxies pushed when one service changes")
    last = points[-1]
    parts = [f"{LABELS.get(m, m)} {last[key][m]:,.0f}" for m in modes]
    fig.sidecar_lab_alt = (
        f"Line chart, x axis (logarithmic): services in the mesh from {xs[0]:,} to {xs[-1]:,}; y axis "
        f"(logarithmic): {'the mean number of ' if key == 'push_fanout_mean' else ''}proxies whose "
        f"configuration includes {what} and must be pushed when it changes. Without a Sidecar every proxy "
        f"is pushed, so it grows with the mesh; namespace-scoped, only the proxies of its namespace; "
        f"dependency-scoped, only its callers; both stay flat. At {xs[-1]:,} services: "
        + "; ".join(parts) + ".")
    return fig
