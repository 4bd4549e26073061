"""The course: what the notebooks call to teach the core's answers.

It owns the widgets (``widgets``), the figures (``figures``), the exercises and their checks
(``exercises``: one module of checks per notebook), the editable seed scenario behind the explorers (``scenario``) and the launcher
of ``sidecar-lab lab`` (``lab``).

It may import the core and, for notebook 08, the scale tools (``sidecar_lab.scale``); never the
live cluster. ipywidgets and matplotlib are imported by the modules that draw, not by this package,
so ``import sidecar_lab.course`` stays light.
"""
