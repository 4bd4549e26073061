#!/usr/bin/env python3
"""Build the course notebooks (``notebooks/<lang>/NN-slug.ipynb``) from their Markdown sources.

    python course/build.py                     # rebuild every edition present in course/<lang>/
    python course/build.py --check             # exit 1 when a stored notebook differs from its source
    python course/build.py --new-edition ko    # start course/ko/ from the English edition, for a translator

The sources are jupytext MyST Markdown notebooks, one per notebook and edition (``course/en/00-start-here.md``,
``course/ko/00-start-here.md`` ...): prose as Markdown, code as ``{code-cell}`` blocks. ``course/README.md``
says how to edit them. The English edition is the *source edition*: it defines the code. Another edition
writes prose only; what a learner runs cannot drift between editions because

* every code cell has an ``:id:``; an edition lists the same ids, in the same order, with the same tags, and
  its code is either left empty (the builder copies the English code) or equal to it except for comments and
  the language passed to ``sl.set_language(...)``;
* an exercise's hidden solution is a Markdown cell ``+++ {"solution": "KEY"}`` whose text is the *why*, in the
  edition's language; its code is :data:`sidecar_lab.course.exercises.SOLUTIONS` ``[KEY]``, defined once;
* cells ``+++ {"include": "_credit.md"}`` are replaced by that file of the edition.

:func:`structure_problems` compares two editions and lists every difference (``tests/test_notebooks.py`` runs
it on every edition, and on a broken fixture to show that it can fail). The notebooks are written clean: no
outputs, no execution counts, cell ids from the source, kernelspec ``python3``.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import sys
import tokenize
from pathlib import Path

import jupytext
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
OUT = ROOT / "notebooks"
SOURCE_LANG = "en"
sys.path.insert(0, str(ROOT))

from sidecar_lab.course.exercises import SOLUTIONS  # noqa: E402

#: The few words the builder itself writes into a notebook, per edition.
WORDS = {
    "en": {"solution": "Solution"},
    "ko": {"solution": "풀이"},
}
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_SET_LANGUAGE = re.compile(r"""(set_language\(\s*)(["'])([a-z]{2})\2""")


class BuildError(Exception):
    """A source that cannot be built: the message names the file and the cell."""


# ---------------------------------------------------------------------------------------------
# reading a source


def editions(course: Path = COURSE) -> list[str]:
    """The editions present: every ``course/<lang>/`` holding ``NN-*.md`` files, the source edition first."""
    found = sorted(p.name for p in course.iterdir() if p.is_dir() and any(p.glob("[0-9][0-9]-*.md")))
    return sorted(found, key=lambda lang: lang != SOURCE_LANG)


def sources(lang: str, course: Path = COURSE) -> list[Path]:
    return sorted((course / lang).glob("[0-9][0-9]-*.md"))


def read_source(path: Path) -> nbformat.NotebookNode:
    return jupytext.reads(path.read_text(encoding="utf-8"), fmt="md:myst")


def code_without_comments(code: str) -> str:
    """The code's tokens without comments and blank lines: what two editions must share."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENDMARKER):
                continue
            out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return code.strip()
    return " ".join(out)


def _for_edition(code: str, lang: str) -> str:
    """The source edition's code as edition ``lang`` runs it: ``sl.set_language("en")`` says ``lang``."""
    return _SET_LANGUAGE.sub(lambda m: f"{m[1]}{m[2]}{lang}{m[2]}", code)


def structure(nb: nbformat.NotebookNode) -> list[tuple]:
    """What must be the same in every edition, in order: code cells (id, tags, code without comments),
    hidden solutions, includes and the roles of the header and traps cells (with the issues the traps cite)."""
    out: list[tuple] = []
    for cell in nb.cells:
        meta = cell.metadata
        if cell.cell_type == "code":
            out.append(("code", meta.get("id"), tuple(meta.get("tags", ())), code_without_comments(cell.source)))
        elif "solution" in meta:
            out.append(("solution", meta["solution"]))
        elif "include" in meta:
            out.append(("include", meta["include"]))
        elif meta.get("role") == "traps":
            out.append(("traps", tuple(sorted(set(re.findall(r"\((https://github\.com/[^)\s]+)\)", cell.source))))))
        elif meta.get("role"):
            out.append(("role", meta["role"]))
    return out


def structure_problems(source: nbformat.NotebookNode, edition: nbformat.NotebookNode, lang: str) -> list[str]:
    """Every way ``edition`` (in ``lang``) differs in structure from ``source``: empty when they agree.

    An edition's code cell may be left empty: it then runs the source's code."""
    by_id = {c.metadata.get("id"): c for c in source.cells if c.cell_type == "code"}
    filled = nbformat.from_dict(edition)
    for cell in filled.cells:
        if cell.cell_type == "code" and not cell.source.strip() and cell.metadata.get("id") in by_id:
            cell.source = _for_edition(by_id[cell.metadata.get("id")].source, lang)
    expected = nbformat.from_dict(source)
    for cell in expected.cells:
        if cell.cell_type == "code":
            cell.source = _for_edition(cell.source, lang)
    want = [_pad(s) for s in structure(expected)]
    got = [_pad(s) for s in structure(filled)]
    problems = []
    for n, (w, g) in enumerate(zip(want, got)):
        if w == g:
            continue
        if w[0] != g[0] or w[1] != g[1]:
            problems.append(f"item {n + 1}: the source has {_describe(w)}, this edition has {_describe(g)}")
        elif w[0] == "code" and w[2] != g[2]:
            problems.append(f"code cell {w[1]!r}: tags {list(g[2])}, the source has {list(w[2])}")
        elif w[0] == "code":
            problems.append(f"code cell {w[1]!r}: its code differs from the source's (only comments may differ; "
                            "leave the cell empty to use the source's code)")
        else:
            problems.append(f"{_describe(w)}: this edition has {_describe(g)}")
    for extra in got[len(want):]:
        problems.append(f"{_describe(extra)} is not in the source edition")
    for missing in want[len(got):]:
        problems.append(f"{_describe(missing)} is missing")
    return problems


def _pad(item: tuple) -> tuple:
    return tuple(item) + (None,) * (4 - len(item))


def _describe(item: tuple) -> str:
    kind, key = item[0], item[1]
    if kind == "code":
        return f"code cell {key!r}"
    if kind == "traps":
        return f"a traps cell citing {len(key)} issues"
    return f"{kind} {key!r}"


# ---------------------------------------------------------------------------------------------
# writing a notebook


def _solution_cell(key: str, why: str, lang: str, where: str) -> nbformat.NotebookNode:
    if key not in SOLUTIONS:
        raise BuildError(f"{where}: no solution {key!r} in sidecar_lab.course.exercises.SOLUTIONS")
    summary = WORDS.get(lang, WORDS[SOURCE_LANG])["solution"]
    cell = new_markdown_cell(f"<details><summary>{summary}</summary>\n\n```python\n{SOLUTIONS[key].strip()}\n```"
                             f"\n\n{why.strip()}\n\n</details>")
    cell.metadata["solution"] = key
    return cell


def build_notebook(path: Path, lang: str, source: nbformat.NotebookNode | None = None) -> nbformat.NotebookNode:
    """The clean notebook of one source file. ``source``: the source edition's notebook, for another edition."""
    nb = read_source(path)
    if source is not None:
        problems = structure_problems(source, nb, lang)
        if problems:
            raise BuildError(f"{path.relative_to(path.parent.parent.parent) if path.is_absolute() else path}: "
                             f"differs in structure from the {SOURCE_LANG} edition:\n  " + "\n  ".join(problems))
        code = {c.metadata.get("id"): c.source for c in source.cells if c.cell_type == "code"}
    cells, seen = [], set()
    for n, cell in enumerate(nb.cells):
        meta = dict(cell.metadata)
        where = f"{path.name} cell {n + 1}"
        if cell.cell_type == "code":
            cell_id = meta.get("id")
            if not cell_id or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(cell_id)):
                raise BuildError(f"{where}: every code cell needs an :id: (lower-case letters, digits and -)")
            if cell_id in seen:
                raise BuildError(f"{where}: the id {cell_id!r} is used twice")
            seen.add(cell_id)
            text = cell.source if (source is None or cell.source.strip()) else _for_edition(code[cell_id], lang)
            out = new_code_cell(text.strip("\n"))
            out.id = cell_id
            if meta.get("tags"):
                out.metadata["tags"] = list(meta["tags"])
        elif "solution" in meta:
            out = _solution_cell(meta["solution"], cell.source, lang, where)
            out.id = f"solution-{meta['solution'].replace('_', '-')}"
        elif "include" in meta:
            include = path.parent / meta["include"]
            if not include.is_file():
                raise BuildError(f"{where}: cannot include {meta['include']} (no such file in {path.parent})")
            out = new_markdown_cell(include.read_text(encoding="utf-8").strip("\n"))
            out.id = f"md-{n:02d}"
        else:
            out = new_markdown_cell(cell.source.strip("\n"))
            out.id = f"md-{n:02d}"
            if meta.get("role"):
                out.metadata["role"] = meta["role"]
        if out.id in seen and cell.cell_type != "code":
            raise BuildError(f"{where}: the id {out.id!r} is used twice")
        seen.add(out.id)
        cells.append(out)
    built = new_notebook(cells=cells)
    built.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for cell in built.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(built)
    return built


def build(course: Path = COURSE) -> dict[str, str]:
    """Every notebook of every edition: ``"<lang>/<name>.ipynb"`` -> its JSON text, as written."""
    out: dict[str, str] = {}
    langs = editions(course)
    if SOURCE_LANG not in langs:
        raise BuildError(f"no source edition: {course / SOURCE_LANG} has no NN-*.md file")
    originals = {p.name: read_source(p) for p in sources(SOURCE_LANG, course)}
    for lang in langs:
        names = [p.name for p in sources(lang, course)]
        if lang != SOURCE_LANG and names != sorted(originals):
            missing, extra = sorted(set(originals) - set(names)), sorted(set(names) - set(originals))
            raise BuildError(f"course/{lang}/ must have the notebooks of course/{SOURCE_LANG}/: "
                             f"missing {missing or 'none'}, extra {extra or 'none'}")
        for path in sources(lang, course):
            nb = build_notebook(path, lang, None if lang == SOURCE_LANG else originals[path.name])
            out[f"{lang}/{path.stem}.ipynb"] = nbformat.writes(nb) + "\n"
    return out


def new_edition(lang: str, course: Path = COURSE) -> list[Path]:
    """Start ``course/<lang>/`` from the source edition: the prose to translate, every code cell empty (it runs
    the source's code; copy it back in only to translate its comments)."""
    if not re.fullmatch(r"[a-z]{2}", lang):
        raise BuildError(f"an edition is a two-letter language code, not {lang!r}")
    target = course / lang
    if target.exists() and any(target.iterdir()):
        raise BuildError(f"{target} already exists")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources(SOURCE_LANG, course):
        nb = read_source(path)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = ""
        (target / path.name).write_text(jupytext.writes(nb, fmt="md:myst"), encoding="utf-8")
        written.append(target / path.name)
    for extra in sorted((course / SOURCE_LANG).glob("_*.md")):
        shutil.copyfile(extra, target / extra.name)
        written.append(target / extra.name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a stored notebook differs from its source")
    parser.add_argument("--new-edition", metavar="LANG", help="start course/LANG/ from the English edition")
    args = parser.parse_args(argv)
    try:
        if args.new_edition:
            for path in new_edition(args.new_edition):
                print(f"wrote {path.relative_to(ROOT)}")
            print(f"now translate the prose of course/{args.new_edition}/ and run python course/build.py")
            return 0
        built = build()
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stored = {str(p.relative_to(OUT)): p for p in OUT.glob("*/[0-9][0-9]-*.ipynb")}
    if args.check:
        stale = sorted(name for name, text in built.items()
                       if name not in stored or stored[name].read_text(encoding="utf-8") != text)
        orphans = sorted(set(stored) - set(built))
        if stale or orphans:
            print("out of date (run python course/build.py): " + ", ".join(stale + orphans), file=sys.stderr)
            return 1
        return 0
    for name, text in built.items():
        path = OUT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    for name in sorted(set(stored) - set(built)):
        stored[name].unlink()
        print(f"removed {stored[name].relative_to(ROOT)} (no source)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
