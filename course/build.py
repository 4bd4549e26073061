#!/usr/bin/env python3
"""Write the course notebooks (``notebooks/NN-slug.ipynb``) from this one script.

    python course/build.py          # rewrite every notebook
    python course/build.py --check  # exit 1 when a stored notebook differs from what this writes

The notebooks are generated so that they can be reviewed as text here and regenerated at
will. They are written clean: no outputs, no execution counts, stable cell ids, kernelspec
``python3`` and ``language_info`` ``python``. Cells that touch a live cluster carry the tag
``skip-execution``.

Every notebook: objectives and time first; the seed lab step by step where the blog post
covers the topic (its Korean section titles quoted); predict, then reveal; two to four
exercises checked by ``sidecar_lab.course.exercises.check_*`` (solutions hidden in ``<details>``);
"common traps" with the Istio issue each comes from; the credit to the post (CC BY 4.0).

:data:`SOLUTIONS` holds the hidden solutions as code; the tests run each of them through
its check, so a solution shown to learners is always right.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "notebooks"
sys.path.insert(0, str(ROOT))

from sidecar_lab.course.exercises import SCENARIOS, STARTERS  # noqa: E402

BLOG = "https://www.handongbee.com/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
ISSUE = "https://github.com/istio/istio/issues/{}"
PULL = "https://github.com/istio/istio/pull/{}"
KIALI = "https://github.com/kiali/kiali/issues/{}"
API = "https://github.com/istio/api/issues/{}"
LIVE_TAG = "skip-execution"


# ---------------------------------------------------------------------------------------------
# cells


def _clean(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(_clean(text))


def code(text: str, *tags: str) -> nbformat.NotebookNode:
    cell = new_code_cell(_clean(text))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def header(number: str, title: str, minutes: int, objectives: list[str], blog: str | None = None) -> nbformat.NotebookNode:
    lines = [f"# {number} · {title}", "", f"**Time:** about {minutes} minutes", "",
             "**Objectives** — after this notebook you can:", ""]
    lines += [f"- {o}" for o in objectives]
    if blog:
        lines += ["", blog]
    lines += ["", "Run the cells from top to bottom (Shift+Enter). Nothing here needs a cluster: every result "
              "is computed offline by `sidecar_lab` from the YAML in `data/seed/`."]
    return new_markdown_cell("\n".join(lines))


SETUP = '''
import sidecar_lab as sl
from sidecar_lab.course import exercises as ex, figures
from sidecar_lab.core.render import check_text, resolution_text
from IPython.display import Image, Markdown, display


def seed(step):
    """The simulator for the seed lab at one step of the blog's walkthrough (data/seed/)."""
    return sl.Simulator(sl.load(sl.scenario_paths("seed/cluster", f"seed/steps/{step}")))


def show(fig):
    """Show a figure, with its full-sentence description as alternative text."""
    display(Image(figures.to_png(fig), alt=figures.alt_text(fig)))
