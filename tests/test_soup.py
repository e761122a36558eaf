"""`qa.training.soup`: the mean of several readers' weights, as one reader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from qa.reader.predictor import WEIGHTS_FILE, weights_metadata
from qa.settings import READER_WEIGHTS_DIR
from qa.training.checkpoint import sha256_file
from qa.training.soup import main, soup

SHIPPED = READER_WEIGHTS_DIR / WEIGHTS_FILE


def _shifted(folder: Path, shift: float, drop: str | None = None, **meta_changes: str | None) -> Path:
    """The shipped reader with ``shift`` added to every tensor (and one tensor left out, metadata changed)."""
    with safe_open(str(SHIPPED), "np") as f:
        meta = dict(f.metadata())
    for key, value in meta_changes.items():
        meta.pop(key, None)
        if value is not None:
            meta[key] = value
    tensors = {k: (v.astype(np.float32) + shift).astype(v.dtype) for k, v in load_file(str(SHIPPED)).items() if k != drop}
    folder.mkdir(parents=True)
    save_file(tensors, str(folder / WEIGHTS_FILE), metadata=meta)
    return folder


def test_the_soup_is_the_mean_of_its_members_and_names_them(tmp_path):
    up, down = _shifted(tmp_path / "up", 0.25), _shifted(tmp_path / "down", -0.25)
    target = soup([up, down, READER_WEIGHTS_DIR], tmp_path / "soup")
    shipped, souped = load_file(str(SHIPPED)), load_file(str(target))
    assert souped.keys() == shipped.keys()
    for k, v in shipped.items():
        assert souped[k].dtype == v.dtype
        # +0.25 and -0.25 cancel: the mean is the shipped tensor (to fp16 rounding of the shifted copies)
        np.testing.assert_allclose(souped[k].astype(np.float32), v.astype(np.float32), atol=2e-3)
    meta = weights_metadata(target)
    assert meta["max_seq_len"] == weights_metadata(SHIPPED)["max_seq_len"]
    assert json.loads(meta["souped_from"]) == [sha256_file(p / WEIGHTS_FILE) for p in (up, down, READER_WEIGHTS_DIR)]


def test_two_members_average_to_the_midpoint(tmp_path):
    up = _shifted(tmp_path / "up", 0.5)
    souped = load_file(str(soup([READER_WEIGHTS_DIR, up], tmp_path / "soup")))
    key = next(iter(souped))
    expected = (load_file(str(SHIPPED))[key].astype(np.float64) + load_file(str(up / WEIGHTS_FILE))[key]) / 2
    np.testing.assert_allclose(souped[key].astype(np.float64), expected, atol=1e-3)
    assert not np.allclose(souped[key], load_file(str(SHIPPED))[key])


def test_members_that_do_not_match_are_refused_in_one_line(tmp_path, capsys):
    key = next(iter(load_file(str(SHIPPED))))
    odd = _shifted(tmp_path / "odd", 0.0, drop=key)
    with pytest.raises(ValueError, match="same tensors"):
        soup([READER_WEIGHTS_DIR, odd], tmp_path / "soup")
    with pytest.raises(ValueError, match="at least two"):
        soup([READER_WEIGHTS_DIR], tmp_path / "soup")
    with pytest.raises(ValueError, match="is one of the members"):  # it would overwrite a member it names
        soup([odd, READER_WEIGHTS_DIR], odd)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / WEIGHTS_FILE).write_bytes(b"not weights")
    for members in ([str(READER_WEIGHTS_DIR), str(odd)], [str(READER_WEIGHTS_DIR), str(tmp_path / "junk")],
                    [str(READER_WEIGHTS_DIR), str(tmp_path / "missing")]):
        with pytest.raises(SystemExit) as exc:
            main(["--out", str(tmp_path / "soup"), *members])
        assert str(exc.value).startswith("error: ") and "\n" not in str(exc.value)
    assert not (tmp_path / "soup").exists()


def test_the_soup_card_names_the_command_the_members_and_the_result(tmp_path):
    up = _shifted(tmp_path / "up", 0.5)
    target = soup([READER_WEIGHTS_DIR, up], tmp_path / "soup")
    card = (tmp_path / "soup" / "MODEL_CARD.md").read_text()
    assert f"python -m qa.training.soup --out {tmp_path / 'soup'} {READER_WEIGHTS_DIR} {up}" in card
    assert f"sha256: `{sha256_file(target)}`" in card
    for member in (READER_WEIGHTS_DIR, up):
        assert f"`{sha256_file(member / WEIGHTS_FILE)}`" in card
    # each member's own training commands, from its metadata
    history = json.loads(weights_metadata(SHIPPED)["history"])
    assert history["commands"][-1] in card


def test_the_soup_card_says_which_member_is_itself_a_soup_and_which_began_from_another_reader(tmp_path):
    plain = [_shifted(tmp_path / name, shift, souped_from=None, started_from=None)
             for name, shift in (("a", 0.1), ("b", -0.1))]
    inner = soup(plain, tmp_path / "inner")
    inner_sha = sha256_file(inner)
    continued = _shifted(tmp_path / "continued", 0.2, souped_from=None,
                         started_from=f"reader.safetensors sha256 {inner_sha} (547660 examples seen)")
    soup([tmp_path / "inner", continued], tmp_path / "outer")
    card = (tmp_path / "outer" / "MODEL_CARD.md").read_text()
    inner_part, continued_part = card.split("### Member 2")
    assert "Itself a soup of 2 readers" in inner_part and "Started" not in inner_part
    for member in plain:
        assert f"`{sha256_file(member / WEIGHTS_FILE)[:16]}…`" in inner_part
    assert f"Started (`--init-from`) from reader.safetensors sha256 {inner_sha}" in continued_part
    assert "Itself a soup" not in continued_part
    # plain members get neither note
    flat = (tmp_path / "inner" / "MODEL_CARD.md").read_text()
    assert "Itself a soup" not in flat and "Started (`--init-from`)" not in flat
