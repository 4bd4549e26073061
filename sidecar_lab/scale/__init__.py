"""The scale tools: what each proxy receives, what it costs, and the Sidecar that would shrink it.

It owns the size model (``sizing``) and its calibration against published measurements
(``calibration``, ``docs/sizing.md``), the proxy's configuration as ``istioctl proxy-config`` shows
it (``proxyconfig``), the Sidecar suggester (``suggest``), the synthetic mesh generator used by the
benchmarks and notebook 08 (``synthetic``) and the scale figures (``figures``, matplotlib imported
lazily).

It may import the core, never the course or the live cluster.
"""
