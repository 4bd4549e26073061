"""Port protocols as Istio reads them (``pkg/config/protocol``, ``kube.ConvertProtocol``).

>>> service_port_protocol(name="http2-web", app_protocol=None), service_port_protocol(name=None, app_protocol=None)
('HTTP2', 'AUTO')
"""

from __future__ import annotations

__all__ = ["parse", "service_port_protocol", "is_http", "is_tls", "is_tcp", "HTTP_FAMILY", "AUTO"]

AUTO = "AUTO"  # Istio's "Unsupported": the protocol is sniffed
_NAMES = {
    "tcp": "TCP", "udp": "UDP", "grpc": "GRPC", "grpc-web": "GRPC-Web", "http": "HTTP",
    "http_proxy": "HTTP_PROXY", "http2": "HTTP2", "https": "HTTPS", "tls": "TLS", "mongo": "Mongo",
    "redis": "Redis", "mysql": "MySQL",
}
HTTP_FAMILY = frozenset({"HTTP", "HTTP2", "GRPC", "GRPC-Web", "HTTP_PROXY"})
_TLS = frozenset({"HTTPS", "TLS"})
_TCP = frozenset({"TCP", "Mongo", "Redis", "MySQL"})


def parse(text: str | None) -> str:
    """A protocol name (any case) → Istio's canonical name, or AUTO when unknown or empty."""
    if not text:
        return AUTO
    return _NAMES.get(text.lower(), AUTO)


def service_port_protocol(*, name: str | None, app_protocol: str | None, protocol: str = "TCP") -> str:
    """The protocol Istio infers for a Kubernetes Service port: appProtocol, then the name's prefix."""
    if protocol.upper() == "UDP":
        return "UDP"
    if app_protocol:
        special = {"kubernetes.io/h2c": "HTTP2", "kubernetes.io/ws": "HTTP", "kubernetes.io/wss": "HTTPS"}
        found = special.get(app_protocol.lower()) or parse(app_protocol)
        if found != AUTO:
            return found
    if name:
        prefix = name.split("-", 1)[0]
        return parse(prefix)
    return AUTO


def is_http(protocol: str) -> bool:
    return protocol in HTTP_FAMILY


def is_tls(protocol: str) -> bool:
    return protocol in _TLS


def is_tcp(protocol: str) -> bool:
    return protocol in _TCP
