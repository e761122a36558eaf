"""Cited QA on real Markdown nobody here wrote: installed packages' long descriptions, a docs site.

    .venv/bin/python benchmarks/docs_eval.py --export /tmp/pkgdocs [--split heldout]
    .venv/bin/python benchmarks/docs_eval.py --docs /tmp/pkgdocs --split heldout --no-abstain --json
    .venv/bin/python benchmarks/docs_eval.py --questions benchmarks/site_questions.json --docs uv/docs

A docs site. ``benchmarks/site_questions.json`` names a public repository,
a commit and its docs folder (``"source"``) instead of packages; its
questions name a ``file`` under that folder. Check the folder out at that
commit (``git clone https://github.com/astral-sh/uv && git -C uv checkout
COMMIT``) and pass it as ``--docs``: every file under it with one of the
suffixes the source names (``"suffixes"``, default ``[".md"]``) is indexed
(MkDocs Markdown for uv, and for httpx in ``benchmarks/httpx_questions.json``;
reStructuredText for Flask's Sphinx docs, ``benchmarks/sphinx_questions.json``), nothing else it holds; a page with no
text of its own (one that only includes another file) is skipped and named.

Corpus. ``--export DIR`` writes the long description (README-style text) of
every package named in the question file, as ``importlib.metadata`` gives it
(the ``Description`` field, else the metadata payload), to ``DIR/<package>.md``
-- only descriptions declared ``text/markdown``. It records the installed
versions in ``DIR/.versions.json`` (hidden, so not indexed) and prints what it
wrote. ``--docs DIR`` reuses an earlier export. Any machine with the project's
environment installed reproduces the corpus offline; when an installed version
differs from the one ``benchmarks/docs_questions.json`` records, the script
warns (the text, and so the answers, may have moved).

Questions. ``benchmarks/docs_questions.json`` holds two splits that are never
mixed: ``tuning`` (for anyone tuning thresholds or the reader) and
``heldout`` (reported, never tuned on). Each question is answerable (a list of
accepted answers, quoted from the description) or ``"unanswerable": true``
(on topic, but the description does not say).

Procedure. The exported files are indexed in memory with
``Assistant.from_paths`` (default settings; other files in DIR are ignored),
each accepted answer is checked to still occur in its package's text (a
warning names any that no longer does, e.g. after an upgrade), and every
question of the chosen split(s) is asked once with ``ask(question, k=1,
abstain=False)``: its top answer is scored as given when it reaches the
threshold (``abstained`` false) and as the forced top answer whatever its
confidence; both totals are printed. ``--no-abstain`` lists the forced
answers per question instead of the given ones.

Scoring rule. Strings are normalised as in SQuAD v1.1
(`qa.evaluation.metrics.normalize_answer`: lowercase, punctuation and
a/an/the removed, whitespace collapsed). The top answer is **right** when its
normalised text is non-empty and, for at least one accepted answer, either
normalised string contains the other as a whole-word sequence (containment
both ways), or the SQuAD token F1 (`qa.evaluation.metrics.f1_score`) is
>= 0.5; otherwise it is **wrong**; **abstained** when the assistant withheld
every answer. For unanswerable questions an abstention is **abstained-right**
and any answer is **answered-wrongly**. Over all answers given the script also
counts those whose text contains markup (any of ``**``, a backtick, ``](``,
``<``, ``>``, ``&lt;``, ``|``, ``#``, ``![``) and those cited from a code
block (``citation.kind == "code"``). Because containment works both ways, an
accepted answer is the shortest phrase that is still right on its own ("3.8",
not "Python 3.8", which would also accept a bare "Python").

Output: one entry per question (outcome, answer, confidence, cited file and
kind, section), then the installed versions and the totals per split, given
and forced; ``--json`` prints the same as one JSON object (totals of the
listed mode under ``"totals"``, of the other under ``"other_totals"``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa.evaluation.metrics import f1_score, normalize_answer  # noqa: E402  (light: no torch)

QUESTIONS = Path(__file__).with_name("docs_questions.json")
VERSIONS_FILE = ".versions.json"
MARKUP = ("**", "`", "](", "<", ">", "&lt;", "|", "#", "![")
SPLITS = ("tuning", "heldout")


# ---- corpus ------------------------------------------------------------------
def long_description(package: str) -> tuple[str, str, str]:
    """(text, content type, installed version) of an installed package's long description."""
    meta = importlib.metadata.metadata(package)
    text = meta.get("Description") or meta.get_payload() or ""
    if not isinstance(text, str):
        text = str(text)
    content_type = meta.get("Description-Content-Type") or ""
    return text, content_type, importlib.metadata.version(package)


