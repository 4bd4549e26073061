"""The core: Istio's rules as pure functions, manifests in, decisions and their reasons out.

It owns the typed model of what the YAML says (``model``), reading it (``yamlio``, with PyYAML's parsing in
``yamlparse``, imported only when YAML is read; ``jsonio``, ``loader``, ``schema``, and the command's cache
of loaded models, ``cache``), admission validation (``validation``),
which pods get a proxy (``injection``), which Sidecar governs a workload and what its proxy sees
(``resolver``, with Istio's service registry in ``registry``, ``hosts``, ``protocol``), the VirtualServices and DestinationRules istiod hands it
(``vsindex``, ``destinationrules``), the Envoy configuration it gets (``envoy``), what a request gets
(``traffic``), the results and their explanation as data (``results``, ``messages`` with Korean particles
from ``korean``, ``render``, ``output``), the diagnostics (``analyze``), the rules of each Istio release
from 1.22 to 1.31 (``versions``), the same question asked of several releases (``version_compare``),
where the bundled data lives (``resources``) and the errors (``errors``).

It may import the standard library and PyYAML, nothing else: never ipywidgets, matplotlib,
IPython or kubernetes, and none of sidecar_lab's other subpackages (``tests/test_layers.py``).
"""

#: The package version (``sidecar_lab.__version__``); it keys the cache of loaded meshes too.
__version__ = "0.1.0"
