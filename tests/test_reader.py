"""Span reader: span-offset invariants on arbitrary text, the training CLI, and a training smoke run."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.reader.spans import ContextPrediction, trim_span, whole_token_start
from qa.reader.windows import window_starts
from qa.training.config import TrainConfig, build_parser, parse_args


@lru_cache(maxsize=1)
def untrained() -> "SpanModel":  # noqa: F821 - imported here: torch stays out of the fast tests
    from qa.reader.model import SpanModel

    return SpanModel.untrained(seed=0)


def check_prediction(context: str, pred: ContextPrediction, top_k: int) -> None:
    assert math.isfinite(pred.no_answer_score)
    assert len(pred.spans) <= top_k
    scores = [s.score for s in pred.spans]
    assert scores == sorted(scores, reverse=True)
    assert len({(s.start, s.end) for s in pred.spans}) == len(pred.spans)
    for span in pred.spans:
        assert 0 <= span.start < span.end <= len(context)
        text = context[span.start : span.end]
        assert text == text.strip() and text  # exact substring, no surrounding whitespace
        assert math.isfinite(span.score)


ODD = ["\u00a0", "\u3000", "\u200b", "\t", "\n", "\r\n", "  ", "\u2028", "\ufeff", "\u0301"]
WORDS = ["café", "İstanbul", "straße", "ﬁnance", "東京", "😀", "U.S.", "(1990)", "“quoted”", "Ǆ", "x", "42%", "—"]
contexts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(WORDS + ODD + ["the", "a"]), max_size=120).map("".join),
    st.lists(st.sampled_from(WORDS), max_size=80).map(" ".join),
)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=st.text(max_size=60), ctxs=st.lists(contexts, min_size=1, max_size=4), top_k=st.integers(1, 6))
def test_spans_are_exact_substrings(question: str, ctxs: list[str], top_k: int) -> None:
    preds = untrained().predict(question, ctxs, top_k=top_k)
    assert len(preds) == len(ctxs)
    for ctx, pred in zip(ctxs, preds):
        check_prediction(ctx, pred, top_k)


@pytest.mark.slow
def test_edge_cases() -> None:
    reader = untrained()
    assert reader.predict("anything?", []) == []
    empty = reader.predict("", ["", " \n\t "])
    assert all(p.spans == [] for p in empty)
    long_ctx = " ".join(f"w{i}" for i in range(1500)) + " end"
    (pred,) = reader.predict("where is the end?", [long_ctx], top_k=5, max_answer_tokens=3)
    check_prediction(long_ctx, pred, 5)
    assert pred.spans
    batched = reader.predict_batch(["q1", "q2"], [["alpha beta"], ["gamma", "delta"]])
    assert [len(b) for b in batched] == [1, 2]


def test_an_int8_quantised_net_still_reads() -> None:
    """bench_reader_formats.py quantises the torch reader's Linear layers: the forward pass must not
    assume a plain Linear when it looks for the net's device."""
    import torch

    from qa.reader.model import SpanModel

    reader = SpanModel.untrained(seed=0)
    reader.net = torch.ao.quantization.quantize_dynamic(reader.net, {torch.nn.Linear}, dtype=torch.qint8)
    context = "Ada Lorn was born in Vienna in 1821."
    (pred,) = reader.predict("Where was Ada Lorn born?", [context], top_k=2)
    check_prediction(context, pred, 2)


def test_windows_cover_long_contexts() -> None:
    assert window_starts(10, 20, 5) == [0]
    starts = window_starts(100, 30, 10)
    assert starts[0] == 0 and starts[-1] == 70
    assert all(b - a <= 20 for a, b in zip(starts, starts[1:]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" Paris. ", "Paris"),
        ("(1990", "1990"),
        ("(1990)", "(1990)"),
        ("the U.S.", "the U.S."),
        ("50%,", "50%"),
        ("“Hello”", "“Hello”"),
        ('"Hello', "Hello"),
        ("...", ""),
        # the punctuation a flag, a negative number, a path or a dotfile begins with is the answer's
        ("--frozen", "--frozen"),
        (" --no-install-project,", "--no-install-project"),
        ("-5 degrees", "-5 degrees"),
        ("/etc/uv/uv.toml.", "/etc/uv/uv.toml"),
        ("./run.sh", "./run.sh"),
        (".env", ".env"),
        ("- just in time", "just in time"),
        ("Python 3.10.", "Python 3.10"),
        ("e.g.", "e.g."),
        ("J.", "J."),
        ("--", ""),
    ],
)
def test_trim_span(text: str, expected: str) -> None:
    s, e = trim_span(text, 0, len(text))
    assert text[s:e] == expected