def export(packages: list[str], out_dir: Path) -> dict[str, str]:
    """Write each package's Markdown long description to ``out_dir/<package>.md``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    versions: dict[str, str] = {}
    for package in packages:
        try:
            text, content_type, version = long_description(package)
        except importlib.metadata.PackageNotFoundError:
            print(f"  skipped {package}: not installed", file=sys.stderr)
            continue
        if not content_type.lower().startswith("text/markdown"):
            print(f"  skipped {package} {version}: description is {content_type or 'untyped'!r}", file=sys.stderr)
            continue
        if not text.strip():
            print(f"  skipped {package} {version}: empty description", file=sys.stderr)
            continue
        path = out_dir / f"{package}.md"
        path.write_text(text, encoding="utf-8")
        versions[package] = version
        print(f"  wrote {path} ({package} {version}, {len(text):,} chars)")
    (out_dir / VERSIONS_FILE).write_text(json.dumps(versions, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return versions


def readable_pages(docs: Path, log, suffixes: tuple[str, ...] = (".md",)) -> list[Path]:
    """The files under ``docs`` with these suffixes that have text of their own (a page that only
    includes another file, ``--8<-- "CONTRIBUTING.md"``, has none): the site's pages, not its theme."""
    from embeddings.documents import DocumentError, read_document

    kept = []
    for path in sorted(p for p in docs.rglob("*") if p.suffix.lower() in suffixes and p.is_file()):
        try:
            read_document(path)
        except DocumentError as exc:
            print(f"  skipped {exc}", file=log)
            continue
        kept.append(path)
    return kept


def _squash(text: str) -> str:
    return " ".join(text.split())


def source_file(item: dict) -> str:
    """Where an item's answer is: its package's exported description, or its file in a docs folder."""
    return item["file"] if "file" in item else f"{item['package']}.md"


def check_answers(items: list[dict], docs: Path) -> list[str]:
    """Accepted answers that no longer occur (whitespace aside) in their file's text."""
    texts: dict[str, str] = {}
    missing = []
    for item in items:
        name = source_file(item)
        if name not in texts:
            path = docs / name
            texts[name] = _squash(path.read_text(encoding="utf-8")) if path.is_file() else ""
        if item.get("answers") and not any(_squash(a) in texts[name] for a in item["answers"]):
            missing.append(f"{item['id']} ({name}): no accepted answer occurs in the text any more")
    return missing


def check_versions(recorded: dict[str, str], installed: dict[str, str]) -> list[str]:
    warnings = []
    for package, version in sorted(recorded.items()):
        have = installed.get(package)
        if have is None:
            warnings.append(f"{package}: recorded {version}, missing from the corpus (its questions are skipped)")
        elif have != version:
            warnings.append(f"{package}: questions written against {version}, corpus is {have}")
    return warnings


# ---- scoring -----------------------------------------------------------------
def _contains(outer: str, inner: str) -> bool:
    return bool(inner) and f" {inner} " in f" {outer} "


def is_right(prediction: str, golds: list[str]) -> bool:
    """The docstring's rule: normalised containment either way, or token F1 >= 0.5."""
    pred = normalize_answer(prediction)
    if not pred:
        return False
    for gold in golds:
        ref = normalize_answer(gold)
        if _contains(pred, ref) or _contains(ref, pred):
            return True
    return f1_score(prediction, golds) >= 0.5


def has_markup(text: str) -> bool:
    return any(m in text for m in MARKUP)


def score(item: dict, result, forced: bool = False) -> dict:
    """``forced``: the top answer counts even when it is below the threshold (``abstained`` then
    only says that no answer reached it)."""
    answer = result.answers[0] if result.answers and (forced or not result.abstained) else None
    row = {
        "id": item["id"],
        "split": item["split"],
        "file": source_file(item),
        "question": item["question"],
        "answer": answer.text if answer else None,
        "score": round(answer.score, 4) if answer else None,
        "kind": answer.citation.kind if answer else None,
        "cited": Path(answer.citation.path).stem if answer else None,
        "section": " > ".join(answer.citation.section) if answer else None,
        "markup": bool(answer and has_markup(answer.text)),
    }
    if item.get("unanswerable"):
        row["outcome"] = "abstained-right" if answer is None else "answered-wrongly"
    elif answer is None:
        row["outcome"] = "abstained"
    else:
        row["outcome"] = "right" if is_right(answer.text, item["answers"]) else "wrong"
    return row


def totals(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["outcome"] in ("right", "wrong", "abstained")]
    unanswerable = [r for r in rows if r["outcome"] in ("abstained-right", "answered-wrongly")]
    answered = [r for r in rows if r["answer"] is not None]

    def count(group, outcome):
        return sum(r["outcome"] == outcome for r in group)

    return {
        "questions": len(rows),
        "answerable": {
            "n": len(answerable),
            "right": count(answerable, "right"),
            "wrong": count(answerable, "wrong"),
            "abstained": count(answerable, "abstained"),
        },
        "unanswerable": {
            "n": len(unanswerable),
            "abstained_right": count(unanswerable, "abstained-right"),
            "answered_wrongly": count(unanswerable, "answered-wrongly"),
        },
        "answers_given": len(answered),
        "answers_with_markup": sum(r["markup"] for r in answered),
        "answers_from_code": sum(r["kind"] == "code" for r in answered),
        "answers_from_tables": sum(r["kind"] == "table" for r in answered),
    }