'''


def setup(extra: str = "") -> nbformat.NotebookNode:
    return code(SETUP + ("\n" + _clean(extra) if extra else ""))


def exercise(number: int, title: str, task: str, cell: str, solution_key: str) -> list[nbformat.NotebookNode]:
    """The task (markdown), the cell to edit (a wrong or empty starting answer, so the notebook still
    runs top to bottom: the check answers with a hint), and the hidden solution."""
    solution, why = SOLUTIONS[solution_key]
    return [
        md(f"### Exercise {number} — {title}\n\n{_clean(task)}"),
        code(cell),
        md(f"<details><summary>Solution</summary>\n\n```python\n{_clean(solution)}\n```\n\n{_clean(why)}\n\n"
           "</details>"),
    ]


def yaml_answer(key: str, check: str, comment: str = "") -> str:
    starter = STARTERS[key]
    lines = [f"# {comment}" if comment else "# Edit the YAML, then run the cell.", 'answer = """']
    lines += starter.rstrip("\n").splitlines() if starter.strip() else [""]
    lines += ['"""', f"{check}(answer)"]
    return "\n".join(lines)


def traps(items: list[tuple[str, str, list[tuple[str, str]]]]) -> nbformat.NotebookNode:
    lines = ["## Common traps", ""]
    for title, text, links in items:
        refs = ", ".join(f"[{label}]({url})" for label, url in links)
        lines.append(f"- **{title}** {_clean(text)} ({refs})")
    return new_markdown_cell("\n".join(lines))


def credit() -> nbformat.NotebookNode:
    return md(f"""
        ---
        **Credit.** This course follows the lab of the blog post **"istio sidecar 자세히 살펴보기"**
        ("A close look at the Istio Sidecar", 2025-05-18) on its author's blog, <{BLOG}>. The post is licensed
        [CC BY 4.0]({CC_BY}) by its author. We reuse its facts (its lab, its steps and what it observed), not its
        text: the explanations here are in our own words. The httpbin sample is from
        [istio/istio](https://github.com/istio/istio) (Apache-2.0).
    """)


def notebook(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


# ---------------------------------------------------------------------------------------------
# hidden solutions: key -> (code, why). The tests run every one through its check.

def _yaml_solution(yaml_text: str, check: str) -> str:
    return f'answer = """\n{yaml_text}"""\n{check}(answer)'


SOLUTIONS: dict[str, tuple[str, str]] = {
    "fix_typo": (
        _yaml_solution(STARTERS["fix_typo"].replace("egres:", "egress:"), "ex.check_fix_typo"),
        "`egres` is not a field of the Sidecar spec. Since Kubernetes 1.27 `kubectl apply` validates fields "
        "strictly and refuses the object (`strict decoding error: unknown field \"spec.egres\"`) instead of "
        "silently dropping the typo."),
    "fix_short_hosts": (
        _yaml_solution(STARTERS["fix_short_hosts"]
                       .replace('"istioinaction/httpbin"', '"istioinaction/httpbin.istioinaction.svc.cluster.local"')
                       .replace('"default/httpbin"', '"default/httpbin.default.svc.cluster.local"'),
                       "ex.check_fix_short_hosts"),
        "The part after the `/` is compared literally with each service's hostname, and Istio's validation "
        "refuses names that are not fully qualified."),
    "root_default": (
        _yaml_solution("apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: default\n"
                       "  namespace: istio-system\nspec:\n  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY\n",
                       "ex.check_root_default"),
        "The root namespace (`istio-system`) holds the mesh-wide default; it must have no `workloadSelector`. "
        "The name does not matter to istiod, but `default` is the convention."),
    "governing": (
        'ex.check_governing_sidecar("istioinaction/httpbin", "istioinaction/default")',
        "httpbin's labels (`app=httpbin`) do not match the workload Sidecar's selector `run=sleep`, so the "
        "namespace-wide Sidecar of its own namespace governs it; the root default is shadowed."),
    "tie": (
        'ex.check_tie_break("allow")',
        "Same creation second, so istiod compares names: `allow` sorts before `restrict`. The stricter Sidecar "
        "does not win, and the loser is ignored completely."),
    "keep_registry_only": (
        _yaml_solution(STARTERS["keep_registry_only"].replace(
            "spec:\n", "spec:\n  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY\n"), "ex.check_keep_registry_only"),
        "The chosen Sidecar is used alone. Without `outboundTrafficPolicy` it falls back to the mesh mode "
        "(ALLOW_ANY in this lab), not to the namespace Sidecar's REGISTRY_ONLY — so write the mode again."),
    "curl_exit": (
        'ex.check_curl_exit("https://google.com", 35)',
        "TLS hides the Host header from Envoy's HTTP routes, so the connection falls through to `virtualOutbound` "
        "and `BlackHoleCluster`, which accepts and closes it: the handshake fails and curl exits 35."),
    "empty_policy": (
        'ex.check_empty_policy("REGISTRY_ONLY")',
        "`REGISTRY_ONLY` is value 0 of the enum: a present-but-empty policy is REGISTRY_ONLY."),
    "open_for_sleep": (
        _yaml_solution("apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: workload\n"
                       "  namespace: istioinaction\nspec:\n  workloadSelector:\n    labels:\n      run: sleep\n"
                       "  outboundTrafficPolicy:\n    mode: ALLOW_ANY\n", "ex.check_open_for_sleep"),
        "This is the blog's step 05. A `workloadSelector` makes it a workload Sidecar, which outranks the "
        "namespace-wide `istioinaction/default` for the sleep pod only."),
    "egress_host": (
        'ex.check_egress_host("default/httpbin.default.svc.cluster.local")',
        "Namespace part: where the Service is defined (`default`). dnsName: its full hostname. `default/*` works "
        "too (it imports everything defined in `default`)."),
    "service_entry": (
        _yaml_solution(STARTERS["service_entry"].replace("namespace: default", "namespace: istioinaction"),
                       "ex.check_service_entry"),
        "The egress hosts `istioinaction/*` import what is *defined* in `istioinaction`; a ServiceEntry living "
        "there is imported, one in `default` is not."),
    "firewall": (
        'ex.check_firewall_verdict("PASSTHROUGH")',
        "Under ALLOW_ANY, traffic that matches no imported service goes to `PassthroughCluster`: httpbin.default "
        "still answers, in plaintext and without Istio's routing."),
    "client_address": (
        'ex.check_client_address("172.16.1.32:80")',
        "With `captureMode: NONE`, iptables leaves port 80 alone; Envoy binds `172.16.1.32:80` itself and "
        "forwards to `127.0.0.1:8080`."),
    "port_pool": (
        "ex.check_port_pool(None)",
        "The port's own `connectionPool` wins over `inboundConnectionPool` and replaces it as a whole: no field "
        "is merged, so port 80 has no http settings at all."),
    "default_endpoint": (
        _yaml_solution(STARTERS["default_endpoint"].replace("localhost:8080", "127.0.0.1:8080"),
                       "ex.check_default_endpoint"),
        "`defaultEndpoint` must be `127.0.0.1:<port>`, `0.0.0.0:<port>`, `[::1]:<port>`, `[::]:<port>` or "
        "`unix://<path>`: a hostname such as `localhost` is refused."),
    "find_the_bug": (
        _yaml_solution(STARTERS["find_the_bug"].replace(
            "spec:\n", "spec:\n  workloadSelector:\n    labels:\n      run: sleep\n"), "ex.check_find_the_bug"),
        "Without a selector it was a second namespace-wide Sidecar of `istioinaction`; the older "
        "`istioinaction/default` won and the new one was ignored (IST0111)."),
    "analyze_code": (
        'ex.check_analyze_code("IST0101")',
        "`run: slepe` matches no pod: istioctl reports IST0101 (ReferencedResourceNotFound), Kiali KIA0004."),
    "root_selector_fix": (
        _yaml_solution(STARTERS["root_selector_fix"].replace("namespace: istio-system", "namespace: istioinaction"),
                       "ex.check_root_selector_fix"),
        "A selector Sidecar applies only to pods of its own namespace; in `istio-system` it can only ever select "
        "pods of `istio-system`."),
    "live_google": (
        'ex.check_live_prediction("root-registry-only-google", "BLOCKED")',
        "The root Sidecar sets REGISTRY_ONLY; google.com is not in the registry, so Envoy's `block_all` route "
        "answers 502 with an empty body."),
    "live_default": (
        'ex.check_live_prediction("workload-hosts-httpbin-default", "BLOCKED")',
        "The workload Sidecar imports only `istioinaction/*` and is REGISTRY_ONLY: httpbin.default is not "
        "imported, so the request hits `block_all` on port 8000."),
    "cluster_count": (
        "ex.check_cluster_count(9)",
        "Without a Sidecar sleep sees all four services: httpbin twice (one port each), istiod (4 ports) and the "
        "ingress gateway (3 ports): 9 `outbound|port||host` clusters."),
    "minimal_sidecar": (
        _yaml_solution(STARTERS["minimal_sidecar"].replace(
            '"*/*"', '"istioinaction/httpbin.istioinaction.svc.cluster.local"'), "ex.check_minimal_sidecar"),
        "Import only what the workload calls. `istioinaction/*` also works here (httpbin is the only service "
        "defined in istioinaction)."),
    "push_fanout": (
        "ex.check_push_fanout(2)",
        "httpbin in istioinaction still imports `*/*` (namespace Sidecar without egress), and the ingress gateway "
        "ignores Sidecars; sleep no longer sees httpbin.default."),
}


# ---------------------------------------------------------------------------------------------
# 00 Start here


def nb00() -> list:
    return [
        header("00", "Start here", 15, [
            "say what Istio's `Sidecar` resource is, and what it is not",
            "find your way around the course: the seed lab, predict-then-reveal, exercises and their checks",
            "check that your environment can run every notebook (and, optionally, reach a cluster)",
        ]),
        md("""
            ## What a `Sidecar` resource is

            In an Istio mesh every injected pod runs an Envoy proxy (the `istio-proxy` container) next to the
            application. By default istiod configures **every** proxy for **every** service of the mesh and lets
            traffic to unknown hosts through.

            The `Sidecar` resource (`networking.istio.io`) narrows that down for the proxies it applies to:

            | part | what it says |
            |---|---|
            | `workloadSelector` | which pods of its namespace it is for (none: the whole namespace) |
            | `egress` | which services the proxy is configured for (`namespace/dnsName` hosts) |
            | `outboundTrafficPolicy` | what happens to a destination that is not in the registry: `ALLOW_ANY` or `REGISTRY_ONLY` |
            | `ingress` | how traffic into the pod is received (port, bind address, capture mode, where it is handed on) |
            | `inboundConnectionPool` | connection limits for inbound traffic |

            It is **not** the sidecar container itself, it does not apply to gateways, and — as notebook 04
            shows — restricting egress hosts is not a firewall.
        """),
        md("""
            ## The lab these notebooks follow

            The course replays the lab of the blog post credited at the end, step by step, as YAML in
            `data/seed/`:

            - `istioinaction` — injected: the client pod `sleep` (label `run: sleep`) and `httpbin`
            - `default` — not injected: another `httpbin`, without a sidecar
            - `istio-system` — istiod, the ingress gateway and the mesh config (mode `ALLOW_ANY`)

            | step | what changes | notebook |
            |---|---|---|
            | `01-no-sidecar` | nothing yet | 03 |
            | `02-root-registry-only` | a mesh-wide `REGISTRY_ONLY` Sidecar in `istio-system` | 02, 03 |
            | `03-namespace-allow-any` | `istioinaction/default`, `ALLOW_ANY` | 02 |
            | `04-namespace-registry-only` | the same edited to `REGISTRY_ONLY` | 02 |
            | `05-workload-allow-any` | `istioinaction/workload` for `run: sleep`, `ALLOW_ANY` | 02, 04 |
            | `06-workload-hosts` | that one edited: `REGISTRY_ONLY`, egress `istioinaction/*` | 04 |

            Notebook 01 reads the resource format, 05 the ingress side, 06 the diagnostics, 07 runs the same
            commands on a real cluster, and 08 shows why all this matters in a big mesh.
        """),
        md("""
            ## How the notebooks work

            - **Offline simulator.** `sidecar_lab` follows istiod's own selection and routing rules, so it can
              say which Sidecar governs a pod, what its Envoy is configured with, and what `curl` would print —
              with the reason, instantly.
            - **Predict, then reveal.** Before a result is shown you write down what you expect (ROUTED,
              PASSTHROUGH or BLOCKED). Committing first is what makes the surprises stick.
            - **Exercises.** Each notebook has a few. You edit a cell and run it; a `check_*()` function answers
              with ✔ and why, or ✘ with a hint of where to look. Solutions are folded away under *Solution*.
            - **The same thing on the command line.** Each step shows the `sidecar-lab` (and `kubectl`) command
              that gives the same answer in a terminal.
        """),
        code('''
            import sidecar_lab as sl
            from sidecar_lab.course import exercises as ex
            from sidecar_lab.core.render import check_text


            def seed(step):
                """The simulator for the seed lab at one step of the blog's walkthrough (data/seed/)."""
                return sl.Simulator(sl.load(sl.scenario_paths("seed/cluster", f"seed/steps/{step}")))
        '''),
        md("""
            ## Environment check

            The next cell looks at what the notebooks need. Each missing piece comes with a line that fixes it.
            It does not contact any cluster.
        """),
        code('''
            import importlib.util
            import os
            import sys


            def env_check():
                rows = []

                def row(name, ok, detail, fix=None, required=True):
                    rows.append((name, ok, detail, fix, required))

                row("Python", sys.version_info >= (3, 10), sys.version.split()[0], "install Python 3.10 or newer")
                row("sidecar-lab", True, sl.__version__)
                widgets = importlib.util.find_spec("ipywidgets")
                if widgets:
                    import ipywidgets
                    row("ipywidgets", True, ipywidgets.__version__)
                else:
                    row("ipywidgets", False, "not installed", 'pip install "sidecar-lab[lab]"')
                front = importlib.util.find_spec("jupyterlab_widgets") or importlib.util.find_spec("widgetsnbextension")
                row("widget front end", bool(front),
                    "installed in this environment" if front else "not installed (widgets would show as text)",
                    "pip install jupyterlab_widgets, then reload the browser tab")
                mpl = importlib.util.find_spec("matplotlib")
                row("matplotlib", bool(mpl), "installed" if mpl else "not installed", 'pip install "sidecar-lab[lab]"')
                font = None
                if mpl:
                    from sidecar_lab.course.figures import hangul_font
                    font = hangul_font()
                row("Korean font (figures with lang='ko')", font is not None, font or "none found",
                    "sudo apt-get install fonts-nanum (or any Noto Sans CJK KR), then restart the kernel",
                    required=False)
                kube = importlib.util.find_spec("kubernetes")
                row("kubernetes client (notebook 07 only)", bool(kube), "installed" if kube else "not installed",
                    'pip install "sidecar-lab[live]"', required=False)
                config = os.environ.get("SIDECAR_LAB_KUBECONFIG") or os.environ.get("KUBECONFIG") or "~/.kube/config"
                found = any(os.path.isfile(os.path.expanduser(p)) for p in config.split(os.pathsep) if p)
                row("kubeconfig (notebook 07 only)", found, config if found else f"no file at {config}",
                    "kind create cluster --name istio-lab && istioctl install --set profile=default -y",
                    required=False)
                for name, ok, detail, fix, required in rows:
                    mark = "ok  " if ok else ("MISSING" if required else "optional")
                    print(f"{mark:8} {name}: {detail}")
                    if not ok and fix:
                        print(f"{'':8}   fix: {fix}")
                return all(ok for _, ok, _, _, required in rows if required)


            print("\\nready for notebooks 00-06 and 08" if env_check() else "\\nfix the MISSING lines above first")
        '''),
        md("""
            If the widget front end works you see a slider below. If you see a line of text such as
            `IntSlider(value=3, ...)` or "Error displaying widget" instead, run the fix line for
            *widget front end* above and reload the page.
        """),
        code('''
            try:
                import ipywidgets as widgets
            except ImportError:
                print('ipywidgets is not installed: pip install "sidecar-lab[lab]", then restart the kernel')
            else:
                display(widgets.IntSlider(value=3, min=1, max=6, description="step"))
        '''),
        md("""
            ## A first taste: predict, then reveal

            At step 02 the blog applied a mesh-wide Sidecar in `istio-system` with
            `outboundTrafficPolicy: REGISTRY_ONLY`, then ran `curl http://google.com` from the sleep pod.

            **Predict** what happened: `ROUTED` (to a service of the mesh), `PASSTHROUGH` (out of the mesh as
            is) or `BLOCKED`. Write it in the cell, then run both cells.
        """),
        code('''
            my_prediction = ""  # "ROUTED", "PASSTHROUGH" or "BLOCKED"
        '''),
        code('''
            result = sl.check(seed("02-root-registry-only"), "istioinaction/sleep", "http://google.com")
            ex.reveal(my_prediction, result)
        '''),
        md("""
            The same answer from a terminal:

            ```console
            $ sidecar-lab check data/seed/cluster data/seed/steps/02-root-registry-only \\
                  --from istioinaction/sleep --to http://google.com
            ```

            and the text it prints:
        """),
        code('''
            print(check_text(result))
        '''),
        traps([
            ("You cannot ask Kubernetes which Sidecar applies to a pod.",
             "`kubectl get sidecar` lists the objects, not which one won for a pod; people end up reading "
             "`istioctl proxy-config`. `sidecar_lab.resolve` (notebook 02) shows the winner and why.",
             [("istio/istio#12896", ISSUE.format(12896))]),
            ("Gateways ignore Sidecar resources.",
             "Scoping every namespace does not shrink an ingress or egress gateway's configuration.",
             [("istio/istio#38827", ISSUE.format(38827))]),
            ("A change is not in effect the moment `kubectl apply` returns.",
             "istiod pushes new configuration to the proxies asynchronously (and early releases had bugs where "
             "Sidecar updates did not stick), so a curl right after an apply may still see the old behaviour. "
             "Offline results here are instant; notebook 07 waits for the push.",
             [("istio/istio#21650", ISSUE.format(21650)), ("istio/istio#11762", ISSUE.format(11762))]),
        ]),
        credit(),
    ]


# ---------------------------------------------------------------------------------------------
# 01 Anatomy


def nb01() -> list:
    return [
        header("01", "Anatomy of a Sidecar", 25, [
            "read each field of a `Sidecar` and say what it changes in the proxy",
            "tell apart the three checks `kubectl apply` runs (unknown fields, the CRD's schema, Istio's webhook)",
            "fix a Sidecar from Istio's own validation messages",
        ], 'Follows the blog\'s section **"Resource 형식"** (the resource format).'),
        setup(),
        md("""
            ## The blog's example

            The post opens with an example taken from Istio's reference: a workload Sidecar for
            `app: productpage` in `prod-us1` with connection-pool settings. It is in
            `data/seed/examples/connection-pool-settings.yaml`, together with a small `productpage` workload
            for it to select (`examples/productpage.yaml`).
        """),
        code('''
            from pathlib import Path

            example = Path(sl.scenario_paths("seed/examples/connection-pool-settings.yaml")[0])
            print(example.read_text())
        '''),
        md("""
            ## Field by field

            | field | meaning | if omitted |
            |---|---|---|
            | `metadata.namespace` | the namespace whose pods it can apply to; in the root namespace (`istio-system`) a selector-less one is the mesh-wide default | `default` |
            | `spec.workloadSelector.labels` | the pods of that namespace it applies to (all labels must match) | the whole namespace |
            | `spec.egress[]` | outbound listeners: `hosts` (`namespace/dnsName`), optional `port`, `bind`, `captureMode` | one listener importing `*/*` |
            | `spec.outboundTrafficPolicy.mode` | `ALLOW_ANY` or `REGISTRY_ONLY` for destinations not in the registry | the mesh config's mode |
            | `spec.ingress[]` | inbound listeners: `port` (the container port), `bind`, `captureMode`, `defaultEndpoint`, `connectionPool`, `tls` | derived from the Services that select the pod |
            | `spec.inboundConnectionPool` | connection limits for every inbound port without its own `connectionPool` | none |

            Nothing is inherited from another Sidecar: "if omitted" always means the built-in value in the last
            column (notebook 02 comes back to this).

            What does the example do to `productpage`? `resolve` says which Sidecar governs it and what its proxy
            gets. From a terminal:

            ```console
            $ sidecar-lab resolve data/seed/examples/productpage.yaml \\
                  data/seed/examples/connection-pool-settings.yaml --workload prod-us1/productpage
            ```
        """),
        code('''
            example_sim = sl.Simulator(sl.load(sl.scenario_paths(
                "seed/examples/productpage.yaml", "seed/examples/connection-pool-settings.yaml")))
            print(resolution_text(sl.resolve(example_sim, "prod-us1/productpage")))
        '''),
        md("""
            ## What `kubectl apply` checks

            A Sidecar goes through three gates before istiod ever sees it, and the first one that fails stops it:

            1. **Unknown fields.** Since Kubernetes 1.27 `kubectl apply` decodes strictly: a typo such as `egres:`
               is refused (`strict decoding error: unknown field "spec.egres"`).
            2. **The CRD's schema** (types, enums, limits) — checked by the API server.
            3. **Istio's validating webhook** (`ValidateSidecar` in istiod) — the rules about hosts, ports,
               listeners, `defaultEndpoint` and so on. Errors refuse the object; warnings let it in.

            `sidecar_lab.core.validation.validate_sidecar` reports all three with Istio's own wording. A few broken
            Sidecars:
        """),
        code('''
            from sidecar_lab.core.validation import validate_sidecar

            broken = {
                "empty spec": {},
                "short host name": {"egress": [{"hosts": ["default/httpbin"]}]},
                "host without namespace": {"egress": [{"hosts": ["httpbin.default.svc.cluster.local"]}]},
                "catch-all listener not last": {"egress": [{"hosts": ["./*"]},
                                                           {"port": {"number": 8000, "protocol": "HTTP", "name": "h"},
                                                            "hosts": ["default/*"]}]},
                "empty selector (admitted, with a warning)": {"workloadSelector": {},
                                                              "outboundTrafficPolicy": {"mode": "ALLOW_ANY"}},
            }
            for title, spec in broken.items():
                print(f"--- {title}")
                for m in validate_sidecar(spec, "istioinaction"):
                    print(f"  {m.level} [{m.rule}] {m.field}: {m.message}" + (f"  ({m.hint})" if m.hint else ""))
        '''),
        md("""
            On a cluster the webhook's answer looks like
            `admission webhook "validation.istio.io" denied the request: configuration is invalid: ...`
            followed by the same messages.

            ### Predict, then reveal

            A Sidecar whose spec has only a `workloadSelector` and nothing else — admitted or rejected?
        """),
        code('''
            my_prediction = ""  # "admitted" or "rejected"
        '''),
        code('''
            messages = validate_sidecar({"workloadSelector": {"labels": {"run": "sleep"}}}, "istioinaction")
            verdict = "rejected" if any(m.level == "Error" for m in messages) else "admitted"
            print(f"you said {my_prediction or '(nothing)'}; kubectl apply: {verdict}")
            for m in messages:
                print(f"  {m.level} [{m.rule}] {m.field}: {m.message}")
        '''),
        md("""
            A selector says *who*, not *what*: a Sidecar needs at least one of `egress`, `ingress`,
            `outboundTrafficPolicy` or `inboundConnectionPool`.

            ## Try it: a Sidecar playground

            Edit the YAML in the box; the playground validates it as you type and shows which Sidecar then
            governs the lab's pods (the seed at step 04 plus your Sidecar).
        """),
        code('''
            from sidecar_lab.course.widgets import YamlPlayground

            YamlPlayground(base="04-namespace-registry-only")
        '''),
        *exercise(1, "a typo", """
            The blog's step 06 edits `istioinaction/workload` so that sleep may only reach services of
            `istioinaction`. The version below has a typo and `kubectl apply` refuses it. Fix the YAML so that
            the check passes (it applies your Sidecar at step 05, as the blog did).
        """, yaml_answer("fix_typo", "ex.check_fix_typo", "Fix the typo, then run the cell."), "fix_typo"),
        *exercise(2, "short host names", """
            This Sidecar should let sleep reach the two httpbin services (one in `istioinaction`, one in
            `default`) and nothing else. Run it to read Istio's messages, then fix the hosts.
        """, yaml_answer("fix_short_hosts", "ex.check_fix_short_hosts", "Fix the two hosts."), "fix_short_hosts"),
        *exercise(3, "the blog's first Sidecar, from memory", """
            Write the Sidecar the blog applied first (step 02): the mesh-wide default that makes every proxy
            `REGISTRY_ONLY`. Which namespace must it live in, and what must it *not* have?
        """, yaml_answer("root_default", "ex.check_root_default", "Write the whole Sidecar between the quotes."),
            "root_default"),
        traps([
            ("Host entries are `namespace/dnsName`, with a full hostname.",
             "`bar/*` means *everything defined in namespace bar*, not the service `bar`; short names and hosts "
             "without `/` are refused (one even crashed Kiali's validator).",
             [("istio/istio#30798", ISSUE.format(30798)), ("kiali/kiali#6010", KIALI.format(6010))]),
            ("The port-less egress listener must come last.",
             "An example in Istio's own reference was once rejected for this.",
             [("istio/api#847", API.format(847))]),
            ("`workloadSelector: {}` is admitted with a warning only.",
             "It is not the same as leaving the selector out: it matches every pod and outranks the namespace "
             "default (notebook 02).",
             [("istio/istio#46921", PULL.format(46921)), ("istio/istio#40840", PULL.format(40840))]),
        ]),
        credit(),
    ]


# ---------------------------------------------------------------------------------------------
# 02 Precedence


def nb02() -> list:
    return [
        header("02", "Precedence: which Sidecar governs a pod", 30, [
            "predict which Sidecar governs a pod: workload selector > namespace-wide > root namespace > built-in",
            "break ties the way istiod does (oldest first, then by name)",
            "explain why `workloadSelector: {}` and gateways behave as they do",
            "avoid the no-merge trap: a chosen Sidecar inherits nothing",
        ], 'Follows the blog\'s sections **"적용 우선 순위 및 범위"** (precedence and scope) and '
           '**"적용 범위 확인"** (checking the scope), steps 02 to 05.'),
        setup(),
        md("""
            ## The rule

            For a pod with a sidecar proxy in namespace *N*, istiod looks only at the Sidecars of *N* first:

            1. Sidecars **with** a `workloadSelector` whose labels all match the pod's labels;
            2. then the Sidecar **without** a selector (the namespace-wide one);
            3. if *N* has none that applies: the selector-less Sidecar of the **root namespace** (`istio-system`),
               evaluated as if it lived in *N*;
            4. otherwise the built-in default (egress `*/*`, the mesh's outbound mode).

            Within one level the **oldest** (`creationTimestamp`, one-second resolution) wins, then the first name
            in alphabetical order. Exactly one Sidecar is used; the others are ignored.
        """),
        md("""
            ## Step 02 — a mesh-wide default

            The blog's `istio-system/default` (`REGISTRY_ONLY`) is the only Sidecar. The figure shows the layers
            istiod walks for the sleep pod; the text below it is what `sidecar-lab resolve` prints:

            ```console
            $ sidecar-lab resolve data/seed/cluster data/seed/steps/02-root-registry-only --workload istioinaction/sleep
            ```
        """),
        code('''
            sim02 = seed("02-root-registry-only")
            res = sl.resolve(sim02, "istioinaction/sleep")
            show(figures.precedence_ladder(res))
            print(resolution_text(res))
        '''),
        md("""
            ## Step 03 — a namespace Sidecar

            The blog then created `istioinaction/default` with `ALLOW_ANY` and listed the Sidecars
            (`kubectl get sidecar.networking.istio.io -A`: two, eight minutes apart).

            **Predict:** does `curl http://google.com` from sleep now get through?
        """),
        code('''
            my_prediction = ""  # "ROUTED", "PASSTHROUGH" or "BLOCKED"
        '''),
        code('''
            sim03 = seed("03-namespace-allow-any")
            print("kubectl get sidecar -A:", ", ".join(f"{s.namespace}/{s.name}" for s in sim03.mesh.sidecars))
            ex.reveal(my_prediction, sl.check(sim03, "istioinaction/sleep", "http://google.com"))
        '''),
        md("""
            The namespace's own Sidecar shadows the root default for every pod of `istioinaction`. In step 04 the
            blog edits it back to `REGISTRY_ONLY` (an edit keeps the object's creation time), and in step 05 adds
            `istioinaction/workload` for `run: sleep` with `ALLOW_ANY`.

            ## Step 05 — a workload Sidecar
        """),
        code('''
            sim05 = seed("05-workload-allow-any")
            for pod in ("istioinaction/sleep", "istioinaction/httpbin"):
                r = sl.check(sim05, pod, "http://google.com")
                print(f"{pod:24} -> google.com: {r.verdict.value:12} (Sidecar {r.resolution.sidecar}, mode {r.resolution.mode})")
            show(figures.precedence_ladder(sl.resolve(sim05, "istioinaction/sleep")))
        '''),
        md("""
            Only the sleep pod matches `run: sleep`; httpbin keeps the namespace Sidecar. That completes the order
            the blog set out to check: workload selector, then namespace, then the global (root) default.

            ## Explore

            Switch the root, namespace and workload Sidecars on and off, change their modes and hosts, or pick
            another step of the walkthrough: the ladder, the requests and the YAML follow at once.
        """),
        code('''
            from sidecar_lab.course.widgets import PrecedenceExplorer

            PrecedenceExplorer("05-workload-allow-any", workload="istioinaction/sleep")
        '''),
        *exercise(1, "who governs httpbin?", """
            At step 05, which Sidecar governs `istioinaction/httpbin`? Answer as `namespace/name`
            (or `none`).
        """, '''
            answer = ""  # for example "istio-system/default"
            ex.check_governing_sidecar("istioinaction/httpbin", answer, step="05-workload-allow-any")
        ''', "governing"),
        md("""
            ## Ties: the oldest wins, then the name

            `kubectl apply -f` of one file with two Sidecars creates both in the same second. Here are two
            namespace-wide Sidecars of `istioinaction` with the same `creationTimestamp`:
        """),
        code('''
            print(ex.SCENARIOS["tie"])
        '''),
        *exercise(2, "break the tie", """
            Which of the two governs the sleep pod (after step 01, where there is no other Sidecar)? Answer with
            its name. Then run `sl.resolve(ex.apply_text("01", ex.SCENARIOS["tie"]), "istioinaction/sleep")` to
            see the reason istiod records.
        """, '''
            answer = ""  # "allow" or "restrict"
            ex.check_tie_break(answer)
        ''', "tie"),
        md("""
            ## `workloadSelector: {}`

            An empty selector is still a selector: it matches every pod, so it outranks the namespace-wide
            Sidecar even when it is newer. Validation only warns, and `istioctl analyze` counts it as
            selector-less.
        """),
        code('''
            empty_selector = """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata:
              name: everyone
              namespace: istioinaction
            spec:
              workloadSelector: {}
              outboundTrafficPolicy:
                mode: ALLOW_ANY
            """
            sim = ex.apply_text("04-namespace-registry-only", empty_selector, "everyone.yaml")
            res = sl.resolve(sim, "istioinaction/httpbin")
            print(f"httpbin is governed by {res.sidecar} [{res.scope}]: {res.scope_reason.text()}")
            from sidecar_lab.core.analyze import analyze
            for m in analyze(sim):
                if m.resource.name == "everyone":
                    print(m.line())
        '''),
        md("""
            ## Gateways ignore Sidecars

            The blog points this out next to the precedence rules: whatever the Sidecars say, a gateway proxy gets
            every service exported to its namespace and the mesh's outbound mode.
        """),
        code('''
            print(resolution_text(sl.resolve(sim02, "istio-system/istio-ingressgateway")))
        '''),
        md("""
            ## Nothing is merged

            The chosen Sidecar is used **alone**. Fields it leaves out take the built-in value, never the value of
            the namespace or root Sidecar it shadows:

            - no `egress` → `*/*` (every service exported to the namespace);
            - no `outboundTrafficPolicy` → the mesh config's mode (`ALLOW_ANY` in this lab).

            At step 05 the workload Sidecar has no `egress`, so sleep sees every service again:
        """),
        code('''
            res = sl.resolve(sim05, "istioinaction/sleep")
            print("egress:", [(e.hosts, "implicit" if e.implicit else "written") for e in res.egress])
            for note in res.notes:
                print("note:", note.text())
        '''),
        *exercise(3, "keep REGISTRY_ONLY", """
            At step 04 everything in `istioinaction` is `REGISTRY_ONLY`. A colleague adds a workload Sidecar that
            should only *narrow* what sleep sees to `istioinaction/*`. Run it: google.com opens up for sleep.
            Fix the Sidecar so that sleep keeps `REGISTRY_ONLY`.
        """, yaml_answer("keep_registry_only", "ex.check_keep_registry_only", "Fix it, then run the cell."),
            "keep_registry_only"),
        traps([
            ("The most specific selector does not win.",
             "With Sidecars for `app=foo` and `app=foo,canary=true`, both match a canary pod and the oldest wins.",
             [("istio/istio#24741", ISSUE.format(24741))]),
            ("Two namespace-wide Sidecars: one is silently ignored.",
             "The docs call it undefined; istiod takes the oldest (then the first name). `istioctl analyze` says "
             "IST0111.", [("istio/istio#18468", ISSUE.format(18468))]),
            ("`workloadSelector: {}` outranks the namespace Sidecar.",
             "It is a selector that matches every pod; analyzers treat it as no selector.",
             [("istio/istio#46921", PULL.format(46921))]),
            ("A selector Sidecar in `istio-system` is not mesh-wide.",
             "It applies only to pods in `istio-system`; only a selector-less one is the mesh default.",
             [("istio/istio#39989", ISSUE.format(39989))]),
            ("Nothing is inherited.",
             "A workload Sidecar written only for ingress quietly escapes the mesh-wide egress restriction.",
             [("istio/istio#59376", ISSUE.format(59376))]),
            ("Gateways are not scoped by Sidecars.",
             "Their memory stays high however well the namespaces are scoped.",
             [("istio/istio#38827", ISSUE.format(38827))]),
        ]),
        credit(),
    ]


# ---------------------------------------------------------------------------------------------
# 03 outboundTrafficPolicy


def nb03() -> list:
    return [
        header("03", "outboundTrafficPolicy", 30, [
            "say what `REGISTRY_ONLY` and `ALLOW_ANY` do, and to which traffic",
            "set the mode in the mesh config or in a Sidecar, and tell which one wins",
            "explain why the blog's blocked curl printed nothing (a 502 with an empty body)",
            "tell `block_all`, `BlackHoleCluster` and `PassthroughCluster` apart, and why https fails with exit 35",
        ], 'Follows the blog\'s section **"서비스 레지스트리에 등록된 호스트만 허용하기"** (allow only hosts '
           'registered in the service registry), steps 01 and 02.'),
        setup(),
        md("""
            ## Step 01 — before any Sidecar

            The blog first checked two requests from the sleep pod: httpbin in the same namespace, and google.com.

            ```console
            $ kubectl exec -n istioinaction sleep -c sleep -- curl -s http://httpbin.istioinaction:8000/ip
            $ sidecar-lab check data/seed/cluster data/seed/steps/01-no-sidecar \\
                  --from istioinaction/sleep --to http://google.com
            ```
        """),
        code('''
            sim01 = seed("01-no-sidecar")
            for target in ("http://httpbin.istioinaction:8000/ip", "http://google.com"):
                print(check_text(sl.check(sim01, "istioinaction/sleep", target)), end="\\n\\n")
        '''),
        code('''
            show(figures.request_path(sl.check(sim01, "istioinaction/sleep", "http://google.com")))
        '''),
        md("""
            google.com is not a service of the mesh, but the mesh mode is `ALLOW_ANY` (the seed's ConfigMap
            `istio` sets no `outboundTrafficPolicy`), so Envoy passes it through unchanged.

            ## Mesh config or Sidecar

            The blog recalls that its earlier lab set the mode mesh-wide at install time —
            `istioctl install --set profile=default --set meshConfig.outboundTrafficPolicy.mode=REGISTRY_ONLY` —
            and that a selector-less Sidecar in `istio-system` with `mode: REGISTRY_ONLY` has the same effect.
            Both, side by side:
        """),
        code('''
            import dataclasses

            mesh = sim01.mesh
            via_mesh_config = sl.Simulator(dataclasses.replace(
                mesh, mesh_config=dataclasses.replace(mesh.mesh_config, outbound_mode="REGISTRY_ONLY",
                                                      outbound_mode_from="istioctl install --set meshConfig...")))
            via_sidecar = seed("02-root-registry-only")
            for label, sim in (("meshConfig REGISTRY_ONLY", via_mesh_config), ("root Sidecar REGISTRY_ONLY", via_sidecar)):
                r = sl.check(sim, "istioinaction/sleep", "http://google.com")
                print(f"{label:28} google.com: {r.verdict.value:8} mode from {r.resolution.policy.source}: "
                      f"{r.resolution.policy.detail}")
        '''),
        md("""
            The same verdict, from different places. The difference shows when more Sidecars arrive: a
            Sidecar's `outboundTrafficPolicy` wins over the mesh config for the pods it governs, and a Sidecar
            **without** one falls back to the mesh config (never to another Sidecar).

            ## Step 02 — the blocked curl

            **Predict** what `curl http://google.com` printed at step 02 (the blog ran it without `-s`):
        """),
        code('''
            from sidecar_lab.course.widgets import PredictReveal

            PredictReveal(questions=[("02-root-registry-only", "istioinaction/sleep", "http://google.com"),
                                     ("02-root-registry-only", "istioinaction/sleep", "http://httpbin.istioinaction:8000/ip")])
        '''),
        code('''
            sim02 = seed("02-root-registry-only")
            blocked = sl.check(sim02, "istioinaction/sleep", "http://google.com")
            print(check_text(blocked))
            print("\\nHTTP status:", blocked.http_status, "| curl exit code:", blocked.curl_exit)
        '''),
        md("""
            ### Why it printed nothing

            - Some service of the mesh has an HTTP port 80 — here the ingress gateway's port 80 is named
              `http2` — so every sidecar has a shared HTTP listener `0.0.0.0_80`.
            - On that listener, a Host that matches no imported service reaches the catch-all virtual host. Under
              `REGISTRY_ONLY` its route `block_all` makes **Envoy itself answer 502 with an empty body**.
            - curl does not treat an HTTP error status as a failure unless given `-f`, so it prints the empty body
              and exits 0. Without `-s` you see only the progress meter with 0 bytes received — exactly what the
              blog shows.

            When there is **no** HTTP listener on the port (or the traffic is not plain HTTP), the connection
            goes to `virtualOutbound` and then to `BlackHoleCluster`, which accepts it and closes it. At step 06
            the sleep pod imports only httpbin (port 8000), so port 80 has no listener for it any more:
        """),
        code('''
            for step, target in (("02-root-registry-only", "http://google.com"),
                                 ("06-workload-hosts", "http://google.com"),
                                 ("02-root-registry-only", "https://google.com"),
                                 ("01-no-sidecar", "https://google.com")):
                r = sl.check(seed(step), "istioinaction/sleep", target)
                print(f"{step:24} {target:20} {r.verdict.value:12} cluster {r.envoy.cluster or '-':18} "
                      f"route {r.envoy.route or '-':10} curl exit {r.curl_exit}")
        '''),
        md("""
            | what you see | where it came from | mode |
            |---|---|---|
            | HTTP 502, empty body, curl exit 0 | route `block_all` on a `0.0.0.0_P` HTTP listener | `REGISTRY_ONLY` |
            | curl exit 52 (empty reply), or 56 | `BlackHoleCluster` via `virtualOutbound` (plain HTTP, no listener on the port) | `REGISTRY_ONLY` |
            | curl exit 35 (TLS handshake) | `BlackHoleCluster` (https: Envoy cannot see the Host) | `REGISTRY_ONLY` |
            | the destination's own answer | `PassthroughCluster` (route `allow_any` for HTTP) | `ALLOW_ANY` |

            `istioctl proxy-config route <pod>.<ns> --name 80` and `istioctl proxy-config cluster <pod>.<ns>`
            show these names on a real proxy.
        """),
        *exercise(1, "https under REGISTRY_ONLY", """
            At step 02, what exit code does `curl https://google.com` give in the sleep pod?
        """, '''
            answer = None  # a number
            ex.check_curl_exit("https://google.com", answer)
        ''', "curl_exit"),
        *exercise(2, "an empty policy", """
            Here `istioinaction/default` has `outboundTrafficPolicy: {}` — the field, but no mode. The mesh mode is
            `ALLOW_ANY`. Which mode does the sleep pod get?
        """, '''
            print(ex.SCENARIOS["empty_policy"])
            answer = ""  # "REGISTRY_ONLY" or "ALLOW_ANY"
            ex.check_empty_policy(answer)
        ''', "empty_policy"),
        *exercise(3, "open google.com for sleep only", """
            At step 04 every pod of `istioinaction` is `REGISTRY_ONLY`. Write a Sidecar that lets **only** the
            sleep pod reach google.com; httpbin must stay blocked. (The first try below opens it for every pod.)
        """, yaml_answer("open_for_sleep", "ex.check_open_for_sleep", "Change it so only sleep gets through."),
            "open_for_sleep"),
        traps([
            ("A REGISTRY_ONLY block looks like a 502 from nowhere.",
             "The 502 comes from Envoy's `block_all` route, not from the destination; people report it as "
             "\"cannot find route entry\".", [("istio/istio#28994", ISSUE.format(28994))]),
            ("https and TCP fail differently.",
             "They go to `BlackHoleCluster`: a reset, or curl exit 35 during the TLS handshake.",
             [("istio/istio#36712", ISSUE.format(36712)), ("istio/istio#34632", ISSUE.format(34632))]),
            ("Per-workload overrides of the mesh mode surprise people.",
             "A Sidecar `ALLOW_ANY` over a mesh-wide `REGISTRY_ONLY` once worked for https but still gave 502 on "
             "port 80.", [("istio/istio#39794", ISSUE.format(39794)), ("istio/istio#37065", ISSUE.format(37065))]),
            ("`outboundTrafficPolicy: {}` means REGISTRY_ONLY.",
             "It is the enum's zero value; even Kiali's docs suggested otherwise.",
             [("kiali/kiali#5882", KIALI.format(5882))]),
            ("The mode only affects unmatched traffic.",
             "Traffic to imported services is routed the same in both modes; and egress hosts without "
             "`REGISTRY_ONLY` block nothing (notebook 04).", [("istio/istio#15329", ISSUE.format(15329))]),
        ]),
        credit(),
    ]


# ---------------------------------------------------------------------------------------------
# 04 Egress hosts


def nb04() -> list:
    return [
        header("04", "Egress hosts", 30, [
            "read and write egress hosts (`namespace/dnsName`) and predict what a proxy imports",
            "explain the blog's host restriction and the `origin` addresses it printed",
            "use `exportTo` and `ServiceEntry` with Sidecars",
            "explain why egress hosts are not a firewall, and read a reachability matrix",
        ], 'Follows the blog\'s section **"호스트 제한"** (restricting hosts), steps 05 and 06.'),
        setup(),
        md("""
            ## Before: step 05

            With `istioinaction/workload` (`ALLOW_ANY`, no egress) sleep reaches both httpbins. Look at the
            `origin` httpbin reports — who does each httpbin think is calling?
        """),
        code('''
            sim05 = seed("05-workload-allow-any")
            for target in ("http://httpbin.istioinaction:8000/ip", "http://httpbin.default:8000/ip"):
                r = sl.check(sim05, "istioinaction/sleep", target)
                print(f"{target:40} {r.verdict.value:8} the destination sees: {r.destination_sees_source}")
        '''),
        md("""
            httpbin in `istioinaction` has a sidecar: its Envoy receives the request and opens a new connection
            to the application from `127.0.0.6`. httpbin in `default` has no sidecar, so it sees the client pod's
            own address (`10.10.0.14` in the blog).

            ## After: step 06

            The blog edits `istioinaction/workload`: `REGISTRY_ONLY`, and egress hosts `istioinaction/*`.

            **Predict** `curl http://httpbin.default:8000/ip` from sleep now.
        """),
        code('''
            my_prediction = ""  # "ROUTED", "PASSTHROUGH" or "BLOCKED"
        '''),
        code('''
            sim06 = seed("06-workload-hosts")
            ex.reveal(my_prediction, sl.check(sim06, "istioinaction/sleep", "http://httpbin.default:8000/ip"))
        '''),
        md("""
            ```console
            $ sidecar-lab check data/seed/cluster data/seed/steps/06-workload-hosts \\
                  --from istioinaction/sleep --to http://httpbin.default:8000/ip
            ```

            What the sleep proxy now imports, by namespace:
        """),
        code('''
            show(figures.scope_map(sl.resolve(sim06, "istioinaction/sleep"), sim06))
        '''),
        md("""
            ## The host grammar

            A host is `namespace/dnsName`, with exactly one `/`:

            | part | values |
            |---|---|
            | namespace | a name; `.` = the Sidecar's own namespace; `*` = any namespace; `~` = none (imports nothing) |
            | dnsName | a full hostname (`httpbin.default.svc.cluster.local`, or a ServiceEntry host as written); `*`; a leading wildcard `*.example.com` |

            The namespace is where the Service (or ServiceEntry, VirtualService) is **defined** — not where the
            traffic goes — and the dnsName is matched literally: no DNS short-name expansion. A few host lists for
            the sleep pod's Sidecar, and what each imports:
        """),
        code('''
            import yaml


            def sleep_imports(hosts):
                """Step 06 with the sleep Sidecar's egress hosts replaced by `hosts`."""
                sidecar = {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
                           "metadata": {"name": "workload", "namespace": "istioinaction"},
                           "spec": {"workloadSelector": {"labels": {"run": "sleep"}},
                                    "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
                                    "egress": [{"hosts": hosts}]}}
                sim = ex.apply_text("06-workload-hosts", yaml.safe_dump(sidecar))
                errors = [m for msgs in sim.validation.values() for m in msgs if m.level == "Error"]
                if errors:
                    return f"refused: {errors[0].message}"
                res = sl.resolve(sim, "istioinaction/sleep")
                return "imports " + (", ".join(v.host for v in res.visible_services) or "nothing")


            for hosts in (["./*"], ["istioinaction/*"], ["*/httpbin.default.svc.cluster.local"], ["default/*"],
                          ["*/*"], ["~/*"], ["default/httpbin.default"], ["httpbin/*"]):
                print(f"{str(hosts):42} {sleep_imports(hosts)}")
        '''),
        *exercise(1, "let httpbin.default back in", """
            Add **one** host to step 06's `[istioinaction/*]` so that sleep reaches `httpbin.default` again,
            without importing anything from other namespaces.
        """, '''
            host = "default/httpbin"  # namespace/dnsName
            ex.check_egress_host(host)
        ''', "egress_host"),
        md("""
            ## exportTo: what a Sidecar may import at all

            A Sidecar can only import what is **exported** to its namespace. If the owner of `httpbin.default`
            annotates the Service with `networking.istio.io/exportTo: "."` (visible in its own namespace only),
            even `*/*` cannot bring it back:
        """),
        code('''
            from pathlib import Path
            import yaml

            docs = list(yaml.safe_load_all(Path(sl.scenario_paths("seed/cluster/httpbin-default.yaml")[0]).read_text()))
            service = next(d for d in docs if d["kind"] == "Service")
            service["metadata"].setdefault("annotations", {})["networking.istio.io/exportTo"] = "."
            private = ex.apply_text("05-workload-allow-any", yaml.safe_dump(service))
            for step_sim, label in ((sim05, "exported to all"), (private, 'exportTo "."')):
                res = sl.resolve(step_sim, "istioinaction/sleep")
                r = sl.check(step_sim, "istioinaction/sleep", "http://httpbin.default:8000/ip")
                print(f"{label:16} sleep imports httpbin.default: "
                      f"{any(v.host.startswith('httpbin.default') for v in res.visible_services)}; request: {r.verdict.value}")
        '''),
        md("""
            Under `ALLOW_ANY` (step 05) the request still gets out — as passthrough. Which brings us to the next
            point.

            ## ServiceEntry: putting an external host in the registry

            Under `REGISTRY_ONLY` an external host is reachable once it is **in the registry**, through a
            `ServiceEntry` that the proxy imports.
        """),
        *exercise(2, "a ServiceEntry for google.com", """
            At step 06 (sleep: `REGISTRY_ONLY`, hosts `istioinaction/*`) make `curl http://google.com` from sleep
            ROUTED with a ServiceEntry, without touching the Sidecar. The first try below is in the wrong place.
        """, yaml_answer("service_entry", "ex.check_service_entry", "Move it so the sleep proxy imports it."),
            "service_entry"),
        md("""
            ## Egress hosts are not a firewall

            Egress hosts decide which services the proxy is **configured** for. What happens to everything else is
            the outbound mode's job. Here is step 06's host list with `ALLOW_ANY`:
        """),
        code('''
            print(ex.SCENARIOS["hosts_allow_any"])
        '''),
        *exercise(3, "predict the verdict", """
            With that Sidecar, what happens to `curl http://httpbin.default:8000/ip` from sleep?
        """, '''
            answer = ""  # "ROUTED", "PASSTHROUGH" or "BLOCKED"
            ex.check_firewall_verdict(answer)
        ''', "firewall"),
        md("""
            Even `REGISTRY_ONLY` is not a security boundary: the proxy can only restrict traffic that is sent
            through it, and a process can avoid the capture (for example one running with the proxy's own user ID,
            1337, whose traffic iptables does not redirect). Use Kubernetes `NetworkPolicy`, or an egress gateway
            with authorization policies, to enforce what may leave.

            ## The reachability matrix

            Every workload against every Service port (and google.com), at steps 05 and 06. Each cell is a `check`
            verdict; the glyph says the same as the colour. From a terminal:
            `sidecar-lab matrix data/seed/cluster data/seed/steps/06-workload-hosts --to http://google.com`.
        """),
        code('''
            from sidecar_lab.core.traffic import matrix_targets

            for step in ("05-workload-allow-any", "06-workload-hosts"):
                sim = seed(step)
                sources = [f"{w.namespace}/{w.name}" for w in sim.workloads() if w.namespace != "istio-system"]
                targets = matrix_targets(sim) + ["http://google.com"]
                cells = [[sl.check(sim, s, t) for t in targets] for s in sources]
                show(figures.reachability_matrix(sources, targets, cells))
        '''),
        md("""
            Explore it interactively: switch the lab's Sidecars on and off, or change their modes and hosts, and
            watch the whole matrix change.
        """),
        code('''
            from sidecar_lab.course.widgets import ReachabilityExplorer

            ReachabilityExplorer("06-workload-hosts")
        '''),
        traps([
            ("Scoping is not blocking.",
             "Under ALLOW_ANY, services the hosts do not import are still reached as plaintext passthrough.",
             [("istio/istio#15329", ISSUE.format(15329)), ("istio/istio#33387", ISSUE.format(33387))]),
            ("`bar/*` is a namespace, not a service.",
             "The part before `/` is where the service is defined.", [("istio/istio#30798", ISSUE.format(30798))]),
            ("The namespace is the config's, not the destination's.",
             "A ServiceEntry for an external host in `default` is imported by `./*` in `default`.",
             [("istio/istio#13319", ISSUE.format(13319))]),
            ("VirtualService destinations come along.",
             "An imported VirtualService makes its destination services visible too.",
             [("istio/istio#40620", ISSUE.format(40620))]),
            ("exportTo limits what can be imported.",
             "A ServiceEntry not exported to the proxy's namespace is invisible to it, whatever the hosts say.",
             [("istio/istio#36712", ISSUE.format(36712)), ("istio/istio#48239", ISSUE.format(48239))]),
            ("`istio-system/*` is no longer required.",
             "It was in Istio 1.1–1.4 (Mixer); today only calls into istio-system need it.",
             [("istio/istio#12237", ISSUE.format(12237))]),
            ("A listener with a `port` imports only services with that port.",
             "A namespace listed only on a port-9080 listener gave 502 on other ports.",
             [("istio/istio#16885", ISSUE.format(16885))]),
        ]),
        credit(),
    ]


# ---------------------------------------------------------------------------------------------
# 05 Ingress and captureMode


def nb05() -> list:
    return [
        header("05", "Ingress and captureMode", 20, [
            "read an ingress listener: `port`, `bind`, `captureMode`, `defaultEndpoint`",
            "say where a client must send traffic when `captureMode` is `NONE`",
            "predict which connection pool applies to an inbound port",
            "know that writing `ingress:` replaces the automatic inbound setup",
        ], 'Follows the blog\'s sections **"capture mode"** and **"Resource 형식"** (its connection-pool example).'),
        setup(),
        md("""
            ## Without an ingress section

            A pod's inbound listeners normally come from the Services that select it: one per target port, with
            iptables redirecting the traffic to Envoy. For `productpage` (Service port 80 → pod port 80, the
            application itself on 8080):
        """),
        code('''
            bare = sl.Simulator(sl.load(sl.scenario_paths("seed/examples/productpage.yaml")))
            print(resolution_text(sl.resolve(bare, "prod-us1/productpage")))
        '''),
        md("""
            ## The blog's captureMode example

            The post's last example (from Istio's reference) binds the inbound listener to one address and turns
            capture off for it:
        """),
        code('''
            from pathlib import Path

            print(Path(sl.scenario_paths("seed/examples/partial-ip-tables.yaml")[0]).read_text())
        '''),
        code('''
            partial = sl.Simulator(sl.load(sl.scenario_paths("seed/examples/productpage.yaml",
                                                             "seed/examples/partial-ip-tables.yaml")))
            res = sl.resolve(partial, "prod-us1/productpage")
            for entry in res.ingress:
                print(f"port {entry.port['number']}/{entry.port.get('protocol')}: bind {entry.bind}, "
                      f"captureMode {entry.capture_mode}, hands traffic to {entry.default_endpoint}")
        '''),
        md("""
            - `captureMode: NONE` — the iptables rules do not redirect this port to Envoy; Envoy **binds**
              `172.16.1.32:80` itself.
            - So a client must send to `172.16.1.32:80`; traffic to the Service's ClusterIP is not intercepted
              for this listener.
            - Envoy hands what it receives to `defaultEndpoint: 127.0.0.1:8080`, the application.
            - The egress part (`captureMode: IPTABLES`, `*/*`) keeps the usual outbound capture.

            `captureMode` does not add or remove iptables rules: those are set when the pod starts (istio-init or
            the CNI plugin, from the interception-mode annotation). The Sidecar only says which listeners Envoy
            binds.
        """),
        *exercise(1, "where to send", """
            With `partial-ip-tables` applied, which `address:port` must a client use to reach productpage's
            application through Envoy?
        """, '''
            answer = ""  # "address:port"
            ex.check_client_address(answer)
        ''', "client_address"),
        md("""
            ## Connection pools

            The blog's first example sets a Sidecar-wide `inboundConnectionPool` and a `connectionPool` on port 80.
            For an inbound port the precedence is: the port's own `connectionPool` > the Sidecar's
            `inboundConnectionPool` > a DestinationRule's pool — and the winner **replaces** the others as a
            whole object.
        """),
        md("""
            **Predict:** in the blog's example, which settings does port 80 get — `port` (its own
            `connectionPool`), `sidecar` (the `inboundConnectionPool`), or `merged` (both combined)?
        """),
        code('''
            my_prediction = ""  # "port", "sidecar" or "merged"
        '''),
        code('''
            pools = sl.Simulator(sl.load(sl.scenario_paths("seed/examples/productpage.yaml",
                                                           "seed/examples/connection-pool-settings.yaml")))
            print(f"you said {my_prediction or '(nothing)'}")
            for entry in sl.resolve(pools, "prod-us1/productpage").ingress:
                print(f"port {entry.port['number']}: pool from '{entry.connection_pool_from}':",
                      {k: dict(v) for k, v in (entry.connection_pool or {}).items()})
        '''),
        *exercise(2, "which settings apply?", """
            In this variant port 80's own pool has only `tcp` settings, while `inboundConnectionPool` has `http`
            ones. What is `http2MaxRequests` on port 80? (`None` if it is not set.)
        """, '''
            print(ex.SCENARIOS["pool_variant"])
            answer = 1024  # a number, or None
            ex.check_port_pool(answer)
        ''', "port_pool"),
        md("""
            ## Two examples, one workload

            Both examples select `app: productpage`. Applied together they conflict: istiod takes the older one
            (with no timestamps, the first name), and `istioctl analyze` reports IST0110.
        """),
        code('''
            from sidecar_lab.core.analyze import analyze

            both = sl.Simulator(sl.load(sl.scenario_paths("seed/examples/productpage.yaml",
                                                          "seed/examples/connection-pool-settings.yaml",
                                                          "seed/examples/partial-ip-tables.yaml")))
            print("governed by:", sl.resolve(both, "prod-us1/productpage").sidecar)
            for m in analyze(both):
                print(m.line())
        '''),
        *exercise(3, "a bad defaultEndpoint", """
            This copy of the captureMode example is refused by Istio's webhook. Fix it.
        """, yaml_answer("default_endpoint", "ex.check_default_endpoint", "Fix the defaultEndpoint."),
            "default_endpoint"),
        traps([
            ("`ingress:` replaces the automatic inbound listeners.",
             "Service ports you do not list lose their inbound handling.",
             [("istio/istio#40919", ISSUE.format(40919))]),
            ("`captureMode: NONE` does not remove iptables.",
             "Capture is decided when the pod starts; the field only says which listeners Envoy binds.",
             [("istio/istio#34600", ISSUE.format(34600))]),
            ("An egress listener with `captureMode: NONE` binds inside the pod.",
             "It clashes with an application listening on the same port.",
             [("istio/istio#42487", ISSUE.format(42487))]),
            ("Inbound listeners used to bind 0.0.0.0.",
             "Older releases ignored the pod IP for ingress listeners.",
             [("istio/istio#14693", ISSUE.format(14693))]),
        ]),
        credit(),
    ]


# ---------------------------------------------------------------------------------------------
# 06 Diagnostics


def nb06() -> list:
    return [
        header("06", "Diagnostics", 25, [
            "run `analyze` and read its lines the way `istioctl analyze` prints them",
            "connect each message to the rule behind it (istioctl, Kiali, and the course's own SL findings)",
            "find and fix the bug in a broken configuration",
        ]),
        setup("from sidecar_lab.core.analyze import CODES, analyze"),
        md("""
            ## analyze on the seed

            `analyze` reports what `istioctl analyze` and Kiali say about Sidecars, in istioctl's line form,
            plus the course's own teaching findings (`SLxxxx`), each with a one-line *why* and the issue behind
            it. From a terminal (exit code 79 when there is an Error):

            ```console
            $ sidecar-lab analyze data/seed/cluster data/seed/steps/06-workload-hosts
            ```
        """),
        code('''
            for step in ("01-no-sidecar", "02-root-registry-only", "03-namespace-allow-any",
                         "04-namespace-registry-only", "05-workload-allow-any", "06-workload-hosts"):
                messages = analyze(seed(step))
                print(f"{step:28} " + (", ".join(m.code for m in messages) or "no messages"))
        '''),
        code('''
            for m in analyze(seed("06-workload-hosts")):
                print(m.line())
                if m.why:
                    print(f"    why: {m.why} ({m.reference})")
        '''),
        md("""
            SL0002 at step 06: the root default `istio-system/default` governs no workload any more — every pod of
            `istioinaction` has a Sidecar of its own namespace, and `default` is not injected. Nothing is wrong, but
            a change to it would have no effect on the lab.

            ## A gallery of broken configurations

            Each is applied on top of step 04. Read the lines, then the *why*.
        """),
        code('''
            gallery = {
                "two namespace-wide Sidecars": """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: second, namespace: istioinaction}
            spec: {outboundTrafficPolicy: {mode: ALLOW_ANY}}
            """,
                "two selectors for one pod": """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: sleep-a, namespace: istioinaction}
            spec: {workloadSelector: {labels: {run: sleep}}, outboundTrafficPolicy: {mode: ALLOW_ANY}}
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: sleep-b, namespace: istioinaction}
            spec: {workloadSelector: {labels: {run: sleep}}, outboundTrafficPolicy: {mode: REGISTRY_ONLY}}
            """,
                "hosts that import nothing": """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: workload, namespace: istioinaction}
            spec:
              workloadSelector: {labels: {run: sleep}}
              outboundTrafficPolicy: {mode: REGISTRY_ONLY}
              egress:
              - hosts: ["default/httpbin.default.svc", "httpbin/*"]
            """,
                "hosts with ALLOW_ANY": ex.SCENARIOS["hosts_allow_any"],
                "an empty policy": ex.SCENARIOS["empty_policy"],
            }
            for title, text in gallery.items():
                print(f"--- {title}")
                for m in analyze(ex.apply_text("04-namespace-registry-only", text)):
                    if m.resource.kind == "Sidecar" and m.resource.namespace == "istioinaction":
                        print("  " + m.line())
                        if m.why:
                            print(f"      why: {m.why}")
        '''),
        md("""
            Every code the analyzer can emit, with its level:
        """),
        code('''
            for code_name, (level, name, why, reference) in CODES.items():
                print(f"{code_name}  {level:7}  {name}")
        '''),
        md("""
            ## Find the bug

            At step 04 (everything in `istioinaction` is `REGISTRY_ONLY`) a colleague wanted google.com open for
            the sleep pod only and applied this:
        """),
        code('''
            print(ex.STARTERS["find_the_bug"])
            buggy = ex.apply_text("04-namespace-registry-only", ex.STARTERS["find_the_bug"])
            print("sleep -> google.com:", sl.check(buggy, "istioinaction/sleep", "http://google.com").verdict.value)
        '''),
        md("""
            Still blocked. **Predict** which Sidecar now governs sleep, then look at the ladder and the analyzer.
        """),
        code('''
            my_prediction = ""  # "namespace/name"
        '''),
        code('''
            res = sl.resolve(buggy, "istioinaction/sleep")
            print(f"you said {my_prediction or '(nothing)'}; istiod picks {res.sidecar}")
            show(figures.precedence_ladder(res))
            for m in analyze(buggy):
                if m.code in ("IST0111", "SL0002"):
                    print(m.line())
        '''),
        *exercise(1, "fix it", """
            Change the Sidecar so that it does what the colleague meant: google.com open for sleep, still blocked
            for httpbin, and no IST0111.
        """, yaml_answer("find_the_bug", "ex.check_find_the_bug", "Fix the Sidecar."), "find_the_bug"),
        *exercise(2, "read the analyzer", """
            This Sidecar has a typo in its selector. Which **istioctl** code reports the problem? Run `analyze` on it
            (the first line of the cell does) and answer with the code.
        """, '''
            print("\\n".join(m.line() for m in analyze(ex.apply_text("04", ex.SCENARIOS["typo_selector"]))
                            if m.resource.name == "workload"))
            answer = ""  # a code such as "IST0000"
            ex.check_analyze_code(answer)
        ''', "analyze_code"),
        *exercise(3, "a Sidecar in the wrong namespace", """
            Another try at opening google.com for sleep (at step 04). It has no effect at all. Fix it.
        """, yaml_answer("root_selector_fix", "ex.check_root_selector_fix", "Make it govern the sleep pod."),
            "root_selector_fix"),
        traps([
            ("IST0101 with no pods is not always a bug.",
             "istioctl checks running Pods only: a Deployment scaled to 0, a Job or a plain manifest triggers it. "
             "`analyze` here also matches pod templates (SL0011).",
             [("istio/istio#51273", ISSUE.format(51273)), ("istio/istio#40861", ISSUE.format(40861))]),
            ("\"Undefined behaviour\" is well defined.",
             "For IST0110/IST0111 istiod takes the oldest, then the first name; the others are ignored.",
             [("istio/istio#18468", ISSUE.format(18468)), ("istio/istio#24741", ISSUE.format(24741))]),
            ("A selector Sidecar in the root namespace shows up only as IST0101.",
             "Kiali names it (KIA1006): it never applies outside `istio-system`.",
             [("istio/istio#39989", ISSUE.format(39989))]),
            ("Analyzers do not say which Sidecar won.",
             "Neither istioctl nor Kiali explains the choice for a pod; `resolve` does.",
             [("istio/istio#12896", ISSUE.format(12896))]),
        ]),
        credit(),
    ]


# ---------------------------------------------------------------------------------------------
# 07 Live cluster


NO_CLUSTER = (
    "No cluster reachable: {reason}. The cells of this section need a Kubernetes cluster with Istio, which is "
    "optional: everything above works offline. To get one on your machine, install kind and istioctl, then run "
    "`kind create cluster --name istio-lab` and `istioctl install --set profile=default -y`, and run this "
    "section again from the 'Connect' cell (set SIDECAR_LAB_KUBECONFIG to use a kubeconfig other than the "
    "default one)."
)


def nb07() -> list:
    return [
        header("07", "Live cluster", 30, [
            "run the blog's commands against a real cluster with Istio",
            "put the simulator's prediction beside what curl really printed, and read a mismatch",
            "clean up exactly what the lab created",
        ], 'Replays the blog\'s sections **"서비스 레지스트리에 등록된 호스트만 허용하기"**, **"적용 범위 확인"** '
           'and **"호스트 제한"** on a cluster (steps 01 to 06).'),
        md("""
            The first half of this notebook is offline: the predictions for every command of the blog. The second
            half (cells tagged `skip-execution`) talks to a cluster; without one, each of those cells prints how to
            get one instead of failing.

            **Safety.** `sidecar_lab.live.cluster` writes only in `istioinaction`, `default` and `istio-system`, labels
            what it creates with `app.kubernetes.io/managed-by: sidecar-lab`, and the last cell deletes exactly
            that. It never installs or changes Istio itself.
        """),
        setup("from sidecar_lab.live.compare import predict, walkthrough_steps"),
        md("""
            ## The predictions, offline

            For each step of the walkthrough, the command the blog ran, what the simulator predicts, and what the
            post showed:
        """),
        code('''
            def blog_text(observed):
                prints = observed.get("prints")
                if prints == "origin":
                    return f"origin {observed['origin']}"
                return {"google-301": "Google's 301 page", "nothing": "nothing"}.get(prints, str(observed))


            rows = ["| step | command | prediction | the blog showed |", "|---|---|---|---|"]
            for step in walkthrough_steps():
                sim = sl.Simulator(sl.load(sl.scenario_paths("seed/cluster", f"seed/steps/{step.name}")))
                for request in step.requests:
                    p = predict(sl.check(sim, request.source, request.target))
                    rows.append(f"| {step.number} | `{request.command.split(' -- ')[-1]}` | {p.summary} | "
                                f"{blog_text(request.blog)} |")
            display(Markdown("\\n".join(rows)))
        '''),
        md("""
            Before you run anything live, commit to two predictions.
        """),
        *exercise(1, "the first block", """
            Observation `root-registry-only-google`: step 02, `curl http://google.com` from sleep. Which verdict?
        """, '''
            answer = ""  # "ROUTED", "PASSTHROUGH" or "BLOCKED"
            ex.check_live_prediction("root-registry-only-google", answer)
        ''', "live_google"),
        *exercise(2, "the host restriction", """
            Observation `workload-hosts-httpbin-default`: step 06, `curl -s http://httpbin.default:8000/ip` from
            sleep. Which verdict?
        """, '''
            answer = ""  # "ROUTED", "PASSTHROUGH" or "BLOCKED"
            ex.check_live_prediction("workload-hosts-httpbin-default", answer)
        ''', "live_default"),
        md("""
            ## Getting a cluster

            Any cluster with Istio works. On a laptop:

            ```console
            $ kind create cluster --name istio-lab
            $ istioctl install --set profile=default -y
            ```

            The cells below use your current kubeconfig context (or the file named by the environment variable
            `SIDECAR_LAB_KUBECONFIG`). They deploy the blog's lab if it is not there — the equivalent of:

            ```console
            $ kubectl create namespace istioinaction
            $ kubectl label namespace istioinaction istio-injection=enabled
            $ kubectl apply -n istioinaction -f https://raw.githubusercontent.com/istio/istio/release-1.26/samples/httpbin/httpbin.yaml
            $ kubectl apply -n default -f https://raw.githubusercontent.com/istio/istio/release-1.26/samples/httpbin/httpbin.yaml
            $ kubectl run -n istioinaction sleep --image=nginx:alpine -- sleep 1d
            ```

            ## Connect
        """),
        code(f'''
            import os

            from sidecar_lab import ClusterError

            NO_CLUSTER = {NO_CLUSTER!r}
            live = None
            try:
                from sidecar_lab.live.cluster import LiveCluster

                live = LiveCluster.connect(kubeconfig=os.environ.get("SIDECAR_LAB_KUBECONFIG") or None,
                                           cleanup_on_exit=False)
                preflight = live.preflight()
                print(preflight.text())
            except (ClusterError, ImportError) as exc:
                live = None
                print(NO_CLUSTER.format(reason=str(exc).rstrip(".")))
        ''', LIVE_TAG),
        md("""
            ## Deploy the lab

            Creates what is missing and waits (up to three minutes) for the pods to be ready.
        """),
        code('''
            live = globals().get("live")
            if live is None:
                print(NO_CLUSTER.format(reason="the Connect cell did not connect"))
            else:
                try:
                    print(live.deploy_seed_lab().text())
                    print(live.wait_for_lab(timeout=180).text())
                except ClusterError as exc:
                    print(f"The lab could not be deployed: {exc}")
        ''', LIVE_TAG),
        md("""
            ## Walk the blog's steps

            For each step: apply its Sidecars (and delete the lab's Sidecars the step no longer has), wait for the
            configuration to reach the sleep proxy, run every curl of the post, and compare with the prediction
            made from a fresh snapshot of the cluster.
        """),
        code('''
            live = globals().get("live")
            reports = []
            if live is None:
                print(NO_CLUSTER.format(reason="the Connect cell did not connect"))
            else:
                try:
                    for report in live.walk(timeout=60, settle=2.0):
                        reports.append(report)
                        print(f"step {report.step.name}: {'all match' if report.match else 'MISMATCH'}")
                except ClusterError as exc:
                    print(f"The walkthrough stopped: {exc}")
        ''', LIVE_TAG),
        code('''
            if not globals().get("reports"):
                print("No walkthrough results yet: run the cells above against a cluster.")
            else:
                table = ["| step | request | prediction | observation | match | the blog |", "|---|---|---|---|---|---|"]
                for report in reports:
                    for row in report.rows:
                        blog = {None: "-", True: "agrees", False: "differs"}[row.blog_agrees]
                        table.append(f"| {report.step.number} | `{row.request.target}` | "
                                     f"{row.comparison.predicted_summary} | {row.comparison.observed_summary} | "
                                     f"{'✔' if row.comparison.match else '✘'} | {blog} |")
                display(Markdown("\\n".join(table)))
                for report in reports:
                    for row in report.rows:
                        for cause in row.comparison.likely_causes:
                            print(f"{row.request.id}: {cause}")
        ''', LIVE_TAG),
        md("""
            A mismatch comes with its likely causes: a configuration not pushed yet, a missing injection, another
            Istio version. Compare with `istioctl proxy-config route sleep.istioinaction --name 80` and
            `istioctl proxy-status`.

            ## Clean up

            Deletes what this session created (newest first), and lists every equivalent command it ran.
        """),
        code('''
            live = globals().get("live")
            if live is None:
                print(NO_CLUSTER.format(reason="the Connect cell did not connect"))
            else:
                try:
                    print(live.cleanup().text())
                except ClusterError as exc:
                    print(f"Cleanup failed: {exc} (sidecar-lab live cleanup --labelled removes what is labelled)")
                finally:
                    print("\\ncommands run:")
                    print("\\n".join(f"  {c}" for c in live.commands))
                    live.close()
        ''', LIVE_TAG),
        traps([
            ("Updates that do not seem to stick.",
             "A curl right after `kubectl apply` can still see the old configuration; early releases also had bugs "
             "where updates did not reach proxies.",
             [("istio/istio#11762", ISSUE.format(11762)), ("istio/istio#21650", ISSUE.format(21650))]),
            ("Where to see it in the proxy.",
             "`istioctl proxy-config route/cluster/listener` show `block_all`, `BlackHoleCluster` and "
             "`PassthroughCluster`.", [("istio/istio#34632", ISSUE.format(34632))]),
            ("Counting clusters to validate a Sidecar.",
             "People compare `istioctl proxy-config cluster` before and after; notebook 08 predicts those counts.",
             [("istio/istio#12896", ISSUE.format(12896))]),
        ]),
        credit(),
    ]


# ---------------------------------------------------------------------------------------------
# 08 Scale


def nb08() -> list:
    return [
        header("08", "Why Sidecar matters at scale", 20, [
            "count what istiod sends a proxy (clusters, listeners, routes, endpoints), with and without a Sidecar",
            "say why that grows with the mesh, and what it costs (memory, pushes)",
            "write a minimal Sidecar from a workload's calls, and check it breaks none of them",
        ]),
        setup("from sidecar_lab.scale import sizing\nfrom sidecar_lab.scale import figures as scale_figures"),
        md("""
            ## What the sleep proxy receives

            Every service a proxy imports costs it at least one cluster per port (plus listeners, routes and
            endpoints). Step 06's Sidecar imports one service instead of four:

            ```console
            $ sidecar-lab size data/seed/cluster data/seed/steps/06-workload-hosts --workload istioinaction/sleep
            ```
        """),
        md("""
            **Predict:** by how much does step 06's Sidecar shrink the sleep proxy's estimated memory — about
            75 %, about 50 %, or under 10 %?
        """),
        code('''
            my_prediction = ""  # "75", "50" or "10"
        '''),
        code('''
            sim06 = seed("06-workload-hosts")
            comparison = sizing.compare(sim06, "istioinaction/sleep")
            print(f"you said {my_prediction or '(nothing)'}; the model says {comparison.saving['memory_percent']} %\\n")
            print(sizing.comparison_text(comparison))
        '''),
        md("""
            The counts drop by half or more, but the memory only a little: in a lab of four services the proxy's
            fixed cost dominates. The saving is proportional to what the Sidecar leaves out — which is why it
            matters in a mesh of hundreds of services, as the rest of this notebook shows.
        """),
        md("""
            Memory and xDS bytes are **estimates** from a linear model (see `sidecar_lab.scale.sizing`), calibrated to
            the few published numbers; the counts are exact.
        """),
        *exercise(1, "count the clusters", """
            Without any Sidecar (step 01), how many `outbound|port||host` clusters does the sleep proxy get? Use
            `sl.resolve(seed("01-no-sidecar"), "istioinaction/sleep")` to list what it sees.
        """, '''
            answer = None  # a number
            ex.check_cluster_count(answer)
        ''', "cluster_count"),
        md("""
            ## The whole lab

            Summed over every proxy, with the step's Sidecars and without any:
        """),
        code('''
            import dataclasses

            with_sidecars = sizing.mesh_totals(sim06)
            without = sizing.mesh_totals(sl.Simulator(dataclasses.replace(sim06.mesh, sidecars=())))
            for key in ("proxies", "clusters", "listeners", "endpoints", "memory_mb"):
                print(f"{key:10} with Sidecars {with_sidecars[key]:>8}   without {without[key]:>8}")
        '''),
        md("""
            ## Pushes

            When a service changes, istiod pushes new configuration to every proxy that imports it. Scoping
            shrinks that fan-out too — except for gateways, which ignore Sidecars.
        """),
        code('''
            for step in ("01-no-sidecar", "06-workload-hosts"):
                print(f"{step:20} httpbin.default changes -> push to {sizing.push_fanout(seed(step), 'httpbin.default')}")
        '''),
        *exercise(2, "fan-out", """
            At step 06, how many proxies must istiod push when `httpbin.default` changes?
        """, '''
            answer = None  # a number
            ex.check_push_fanout(answer)
        ''', "push_fanout"),
        md("""
            ## Growing the mesh

            Synthetic meshes of growing size, in three setups: no Sidecar, namespace Sidecars (`./*` and
            `istio-system/*`), and per-workload Sidecars importing exactly the declared calls.
        """),
        code('''
            points = sizing.scaling_series((10, 50, 100))
            show(scale_figures.config_vs_mesh_size(points))
            show(scale_figures.mesh_total(points))
            show(scale_figures.push_fanout_figure(points))
        '''),
        md("""
            Without Sidecars each proxy's configuration grows with the mesh, so the mesh's total grows with its
            square. What has been published:

            - Istio's *Performance and Scalability* page: in a large namespace with namespace isolation (a Sidecar),
              a proxy uses about 50 MB (1,000 services, 2,000 sidecars).
            - Before scoping existed, about 1 GB per injected pod was reported
              ([istio/istio#9367](https://github.com/istio/istio/issues/9367)); a proxy with 1,077 clusters used
              about 200 MB ([istio/istio#11254](https://github.com/istio/istio/issues/11254)).
            - 400–500 MB sidecars in a cluster of about 2,000 pods; the maintainers' answer was: use Sidecar
              ([istio/istio#35828](https://github.com/istio/istio/issues/35828)).

            ## From calls to a minimal Sidecar

            `suggest` writes the Sidecar for a workload's calls and proves each call stays ROUTED:

            ```console
            $ sidecar-lab suggest data/seed/cluster data/seed/steps/04-namespace-registry-only \\
                  --workload istioinaction/sleep --call http://httpbin.istioinaction:8000/ip
            ```
        """),
        code('''
            from sidecar_lab.scale.suggest import suggest_sidecar, suggestion_text

            print(suggestion_text(suggest_sidecar(seed("04-namespace-registry-only"), "istioinaction/sleep",
                                                  ["http://httpbin.istioinaction:8000/ip"])))
        '''),
        *exercise(3, "write it yourself", """
            At step 04 sleep only ever calls `http://httpbin.istioinaction:8000/ip`. Write a Sidecar for it that
            keeps that call ROUTED and gives the proxy fewer clusters. (The first try imports everything.)
        """, yaml_answer("minimal_sidecar", "ex.check_minimal_sidecar", "Narrow the hosts."), "minimal_sidecar"),
        traps([
            ("Gateways stay big.",
             "Sidecars do not apply to gateways: about 55 MB per scoped sidecar against about 500 MB per gateway.",
             [("istio/istio#38827", ISSUE.format(38827))]),
            ("Every TCP service adds a listener.",
             "Envoys were OOM-killed at 128Mi with 600–700 TCP services, even with a Sidecar.",
             [("istio/istio#12765", ISSUE.format(12765))]),
            ("A gateway with every cluster.",
             "1,077 clusters, about 200 MB, in a 400-service mesh.", [("istio/istio#11254", ISSUE.format(11254))]),
            ("Unscoped proxies in big clusters.",
             "Hundreds of MB per sidecar until Sidecars were added.",
             [("istio/istio#35828", ISSUE.format(35828)), ("istio/istio#9367", ISSUE.format(9367))]),
        ]),
        credit(),
    ]


# ---------------------------------------------------------------------------------------------

NOTEBOOKS = {
    "00-start-here.ipynb": nb00,
    "01-anatomy.ipynb": nb01,
    "02-precedence.ipynb": nb02,
    "03-outbound-policy.ipynb": nb03,
    "04-egress-hosts.ipynb": nb04,
    "05-ingress-capture.ipynb": nb05,
    "06-diagnostics.ipynb": nb06,
    "07-live.ipynb": nb07,
    "08-scale.ipynb": nb08,
}


def build() -> dict[str, str]:
    """Every notebook's file name and its JSON text, as written."""
    out = {}
    for name, make in NOTEBOOKS.items():
        nb = notebook(make())
        nbformat.validate(nb)
        out[name] = nbformat.writes(nb) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a stored notebook differs")
    args = parser.parse_args(argv)
    stale = []
    for name, text in build().items():
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("out of date (run python course/build.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
