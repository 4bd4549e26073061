"""The live cluster: the same questions asked of a real Kubernetes API with Istio.

It owns the connection, the preflight, the snapshot (read through the core's loader, so every
answer is computed exactly as from files), the lab's actions on the cluster (``cluster``) and the
comparison of a prediction with what was observed (``compare``).

It may import the core, never the course or the scale tools. The ``kubernetes`` client (the
``live`` extra) is imported inside the functions that talk to the cluster.
"""
