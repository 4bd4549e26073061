"""The core: Istio's rules as pure functions, manifests in, decisions and their reasons out.

It owns the typed model of what the YAML says (``model``), reading it (``yamlio``, ``loader``,
``schema``), admission validation (``validation``), which Sidecar governs a workload and what its
proxy sees (``resolver``, ``hosts``, ``protocol``), what a request gets (``traffic``), the results
and their explanation as data (``results``, ``messages``, ``render``), the diagnostics (``analyze``),
the rules of each Istio release from 1.22 to 1.31 (``versions``), the same question asked of several
releases (``version_compare``), where the bundled data lives (``resources``) and the errors (``errors``).

It may import the standard library and PyYAML, nothing else: never ipywidgets, matplotlib,
IPython or kubernetes, and none of sidecar_lab's other subpackages (``tests/test_layers.py``).
"""
