"""The ``qa`` command: index documents, ask questions, chat, evaluate.

Every failure a user can cause ends in one ``qa: error: ...`` line and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from qa.calibration import CALIBRATION_FILE
from qa.confidence import describe
from qa.display import one_line, safe, safe_json

if TYPE_CHECKING:
    from embeddings.index import SyncReport
    from qa.assistant import Assistant
    from qa.citations import AskResult
    from qa.settings import Settings

EXIT_ERROR = 1


def _progress_bar(desc: str, unit: str = "passage"):
    """``progress(done, total)`` callbacks shown on stderr: a tqdm bar on a
    terminal, plain lines at every tenth otherwise (logs, pipes, CI)."""
    state: dict = {}

    def update(done: int, total: int) -> None:
        if not sys.stderr.isatty():
            step = max(1, total // 10)
            if (done >= total and not state.get("finished")) or done // step > state.get("last", -1):
                state["last"] = done // step
                state["finished"] = done >= total
                print(f"{desc}: {done:,}/{total:,} {unit}s", file=sys.stderr, flush=True)
            return
        from tqdm import tqdm

        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, unit_scale=True)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def _stage_bars(prefix: str = ""):
    """``progress(stage, done, total)`` for indexing: one bar (or plain lines)
    per stage, reading files, splitting characters, embedding passages."""
    from embeddings.progress import UNITS

    bars: dict[str, object] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            bars[stage] = _progress_bar(f"{prefix}{stage}", UNITS.get(stage, "item"))
        bars[stage](done, total)

    return update


def _open_assistant(args: argparse.Namespace, progress=None) -> Assistant:
    from qa.assistant import Assistant

    if args.index is None:
        return Assistant.default(args.settings, progress=progress)
    return Assistant.load(args.index, args.settings)


def _add_on_ray(assistant: Assistant, args: argparse.Namespace) -> SyncReport:
    """`Assistant.add_with_ray` with the command's options; a failure inside
    Ray becomes one line naming the task's own exception."""
    from embeddings.distributed import RayOptions

    options = RayOptions(address=None if args.ray == "local" else args.ray, workers=args.ray_workers,
                         documents_per_batch=args.ray_batch)
    try:
        return assistant.add_with_ray(args.paths, options, follow_links=args.follow_links)
    except Exception as exc:
        if not type(exc).__module__.startswith("ray"):
            raise
        cause = getattr(exc, "cause", None) or exc  # a task's own exception, not Ray's wrapping
        first = (str(cause).strip().splitlines() or [""])[0]
        raise UserError(f"the Ray run failed, the index is unchanged: {type(cause).__name__}: {safe(first)}") from None


def cmd_index(args: argparse.Namespace) -> int:
    from qa.assistant import Assistant

    settings: Settings = args.settings
    target = Path(args.index) if args.index else settings.default_index_dir
    if args.ray is not None:
        from embeddings.distributed import require_ray

        require_ray()  # before any work: one clear line if the extra is missing
    if args.index is None:
        assistant = _open_assistant(args, _stage_bars("seed corpus: "))
    elif args.ray is not None:
        from embeddings.index import check_target

        check_target(target)  # refused before any work, as from_paths does
        assistant = Assistant.open_or_create(target, settings)
    else:
        assistant = Assistant.from_paths(args.paths, target, settings, progress=_stage_bars(),
                                         follow_links=args.follow_links)
    if args.ray is not None:
        report = _add_on_ray(assistant, args)
    elif args.index is None:
        report = assistant.add(args.paths, progress=_stage_bars(), follow_links=args.follow_links)
    else:
        report = assistant.last_report
    info = assistant.info()
    if args.verbose:
        for label, ids in (("added", report.added), ("updated", report.updated), ("unchanged", report.unchanged)):
            for doc_id in ids:
                print(f"{label}: {safe(doc_id)}")
        for entry in report.skipped:
            print(f"skipped: {safe(entry.path)}: {safe(entry.reason)}")
    for entry in report.warnings:
        print(f"warning: {safe(entry.path)}: {safe(entry.reason)}", file=sys.stderr)
    print(
        f"indexed into {safe(str(target))}: {report.summary()};"
        f" {info.documents} documents, {info.passages} passages in all"
    )
    if report.skipped and not args.verbose:
        print("(--verbose lists every file and why it was skipped)")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    assistant = _open_assistant(args)
    merged = assistant.compact()
    segments = len(assistant.index.segments())
    print(f"compacted {safe(str(assistant.index_dir))}: {merged} segments merged into {segments};"
          f" {assistant.info().passages} passages")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from qa.assistant import Assistant
    from qa.watching import watch

    roots = [Path(p) for p in args.paths]
    for root in roots:
        if not root.exists():
            raise UserError(f"no such file or folder: {root}")
    if args.index is None:
        assistant = _open_assistant(args, _stage_bars("seed corpus: "))
    else:
        assistant = Assistant.open_or_create(args.index, args.settings)
    where = safe(str(assistant.index_dir))

    def report(r) -> None:
        print(f"{where}: {r.summary()}", flush=True)

    print(f"watching {', '.join(safe(str(r)) for r in roots)} for {where} (Ctrl+C stops)", flush=True)
    watch(assistant, roots, report, follow_links=args.follow_links)
    print("stopped watching", flush=True)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    assistant = _open_assistant(args)
    removed = assistant.remove(args.doc_id)
    print(f"removed {safe(removed)}")
    return 0


