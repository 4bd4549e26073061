"""``sidecar-lab proxy-config clusters|listeners|routes|endpoints MANIFEST... --workload NS/NAME``.

The proxy's configuration from the simulator's model (:mod:`sidecar_lab.scale.proxyconfig`), in
``istioctl proxy-config``'s columns, or with ``-o json``/``-o yaml`` shaped like the matching
section of Envoy's config dump. ``--without-sidecar`` shows the same proxy with no Sidecar (the
default scope). With ``--live`` the model reads the cluster and the real ``istioctl proxy-config``
command is printed beside it. Exit codes: 0 shown; 2 bad usage or bad input (one ``error:`` line).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core.errors import UsageError

__all__ = ["add_proxy_config_arguments", "cmd_proxy_config", "SECTION_ALIASES"]

#: istioctl's names for each section (``proxy-config cluster|clusters|c``, ...).
SECTION_ALIASES = {"clusters": "clusters", "cluster": "clusters", "c": "clusters",
                   "listeners": "listeners", "listener": "listeners", "l": "listeners",
                   "routes": "routes", "route": "routes", "r": "routes",
                   "endpoints": "endpoints", "endpoint": "endpoints", "ep": "endpoints"}
#: The filters istioctl has for each section, and which section they belong to.
_FILTERS = {"fqdn": ("clusters",), "direction": ("clusters",), "subset": ("clusters",),
            "port": ("clusters", "listeners", "endpoints"), "address": ("listeners", "endpoints"),
            "name": ("routes",), "cluster": ("endpoints",)}


def add_proxy_config_arguments(sub: Any) -> None:
    """Add ``proxy-config`` to the command's sub-parsers."""
    p = sub.add_parser(
        "proxy-config", help="a proxy's clusters, listeners, routes or endpoints as istioctl proxy-config shows "
                             "them, from the simulator's model, with or without its Sidecar",
        description="What istiod would send a workload's proxy, computed from the manifests by the same model "
                    "as check and size, in the columns of istioctl proxy-config (or -o json/yaml shaped like "
                    "Envoy's config dump). Exit codes: 0 shown, 2 bad usage or bad input.")
    p.add_argument("section", metavar="{clusters,listeners,routes,endpoints}", type=_section,
                   help="what to show (istioctl's aliases work too: cluster, c, listener, l, route, r, endpoint, ep)")
    p.add_argument("manifests", nargs="+", metavar="MANIFEST",
                   help="YAML files or directories of Kubernetes/Istio manifests; - reads standard input")
    p.add_argument("--workload", required=True, metavar="NS/NAME", help="the Pod or controller whose proxy to show")
    p.add_argument("--without-sidecar", action="store_true",
                   help="the same proxy with no Sidecar resource (the default scope: */* and the mesh's "
                        "outbound policy), to set beside it")
    p.add_argument("-o", "--output", choices=("short", "json", "yaml"), default=None,
                   help="short (istioctl's table, the default), json or yaml")
    p.add_argument("--format", choices=("text", "json"), default=None, help="text (= -o short) or json (= -o json)")
    filters = p.add_argument_group("filters (as istioctl's)")
    filters.add_argument("--fqdn", default="", help="clusters: whose name contains FQDN")
    filters.add_argument("--direction", choices=("inbound", "outbound"), default="", help="clusters: this direction")
    filters.add_argument("--subset", default="", help="clusters: whose name contains SUBSET")
    filters.add_argument("--port", type=int, default=0, help="clusters, listeners, endpoints: this port")
    filters.add_argument("--address", default="", help="listeners, endpoints: this address")
    filters.add_argument("--name", default="", help="routes: the route table of this name")
    filters.add_argument("--cluster", default="", help="endpoints: of this cluster")


def _section(text: str) -> str:
    section = SECTION_ALIASES.get(text.lower())
    if section is None:
        raise argparse.ArgumentTypeError(f"unknown section {text!r}: clusters, listeners, routes or endpoints")
    return section


def _output(args: argparse.Namespace) -> str:
    from_format = {"text": "short", "json": "json", None: None}[args.format]
    if args.output and from_format and args.output != from_format:
        raise UsageError(f"-o {args.output} and --format {args.format} disagree: give one of them")
    return args.output or from_format or "short"


def _filters(args: argparse.Namespace) -> dict:
    out = {}
    for name, sections in _FILTERS.items():
        value = getattr(args, name)
        if not value:
            continue
        if args.section not in sections:
            raise UsageError(f"--{name} filters {' and '.join(sections)}, not {args.section}")
        out[name] = value
    if out.get("port") is not None and not 0 <= out.get("port", 0) <= 65535:
        raise UsageError(f"--port {out['port']} is not in 1..65535")
    return out


def cmd_proxy_config(args: argparse.Namespace, load: Any) -> int:
    """Run ``proxy-config``; ``load`` is the command's manifest loader (``cli._load``)."""
    from ..core.resolver import Simulator
    from ..scale.proxyconfig import dump, istioctl_command, proxy_view, section_json, section_table

    output = _output(args)
    filters = _filters(args)
    if "/" not in args.workload:
        raise UsageError(f"workload {args.workload!r} must be written NAMESPACE/NAME")
    sim = Simulator(load(args), getattr(args, "istio_version", None))
    view = proxy_view(sim, args.workload, without_sidecar=args.without_sidecar)
    if output == "short":
        print(section_table(view, args.section, **filters))
    else:
        print(dump(section_json(view, args.section, **filters), output))
    for note in view.notes:
        print(f"# note: {note}", file=sys.stderr)
    # standard error, so the table and the config-dump-shaped JSON keep istioctl's and Envoy's shapes
    print(f"# answered with the rules of Istio {sim.istio_version}", file=sys.stderr)
    if getattr(args, "live", False):
        command = istioctl_command(view, args.section, output=output, context=getattr(args, "context", None))
        what = "the real proxy" + (" (with its Sidecar)" if args.without_sidecar and view.proxy == "sidecar" else "")
        stream = sys.stdout if output == "short" else sys.stderr
        print(f"\n# {what}, to set beside this:\n#   $ {command}", file=stream)
    return 0