def format_totals(name: str, t: dict) -> str:
    a, u = t["answerable"], t["unanswerable"]
    return (
        f"{name}: answerable {a['n']}: right {a['right']}, wrong {a['wrong']}, abstained {a['abstained']}"
        f" | unanswerable {u['n']}: abstained-right {u['abstained_right']},"
        f" answered-wrongly {u['answered_wrongly']}"
        f" | of {t['answers_given']} answers: {t['answers_with_markup']} with markup,"
        f" {t['answers_from_code']} from code, {t['answers_from_tables']} from tables"
    )


# ---- main --------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--export", metavar="DIR", type=Path, help="export the descriptions to DIR, then evaluate")
    where.add_argument("--docs", metavar="DIR", type=Path, help="evaluate an earlier export in DIR")
    parser.add_argument("--split", choices=SPLITS, help="only this split (default: both, reported apart)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--no-abstain", action="store_true", help="score the forced top answer")
    parser.add_argument("--json", action="store_true", help="print the totals as JSON")
    args = parser.parse_args(argv)

    spec = json.loads(args.questions.read_text(encoding="utf-8"))
    site = spec.get("source")  # a docs folder at a commit, not package descriptions
    recorded: dict[str, str] = spec.get("packages", {})
    log = sys.stderr if args.json else sys.stdout

    if site is not None:
        if args.docs is None:
            parser.error(f"{args.questions.name} is a docs site: check out {site['repo']} at {site['commit']}"
                         f" and pass its {site['folder']}/ folder with --docs")
        docs = args.docs
        installed = {site["repo"]: site["commit"]}
        paths = readable_pages(docs, log, tuple(site.get("suffixes", [".md"])))
    elif args.export is not None:
        docs = args.export
        print(f"exporting {len(recorded)} long descriptions to {docs}", file=log)
        if args.json:  # keep stdout for the JSON
            import contextlib

            with contextlib.redirect_stdout(sys.stderr):
                installed = export(sorted(recorded), docs)
        else:
            installed = export(sorted(recorded), docs)
    else:
        docs = args.docs
        installed = json.loads((docs / VERSIONS_FILE).read_text(encoding="utf-8"))
    if site is None:
        paths = [docs / f"{p}.md" for p in sorted(installed)]  # the descriptions, not whatever else DIR holds
    items = [q for q in spec["questions"] if site is not None or q["package"] in installed]
    if args.split:
        items = [q for q in items if q["split"] == args.split]
    warnings = (check_versions(recorded, installed) if site is None else []) + check_answers(items, docs)
    for w in warnings:
        print(f"WARNING: {w}", file=sys.stderr)

    from qa import Assistant

    t0 = time.perf_counter()
    assistant = Assistant.from_paths(paths, index_dir=None)
    index_s = time.perf_counter() - t0
    info = assistant.info()
    print(f"indexed {docs} in {index_s:.1f}s: {info}", file=log)

    rows, other_rows = [], []
    t0 = time.perf_counter()
    for item in items:
        # one reading scores both ways: given (at the threshold) and forced
        result = assistant.ask(item["question"], k=1, abstain=False)
        row = score(item, result, forced=args.no_abstain)
        rows.append(row)
        other_rows.append(score(item, result, forced=not args.no_abstain))
        if not args.json:
            gold = "(unanswerable)" if item.get("unanswerable") else " | ".join(item["answers"])
            where_from = f"{row['cited']}:{row['kind']}" if row["answer"] is not None else "-"
            print(
                f"{row['outcome']:>16}  {row['id']:<8} {item['question']}\n"
                f"{'':>18}answer: {row['answer']!r} ({row['score']}, {where_from}, {row['section']})\n"
                f"{'':>18}gold:   {gold}"
            )
    ask_s = time.perf_counter() - t0

    def by_split(listed: list[dict]) -> dict[str, dict]:
        return {s: totals([r for r in listed if r["split"] == s]) for s in SPLITS if any(r["split"] == s for r in listed)}

    modes = ("abstain", "no-abstain")
    mode, other_mode = modes[::-1] if args.no_abstain else modes
    report = {
        "mode": mode,
        "threshold": round(assistant.answer_threshold, 4),
        "docs": str(docs),
        "versions": installed,
        "version_warnings": warnings,
        "index_seconds": round(index_s, 1),
        "ask_seconds_mean": round(ask_s / max(len(rows), 1), 3),
        "totals": by_split(rows),
        "other_mode": other_mode,
        "other_totals": by_split(other_rows),
        "questions": rows,
    }
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print()
        print("versions: " + ", ".join(f"{p} {v}" for p, v in sorted(installed.items())))
        print(f"threshold {report['threshold']}; mean ask {report['ask_seconds_mean']}s")
        for name, key in ((mode, "totals"), (other_mode, "other_totals")):
            label = "forced top answer" if name == "no-abstain" else "given at the threshold"
            for split, t in report[key].items():
                print(format_totals(f"{split}, {label}", t))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