@pytest.mark.parametrize(
    ("text", "piece", "expected"),
    [
        ("Pass `--no-install-project` to skip it.", "no-install-project", "--no-install-project"),
        ("Use -x or --frozen.", "frozen", "--frozen"),
        ("It reads /etc/uv/uv.toml first.", "etc/uv/uv.toml", "/etc/uv/uv.toml"),
        ("Run ./run.sh now.", "run.sh", "./run.sh"),
        ("Put it in .env files.", "env", ".env"),
        ("It fell to -40 degrees.", "40", "-40"),
        ("A well-known tool.", "known", "known"),  # inside a word
        ("The U.S. team.", "S.", "S."),
        ("Ends here. Next one.", "Next", "Next"),
    ],
)
def test_a_span_starting_inside_a_flag_or_path_gets_its_start(text: str, piece: str, expected: str) -> None:
    start = text.index(piece)
    assert text[whole_token_start(text, start) : start + len(piece)] == expected


def test_trim_span_inside_a_word_drops_the_joiner() -> None:
    text = "a well-known uv/uv.toml file"
    for piece, expected in (("-known", "known"), ("/uv.toml", "uv.toml")):
        start = text.index(piece)
        s, e = trim_span(text, start, start + len(piece))
        assert text[s:e] == expected


# --------------------------------------------------------------------------- training command line


def test_every_config_field_is_an_option() -> None:
    options = {a.dest: a for a in build_parser()._actions if a.option_strings}
    for f in dataclasses.fields(TrainConfig):
        assert f.name in options and f.metadata["help"]
        assert "--" + f.name.replace("_", "-") in options[f.name].option_strings
    assert options["data"].required
    assert "--no-bf16" in options["bf16"].option_strings


def test_parse_args_round_trips() -> None:
    cfg = parse_args(["--data", "train.json", "--minutes", "1.5", "--max-steps", "7", "--batch-size", "4",
                      "--lr", "3e-4", "--checkpoint-dir", "/tmp/ck", "--no-bf16", "--neg-fraction", "0.3"])
    assert cfg == dataclasses.replace(
        TrainConfig(data="train.json"), minutes=1.5, max_steps=7, batch_size=4, lr=3e-4, checkpoint_dir="/tmp/ck",
        bf16=False, neg_fraction=0.3,
    )
    default = parse_args(["--data", "train.json"])
    assert default == TrainConfig(data="train.json") and default.bf16 and default.max_steps is None
    assert default.out.endswith("qa/reader/weights") and default.checkpoint_dir.endswith("cited-qa/reader-train")
    with pytest.raises(SystemExit):
        parse_args(["--minutes", "3"])  # --data is required


def test_device_and_init_options() -> None:
    cfg = parse_args(["--data", "t.json", "--device", "cuda:1", "--init-from", "qa/reader/weights"])
    assert cfg.device == "cuda:1" and cfg.init_from == "qa/reader/weights"
    assert cfg.torch_device() == "cuda:1" and cfg.use_bf16()  # GPUs always autocast to bf16
    default = parse_args(["--data", "t.json"])
    assert default.device == "auto" and default.init_from is None
    import torch

    assert default.torch_device() == ("cuda" if torch.cuda.is_available() else "cpu")
    assert not dataclasses.replace(cfg, bf16=False).use_bf16()