def _print_result(result: AskResult, width: int) -> None:
    """Answers as people read them; all document text goes through `safe`."""
    from qa.citations import NOT_FOUND

    if result.abstained and not result.answers:
        print(f"{NOT_FOUND}: {safe(result.reason)}.")
        if result.passages:
            print("\nNearest passages:")
            for rp in result.passages[:3]:
                print(f"  - {one_line(rp.label)}: {one_line(rp.passage.text, 200)}")
        return
    if result.abstained:  # --all with nothing above the threshold: best guesses, said so
        print(f"{NOT_FOUND} with enough confidence (threshold {result.threshold or 0:.2f}). Best guesses:")
    for n, answer in enumerate(result.answers, 1):
        c = answer.citation
        code = "  [code]" if c.kind == "code" else ""
        threshold = result.threshold if result.threshold is not None else 0.0
        print(f"{n}. {one_line(answer.text)}   (confidence: {describe(answer.score, threshold)}){code}")
        sentence = one_line(answer.sentence)
        if sentence != one_line(answer.text):
            print(textwrap.indent(textwrap.fill(sentence, width - 6), "     "))
        print(f"     [{n}] {one_line(c.label)} · {safe(c.path)}")
        if " ".join(c.source_text.split()) != " ".join(answer.text.split()):
            print(f"         in the file: {one_line(c.source_text, 200)}")


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.questions import check_question

    check_question(args.question)  # fail fast, before the model loads
    if args.min_confidence is not None:
        if not 0.0 <= args.min_confidence <= 1.0:
            raise UserError(f"--min-confidence must be in [0, 1], not {args.min_confidence}")
        args.settings = replace(args.settings, min_confidence=args.min_confidence)
    assistant = _open_assistant(args)
    result = assistant.ask(args.question, k=args.k, within=args.within, abstain=not args.all)
    if args.json:
        print(safe_json(result.to_dict()))
    else:
        _print_result(result, min(os.get_terminal_size().columns if sys.stdout.isatty() else 100, 100))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    info = _open_assistant(args).info()
    print(f"documents: {info.documents}\npassages: {info.passages}\nmodel: {safe(info.model)}")
    print(f"reader: {info.reader}\nindex: {safe(str(info.index_dir))}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    try:
        from tui.app import run
    except ImportError as exc:
        raise UserError(f"the terminal chat is not available: {exc}") from None
    run(Path(args.index) if args.index else None, args.settings)
    return 0


class UserError(Exception):
    pass


def _fresh_assistant(settings: Settings) -> Assistant:
    """An in-memory assistant for evaluation and calibration."""
    from qa.assistant import Assistant

    return Assistant.in_memory(settings)


def _read_squad(path: Path) -> list[dict]:
    from qa.evaluation import squad

    try:
        return squad.read_articles(path)
    except squad.SquadFileError as exc:
        raise UserError(str(exc)) from None


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit P(right) on SQuAD train articles in every document shape, choose the threshold, write it."""
    import hashlib
    from dataclasses import replace

    from qa.evaluation import shapes
    from qa.reader.extractive import ExtractiveReader

    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    if args.articles < 1 or args.questions < 1:
        raise UserError("--articles and --questions must be at least 1")
    if args.threshold is not None and not 0.0 < args.threshold < 1.0:
        raise UserError("--threshold must be between 0 and 1")
    articles = _read_squad(path)[-args.articles :]
    settings = args.settings
    reader = ExtractiveReader.from_settings(settings)
    if args.out:
        out = Path(args.out)
    else:
        out = reader.weights_dir / CALIBRATION_FILE
    cached = Path(args.cache) / shapes.FIT_CACHE if args.cache else None
    asked = shapes.cached_or_collected(cached, lambda: shapes.collect_shapes(
        articles, args.questions, settings=settings, reader=reader,
        progress=lambda message: print(message, file=sys.stderr, flush=True)))
    try:
        fitted = shapes.fit(asked, shapes.FEATURES, threshold=0.5)
    except ValueError as exc:  # e.g. no right (or no wrong) answer among the examples
        raise UserError(f"cannot fit a calibration: {exc}") from None
    threshold = args.threshold if args.threshold is not None else shapes.choose_threshold(asked, fitted)
    fitted = replace(fitted, threshold=threshold)
    table = {shape: shapes.evaluate(subset, fitted, shapes.THRESHOLDS)["selective"]
             for shape, subset in shapes.by_shape(asked).items()}
    record = {
        "reader": reader.name,
        "weights": fitted.weights,
        "bias": fitted.bias,
        "threshold": fitted.threshold,
        "threshold_rule": "given with --threshold" if args.threshold is not None else
        "the best worst figure: over every shape, the lowest of coverage, precision and unanswerable abstained",
        "data": {
            "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "articles": f"last {args.articles}",
            "shapes": list(table),
            "questions_per_shape": args.questions,
            "asked": len(asked),
            "right_answers": sum(a.candidates[0][2] for a in asked if a.candidates),
        },
        "command": "qa calibrate " + " ".join(sys.argv[2:]),
        "tradeoff_on_calibration_data": table,
    }
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"{reader.name} reader calibration written to {out} (threshold {threshold:.1f})")
    for shape, rows in table.items():
        print(f"\nshape: {shape}")
        print("\n".join(shapes.format_selective(rows)))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if not Path(args.file).is_file():
        raise UserError(f"no such file: {args.file}")
    if args.abstention_table:
        from qa.evaluation import calibrate

        articles = _read_squad(Path(args.file))
        assistant = _fresh_assistant(args.settings)
        examples = calibrate.collect_examples(
            assistant, articles, args.limit or 500, progress=_progress_bar("questions", unit="question")
        )
        print(f"reader: {assistant.reader.name}")
        print(calibrate.format_table(calibrate.tradeoff_table(assistant.reader.calibration, examples)))
        return 0
    from qa.evaluation.harness import evaluate_squad

    _read_squad(Path(args.file))  # a clear error before any model loads
    report = evaluate_squad(
        args.file,
        args.settings,
        limit=args.limit,
        gold_paragraph=args.gold_paragraph,
        progress=None if args.json else _progress_bar("questions", unit="question"),
        index_progress=None if args.json else _stage_bars(),
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print("\n".join(report.lines()))
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cited-qa")
    except PackageNotFoundError:
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa",
        description="Ask questions about your documents; every answer is a cited span of them.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_index(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--index",
            metavar="DIR",
            help="index folder (default: the seed corpus + your additions, in the user cache)",
        )
        return p

    p = with_index(sub.add_parser("index", help="index files or folders (.txt .md .rst .pdf .html .docx)"))
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-v", "--verbose", action="store_true", help="list every file: added, updated, unchanged, skipped and why")
    p.add_argument("--follow-links", action="store_true",
                   help="follow symbolic links that lead outside the folders named")
    p.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                   help="read, chunk and embed on a Ray cluster: a local one for this run, or ADDRESS"
                        " ('auto', 'ray://host:port'); needs the [ray] extra")
    p.add_argument("--ray-workers", type=int, default=2, metavar="N",
                   help="embedding actors, each with its own copy of the model (default 2)")
    p.add_argument("--ray-batch", type=int, default=16, metavar="DOCS",
                   help="documents per embedding batch (default 16)")
    p.set_defaults(func=cmd_index)

    p = with_index(sub.add_parser("ask", help="answer one question"))
    p.add_argument("question")
    p.add_argument("-k", type=int, default=3, help="answers to return (default 3)")
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.add_argument("--min-confidence", type=float, metavar="X",
                   help="withhold answers below this confidence (default: the calibration's threshold)")
    p.add_argument("--all", action="store_true",
                   help="also show answers below the threshold, marked as low-confidence guesses")
    p.add_argument("--in", dest="within", metavar="GLOB",
                   help="ask only the documents whose path or name matches GLOB (e.g. '*.md', 'notes/*')")
    p.set_defaults(func=cmd_ask)

    p = with_index(sub.add_parser("chat", help="open the terminal chat"))
    p.set_defaults(func=cmd_chat)

    p = with_index(sub.add_parser("info", help="show what the index holds"))
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("eval", help="evaluate on a SQuAD v1.1 file")
    p.add_argument("dataset", choices=["squad"])
    p.add_argument("file", metavar="FILE")
    p.add_argument("--limit", type=int, default=None, help="first N questions only")
    p.add_argument("--gold-paragraph", action="store_true", help="the reader alone, on each question's own paragraph")
    p.add_argument("--abstention-table", action="store_true",
                   help="answered-precision / abstention trade-off (paragraph present vs removed)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("calibrate", help="fit the abstention model on SQuAD train articles")
    p.add_argument("file", metavar="TRAIN_FILE", help="SQuAD v1.1 train JSON (.json or .json.gz)")
    p.add_argument("--articles", type=int, default=10, help="the last N articles (held out from reader training)")
    p.add_argument("--questions", type=int, default=150, help="per document shape")
    p.add_argument("--out", help="where to write the calibration (default: beside the reader)")
    p.add_argument("--cache", metavar="DIR",
                   help="keep the reader's candidates in DIR, or reuse them from there (shared with "
                   "python -m qa.evaluation.shapes --cache; only for the same file, articles and questions)")
    p.add_argument("--threshold", type=float, default=None,
                   help="operating point: answers below this probability are withheld (default: the one whose "
                   "worst coverage, precision or abstention over the shapes is best on this data)")
    p.set_defaults(func=cmd_calibrate)

    p = with_index(sub.add_parser("watch", help="keep the index in step with files and folders as they change"))
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--follow-links", action="store_true",
                   help="follow symbolic links that lead outside the folders named")
    p.set_defaults(func=cmd_watch)

    p = with_index(sub.add_parser("compact", help="merge the index's segments and drop removed passages"))
    p.set_defaults(func=cmd_compact)

    p = with_index(sub.add_parser("remove", help="drop a document from the index"))
    p.add_argument("doc_id", metavar="DOC", help="the document's id or a path to its file")
    p.set_defaults(func=cmd_remove)
    return parser


def _leave_after_ray(code: int) -> None:
    """Exit at once after an interrupted Ray run. Its local cluster is already shut down
    (`embeddings.distributed.run_on_ray`), and nothing was written to the index, but Ray's native
    threads can crash the interpreter's own teardown: CI once saw a SIGSEGV (-11) instead of 130
    on a loaded machine, after "qa: interrupted" was printed. Returns when Ray was never loaded
    (interrupted before it, or not installed): there is nothing of it to skip."""
    ray = sys.modules.get("ray")
    if ray is None:
        return
    if ray.is_initialized():  # still connected: interrupted inside ray.init, or on a cluster it did not start
        ray.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    from embeddings.distributed import RayUnavailableError
    from embeddings.documents import DocumentError
    from embeddings.encoder import ModelNotFoundError
    from embeddings.index import IndexStoreError
    from embeddings.locking import IndexBusyError
    from qa.calibration import CalibrationError
    from qa.reader.predictor import ReaderWeightsError
    from qa.questions import QuestionError
    from qa.settings import Settings, SettingsError

    expected = (
        DocumentError, IndexStoreError, IndexBusyError, QuestionError, ModelNotFoundError,
        CalibrationError, ReaderWeightsError, SettingsError, UserError, RayUnavailableError,
    )
    try:
        args.settings = Settings.from_env()
        return args.func(args)
    except expected as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except FileNotFoundError as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        if getattr(args, "ray", None) is not None:
            _leave_after_ray(130)
        return 130
    except BrokenPipeError:  # `qa ask ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