def test_training_refuses_the_dev_set(tmp_path: Path) -> None:
    from qa.training.loop import main

    dev = tmp_path / "dev-v1.1-public.json"
    dev.write_text(json.dumps(tiny_squad()))
    with pytest.raises(SystemExit, match="dev set"):
        main(["--data", str(dev), "--checkpoint-dir", str(tmp_path / "ckpt"), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "ckpt").exists() and not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- training smoke test

PEOPLE = [("Ada Lorn", "Vienna", "1821", "chemist"), ("Bruno Tal", "Lisbon", "1902", "painter"),
          ("Cora Vex", "Oslo", "1877", "sailor"), ("Dima Rusk", "Quito", "1950", "surgeon"),
          ("Elio Marr", "Dakar", "1933", "poet"), ("Faye Quill", "Hanoi", "1968", "pilot")]


def tiny_squad() -> dict:
    """Three small articles: two for training (20 questions), one held out."""
    articles = []
    for a in range(3):
        paragraphs = []
        for name, city, year, job in PEOPLE[2 * a : 2 * a + 2]:
            context = f"{name} was born in {city} in {year}. Later in life, {name} became a famous {job}."
            qas = []
            for q, ans in [(f"Where was {name} born?", city), (f"When was {name} born?", year),
                           (f"What did {name} become?", job), (f"In which city was {name} born?", city),
                           (f"In what year was {name} born?", year)]:
                qas.append({"id": f"{name}-{len(qas)}", "question": q,
                            "answers": [{"text": ans, "answer_start": context.index(ans)}]})
            paragraphs.append({"context": context, "qas": qas})
        articles.append({"title": f"t{a}", "paragraphs": paragraphs})
    return {"version": "1.1", "data": articles}


def resumed_sha(weights_dir: Path) -> str:
    return hashlib.sha256((weights_dir / "reader.safetensors").read_bytes()).hexdigest()


@pytest.mark.slow
def test_training_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.reader.predictor import WEIGHTS_FILE, weights_metadata
    from qa.training.loop import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    data = tmp_path / "tiny.json"
    data.write_text(json.dumps(tiny_squad()))
    out, ckpt = tmp_path / "weights", tmp_path / "ckpt"
    args = ["--data", str(data), "--checkpoint-dir", str(ckpt), "--out", str(out), "--batch-size", "4",
            "--lr", "3e-4", "--warmup-steps", "1", "--heldout-articles", "1", "--eval-questions", "5",
            "--eval-negatives", "2", "--log-every-steps", "1", "--minutes", "5"]
    summary = main([*args, "--max-steps", "12"])
    losses = summary.losses
    assert len(losses) == 12
    assert sum(losses[-4:]) / 4 < 0.8 * sum(losses[:4]) / 4

    assert (out / "reader.safetensors").is_file()
    card = (out / "MODEL_CARD.md").read_text()
    assert "sha256" in card and "python -m qa.training" in card
    assert (out / "reader.safetensors").stat().st_size < 30e6
    events = [json.loads(line)["event"] for line in (ckpt / "train_log.jsonl").read_text().splitlines()]
    assert {"start", "train", "eval", "checkpoint", "export"} <= set(events)

    assert "qa.reader.model.SpanModel.load()" in card
    from qa.reader.model import SpanModel

    reader = SpanModel.load(out)
    context = tiny_squad()["data"][0]["paragraphs"][0]["context"]
    (pred,) = reader.predict("Where was Ada Lorn born?", [context])
    check_prediction(context, pred, 5)

    resumed = main([*args, "--max-steps", "14"])  # picks up the checkpoint at step 12
    assert resumed.progress.step == 14 and len(resumed.losses) == 2
    assert len(resumed.progress.commands) == 2
    assert all(c.endswith("# on CPU, 2 threads") for c in resumed.progress.commands)

    # Without the checkpoint (another machine), --init-from starts from the export and keeps its history.
    out2 = tmp_path / "weights2"
    again = main([*args[:2], "--checkpoint-dir", str(tmp_path / "ckpt2"), "--out", str(out2), *args[6:],
                  "--init-from", str(out), "--max-steps", "2", "--lr", "1e-5"])
    assert again.progress.step == 2 and 0 < again.progress.examples_seen - resumed.progress.examples_seen <= 2 * 4
    assert again.losses[0] < 0.8 * losses[0]  # trained weights, not the packaged encoder and a random head
    assert again.progress.commands[:2] == resumed.progress.commands and "--init-from" in again.progress.commands[2]
    card2 = (out2 / "MODEL_CARD.md").read_text()
    assert f"started from: reader.safetensors sha256 {resumed_sha(out)} ({resumed.progress.examples_seen} " in card2
    # the weights carry it too, so that a soup made of them can name where they began
    assert weights_metadata(out2 / WEIGHTS_FILE)["started_from"].startswith(f"reader.safetensors sha256 {resumed_sha(out)}")
    assert "started_from" not in weights_metadata(out / WEIGHTS_FILE)
    assert len(again.progress.f1_curve) == len(resumed.progress.f1_curve) + 1

    # Distillation from a teacher identical to the student: the soft loss starts at zero (weight 1 = soft only),
    # and the card names the teacher by its hash.
    out3 = tmp_path / "weights3"
    student = main([*args[:2], "--checkpoint-dir", str(tmp_path / "ckpt3"), "--out", str(out3), *args[6:],
                    "--init-from", str(out), "--teachers", str(out), "--distill-weight", "1.0", "--max-steps", "2"])
    assert abs(student.losses[0]) < 1e-3 and student.losses[1] > 0
    assert f"distilled from 1 teachers (reader.safetensors sha256 {resumed_sha(out)[:16]}" in (out3 / "MODEL_CARD.md").read_text()
    with pytest.raises(SystemExit, match="--teachers"):
        main([*args[:2], "--checkpoint-dir", str(tmp_path / "ckpt4"), "--out", str(tmp_path / "w4"), *args[6:],
              "--teachers", str(tmp_path / "nowhere"), "--max-steps", "1"])


@pytest.mark.slow
def test_training_with_grouped_distractors_runs_and_resumes_with_its_groups(tmp_path: Path, monkeypatch) -> None:
    from qa.training.loop import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = tmp_path / "tiny.json"
    data.write_text(json.dumps(tiny_squad()))
    args = ["--data", str(data), "--checkpoint-dir", str(tmp_path / "ckpt"), "--out", str(tmp_path / "w"),
            "--batch-size", "6", "--lr", "3e-4", "--warmup-steps", "1", "--heldout-articles", "1",
            "--eval-questions", "5", "--eval-negatives", "2", "--minutes", "5", "--group-distractors", "2"]
    first = main([*args, "--max-steps", "3"])
    assert len(first.losses) == 3 and all(0 < x < 50 for x in first.losses)
    # a resumed run keeps the grouping it was started with, whatever this command line says
    resumed = main([*args[:-2], "--group-distractors", "0", "--max-steps", "4"])
    assert resumed.progress.step == 4
    log = [json.loads(line) for line in (tmp_path / "ckpt" / "train_log.jsonl").read_text().splitlines()]
    starts = [r["config"]["group_distractors"] for r in log if r["event"] == "start"]
    assert starts == [2, 2]
    card = (tmp_path / "w" / "MODEL_CARD.md").read_text()
    assert "--group-distractors 2" in card

    # distractors left to the shared ranking alone: a run of its own, kept on resume
    args2 = [*args[:2], "--checkpoint-dir", str(tmp_path / "ckpt2"), "--out", str(tmp_path / "w2"), *args[6:]]
    alone = main([*args2, "--no-group-window-loss", "--max-steps", "2"])
    assert len(alone.losses) == 2 and all(0 < x < 50 for x in alone.losses)
    main([*args2, "--max-steps", "3"])
    log2 = [json.loads(line) for line in (tmp_path / "ckpt2" / "train_log.jsonl").read_text().splitlines()]
    assert [r["config"]["group_window_loss"] for r in log2 if r["event"] == "start"] == [False, False]


def test_distillation_loss_is_zero_exactly_at_the_teachers_distribution() -> None:
    import torch

    from qa.training.distill import distillation_loss

    gen = torch.Generator().manual_seed(0)
    start, end = torch.randn(4, 12, generator=gen), torch.randn(4, 12, generator=gen)
    start[:, 5:] = end[:, 5:] = -1e4  # masked positions, as the net masks the question and padding
    for t in (1.0, 2.0):
        soft = (torch.softmax(start / t, -1), torch.softmax(end / t, -1))
        assert distillation_loss(start, end, soft, t).item() < 1e-6
        other = distillation_loss(torch.randn(4, 12, generator=gen), end, soft, t)
        assert torch.isfinite(other) and other.item() > 1e-3
        student = torch.zeros(4, 12, requires_grad=True)
        distillation_loss(student, end, soft, t).backward()
        # the gradient step raises the student's logit where the teacher's probability is highest
        top = soft[0].argmax(-1)
        assert (student.grad.gather(1, top[:, None]) < 0).all()


def _pretokenised(n_questions: int = 200, ctx_len: int = 60):
    import numpy as np

    from qa.training.data import PreTokenised

    ctx_ids = [np.arange(ctx_len, dtype=np.int64) + 1000 for _ in range(4)]
    offsets = [np.array([[i * 2, i * 2 + 1] for i in range(ctx_len)]) for _ in range(4)]
    texts = [" ".join("w" for _ in range(ctx_len)) for _ in range(4)]
    rng = np.random.default_rng(0)
    starts = rng.integers(10, ctx_len - 12, size=n_questions)
    return PreTokenised(
        ctx_ids=ctx_ids, ctx_offsets=offsets, ctx_text=texts, ctx_article=np.zeros(4, dtype=np.int64),
        q_ids=[np.array([5, 6, 7]) for _ in range(n_questions)], q_ctx=rng.integers(0, 4, size=n_questions),
        q_answer=np.stack([starts, starts + 1], axis=1), q_answer_text=["zzz"] * n_questions,
        heldout=[], heldout_paragraphs=[],
    )


def test_cropped_positive_windows_keep_the_answer_and_have_ragged_edges() -> None:
    """With crop_fraction, windows holding the answer start and end at random tokens (as the
    negatives cut from the answer's own paragraph do), so a ragged edge is no cue for [CLS];
    without it, a paragraph that fits is read whole, as before."""
    from qa.training.data import EX_END, EX_Q, EX_START, EX_WLEN, EX_WSTART, build_epoch

    data = _pretokenised()
    plain = TrainConfig(data="x", crop_fraction=0.0)
    positives = lambda rows: rows[rows[:, EX_START] > 0]  # noqa: E731
    whole = positives(build_epoch(data, plain, 0))
    assert (whole[:, EX_WSTART] == 0).all() and (whole[:, EX_WLEN] == 60).all()
    cropped = positives(build_epoch(data, TrainConfig(data="x", crop_fraction=1.0), 0))
    assert len(cropped) == len(whole)
    assert (cropped[:, EX_WSTART] > 0).mean() > 0.8 and (cropped[:, EX_WSTART] + cropped[:, EX_WLEN] < 60).mean() > 0.8
    question_tokens = 3 + 2  # the question, [CLS] and [SEP] before the window
    for row in cropped:
        start, end = row[EX_START] - question_tokens, row[EX_END] - question_tokens  # in window tokens
        assert 0 <= start <= end < row[EX_WLEN]
        assert (row[EX_WSTART] + start, row[EX_WSTART] + end) == tuple(data.q_answer[row[EX_Q]])
    # the same seed and epoch give the same windows (a resumed run sees the same batches)
    again = positives(build_epoch(data, TrainConfig(data="x", crop_fraction=1.0), 0))
    assert (again == cropped).all()


def test_grouped_epochs_put_each_positive_with_distractors_of_its_own_question_in_one_batch() -> None:
    """With group_distractors, every positive window is followed by distractors of the same question
    (never holding the answer) that carry its row as their group, and no batch splits a group; without
    it, every row is alone and batches are cut as before."""
    import numpy as np

    from qa.training.data import EX_CTX, EX_END, EX_GROUP, EX_Q, EX_START, NO_GROUP, batch_order, build_epoch

    data = _pretokenised()
    plain_cfg = TrainConfig(data="x", batch_size=8)
    plain = build_epoch(data, plain_cfg, 0)
    assert (plain[:, EX_GROUP] == NO_GROUP).all()
    assert all(size == 8 for size in sorted(len(b) for b in batch_order(plain, data, plain_cfg, 0))[1:])
    cfg = TrainConfig(data="x", batch_size=8, group_distractors=2)
    rows = build_epoch(data, cfg, 0)
    grouped = rows[rows[:, EX_GROUP] != NO_GROUP]
    for g in np.unique(grouped[:, EX_GROUP]):
        members = rows[rows[:, EX_GROUP] == g]
        assert rows[g, EX_GROUP] == g and rows[g, EX_START] > 0  # the group is named by its positive's row
        assert len(members) <= 3 and (members[:, EX_START] > 0).sum() == 1  # a distractor may not be found
        assert (members[:, EX_Q] == rows[g, EX_Q]).all()
    assert len(grouped) > 2.5 * len(np.unique(grouped[:, EX_GROUP]))
    positives = rows[rows[:, EX_START] > 0]
    assert (positives[:, EX_GROUP] != NO_GROUP).all() and len(positives) == len(plain[plain[:, EX_START] > 0])
    distractors = grouped[grouped[:, EX_START] == 0]
    assert len(distractors) and (distractors[:, EX_END] == 0).all()  # labelled [CLS]
    assert (distractors[:, EX_CTX] != data.q_ctx[distractors[:, EX_Q]]).any()  # other paragraphs among them
    batches = batch_order(rows, data, cfg, 0)
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(rows)))  # every row once
    where = {int(r): i for i, b in enumerate(batches) for r in b}
    for g in np.unique(grouped[:, EX_GROUP]):
        assert len({where[int(r)] for r in np.nonzero(rows[:, EX_GROUP] == g)[0]}) == 1
    assert max(len(b) for b in batches) <= 8
    assert all((a == b).all() for a, b in zip(batches, batch_order(rows, data, cfg, 0)))  # seeded


def test_shared_norm_loss_ranks_the_answer_against_every_distractor_span_by_its_cls_relative_score() -> None:
    import torch

    from qa.training.shared_norm import shared_norm_loss

    masked = -1e4
    start = torch.full((3, 8), masked)
    end = torch.full((3, 8), masked)
    start[:, 0] = end[:, 0] = 0.0  # [CLS]
    start[:, 3:7] = end[:, 3:7] = 0.0  # context tokens 3..6
    start[0, 4] = end[0, 5] = 5.0  # the positive window's answer (4, 5)
    starts, ends = torch.tensor([4, 0, 0]), torch.tensor([5, 0, 0])
    groups = torch.tensor([7, 7, -1])  # row 2 is trained alone: not part of the ranking
    easy = shared_norm_loss(start, end, starts, ends, groups)
    # a distractor with a span as strong as the answer: the loss rises...
    start[1, 3] = end[1, 3] = 5.0
    hard = shared_norm_loss(start, end, starts, ends, groups)
    assert easy is not None and hard is not None and hard.item() > easy.item() + 0.3
    # ...and falls again when that distractor's [CLS] is as strong (the reader would rank it no higher)
    start[1, 0] = end[1, 0] = 5.0
    relative = shared_norm_loss(start, end, starts, ends, groups)
    assert abs(relative.item() - easy.item()) < 0.05
    # the row trained alone changes nothing; the gradient lowers the distractor span and raises its [CLS]
    start[2, 3] = 50.0
    s = start.clone().requires_grad_(True)
    shared_norm_loss(s, end, starts, ends, groups).backward()
    assert s.grad[2].abs().sum() == 0 and s.grad[1, 3] > 0 and s.grad[1, 0] < 0 and s.grad[0, 4] < 0
    assert shared_norm_loss(start, end, starts, ends, torch.tensor([-1, -1, -1])) is None


def test_without_group_window_loss_only_the_grouped_distractors_leave_the_per_window_loss() -> None:
    import torch

    from qa.training.shared_norm import window_loss_rows

    # rows: a positive with its two distractors, a plain negative, a plain positive
    starts = torch.tensor([4, 0, 0, 0, 3])
    groups = torch.tensor([0, 0, 0, -1, -1])
    assert window_loss_rows(starts, groups, distractors=True).tolist() == [True] * 5
    assert window_loss_rows(starts, groups, distractors=False).tolist() == [True, False, False, True, True]
