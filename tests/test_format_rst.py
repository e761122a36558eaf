"""reStructuredText: what Sphinx shows as reading text, every character mapped back into the file."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embeddings.formats import FormatError, Parsed
from embeddings.formats import parse as parse_any

DOC = """\
:orphan:
:author: Ada Lovelace
:date: 2024-03-05

.. _config:

Configuration
=============

Flask reads its **configuration** from :attr:`~flask.Flask.config`, see
:ref:`the tutorial <tutorial>` and `the manual <https://example.com/manual>`_.
An escaped \\*star\\* stays.

.. toctree::
   :maxdepth: 2

   quickstart

.. note::
   Do not reveal the secret key.

Builtin values
--------------

.. py:data:: SECRET_KEY

   A secret key used to sign the session cookie.

   Default: ``None``

   .. versionadded:: 2.3
      Read from the environment.

- first item
- second item with *emphasis*
  continued

Example::

    app.config["TESTING"] = True
      indented

.. code-block:: python
   :emphasize-lines: 1
   :caption: app.py

   import flask

.. image:: logo.png
   :alt: The logo

.. autoclass:: flask.Flask
   :members:

.. tabs::

   .. group-tab:: Linux

      Run the Linux script.

TIMEOUT
   How long to wait, in seconds.

.. comment that is never read

.. |name| replace:: Flask
"""

EXPECTED = [
    ("text", ("Configuration",),
     "Flask reads its configuration from config, see\nthe tutorial and the manual.\nAn escaped *star* stays."),
    ("text", ("Configuration",), "Do not reveal the secret key."),
    ("code", ("Configuration", "Builtin values"), "SECRET_KEY"),
    ("text", ("Configuration", "Builtin values", "SECRET_KEY"), "A secret key used to sign the session cookie."),
    ("text", ("Configuration", "Builtin values", "SECRET_KEY"), "Default: None"),
    ("text", ("Configuration", "Builtin values", "SECRET_KEY"), "New in version 2.3. Read from the environment."),
    ("text", ("Configuration", "Builtin values"), "first item"),
    ("text", ("Configuration", "Builtin values"), "second item with emphasis\ncontinued"),
    ("text", ("Configuration", "Builtin values"), "Example:"),
    ("code", ("Configuration", "Builtin values"), 'app.config["TESTING"] = True\n  indented'),
    ("code", ("Configuration", "Builtin values"), "import flask"),
    ("text", ("Configuration", "Builtin values", "Linux"), "Run the Linux script."),
    ("text", ("Configuration", "Builtin values"), "TIMEOUT\nHow long to wait, in seconds."),
]


def _parse(source: str, name: str = "doc.rst") -> Parsed:
    return parse_any(Path(name), source.encode("utf-8"))


def _blocks(p: Parsed) -> list[tuple[str, tuple[str, ...], str]]:
    return [(b.kind, b.section, p.text[b.start : b.end]) for b in p.blocks]


def _check_runs(p: Parsed) -> None:
    """Every mapped character equals its source character, unless mapped as a unit:
    an escape (its backslash and character) or white space (a line break and the indentation after it)."""
    assert p.source is not None and p.source_map is not None
    for t0, tl, s0, sl in p.source_map.runs:
        assert 0 <= s0 and s0 + sl <= len(p.source) and t0 + tl <= len(p.text)
        if tl == sl:
            assert p.text[t0 : t0 + tl] == p.source[s0 : s0 + sl]
        else:
            unit = p.source[s0 : s0 + sl]
            assert (unit[:1] == "\\" and p.text[t0 : t0 + tl] == unit[1:]) or (
                not unit.strip() and not p.text[t0 : t0 + tl].strip()), (unit, p.text[t0 : t0 + tl])


def _cite(p: Parsed, phrase: str) -> str:
    at = p.text.index(phrase)
    s, e = p.source_map.to_source(at, at + len(phrase))
    return p.source[s:e]


def test_a_sphinx_page_reads_as_it_renders():
    p = _parse(DOC)
    assert _blocks(p) == EXPECTED
    _check_runs(p)
    assert p.title == "Configuration"
    assert p.metadata == {"author": "Ada Lovelace"} and p.date == "2024-03-05"
    for markup in (":attr:", "~flask", "<tutorial>", "https://", "**", "``", "toctree", "maxdepth", "quickstart",
                   "orphan", "autoclass", ":members:", "comment", "replace", "code-block", "group-tab", "_config",
                   "emphasize", "app.py", "logo"):
        assert markup not in p.text, markup


def test_citations_point_at_the_words_in_the_file():
    p = _parse(DOC)
    assert _cite(p, "configuration") == "configuration"
    assert _cite(p, "config, see") == "config`, see"  # the role's visible word, then the text after its markup
    assert _cite(p, "the tutorial") == "the tutorial"
    assert _cite(p, "*star*") == "\\*star\\*"
    assert _cite(p, "Default: None") == "Default: ``None"
    assert _cite(p, "second item with emphasis\ncontinued") == "second item with *emphasis*\n  continued"
    # "New in version" is the parser's: no citation can point at it alone, the version can
    new = p.text.index("New in version")
    assert p.source_map.to_source(new, new + len("New in version")) is None
    assert _cite(p, "2.3") == "2.3"


def test_nothing_is_read_from_another_file_and_raw_markup_is_not_read(tmp_path):
    (tmp_path / "secret.txt").write_text("the launch code is 0000", encoding="utf-8")
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n=====\n\n.. include:: secret.txt\n\n.. literalinclude:: secret.txt\n\n"
        ".. raw:: html\n\n   <script>alert(1)</script>\n\n.. csv-table::\n   :file: secret.txt\n\nVisible text.\n",
        encoding="utf-8",
    )
    p = parse_any(page, page.read_bytes())
    assert _blocks(p) == [("text", ("Title",), "Visible text.")]


def test_tables_read_as_sentences_naming_row_and_column():
    src = """\
+----------+-------+---------------+
| Name     | Type  | Default       |
+==========+=======+===============+
| timeout  | float | 30 seconds,   |
|          |       | or ``None``   |
+----------+-------+---------------+
| retries  | int   | 3             |
+----------+-------+---------------+

.. list-table:: Limits
   :header-rows: 1

   * - Limit
     - Value
   * - uploads
     - 16 MB

==========  ==================================
``string``  accepts any text without a slash
``int``     accepts positive integers
==========  ==================================
"""
    p = _parse(src)
    assert _blocks(p) == [
        ("table", (), "The Type of timeout is float. The Default of timeout is 30 seconds, or None."),
        ("table", (), "The Type of retries is int. The Default of retries is 3."),
        ("table", (), "The Value of uploads is 16 MB."),
        ("text", (), "Limits"),
        ("table", (), "string: accepts any text without a slash."),
        ("table", (), "int: accepts positive integers."),
    ]
    _check_runs(p)
    # a grid cell's second line comes after its neighbours' first lines, and is still found
    assert _cite(p, "or None") == "or ``None"
    assert _cite(p, "16 MB") == "16 MB"


def test_sphinx_roles_read_as_sphinx_shows_them():
    p = _parse("Use :func:`~flask.send_file`, :class:`Response <requests.Response>`, :meth:`!skip.me`, "
               ":py:func:`json.dumps` and :doc:`quickstart`.\n")
    assert p.text == "Use send_file, Response, skip.me, json.dumps and quickstart."
    _check_runs(p)


def test_api_objects_and_version_notes():
    src = """\
API
===

.. function:: get(url, params=None, **kwargs)
              head(url)

   Sends a GET request.

   :param url: URL for the new request.
   :returns: a Response.

.. deprecated:: 3.0 Use ``fetch`` instead.

.. versionchanged:: 2.1
"""
    p = _parse(src)
    assert _blocks(p) == [
        ("code", ("API",), "get(url, params=None, **kwargs)\nhead(url)"),
        ("text", ("API", "get"), "Sends a GET request."),
        ("text", ("API", "get"), "param url: URL for the new request."),
        ("text", ("API", "get"), "returns: a Response."),
        ("text", ("API",), "Deprecated since version 3.0. Use fetch instead."),
        ("text", ("API",), "Changed in version 2.1."),
    ]
    _check_runs(p)


def test_crlf_and_bom_files_read_back_exactly(tmp_path):
    path = tmp_path / "win.rst"
    path.write_bytes("\ufeffTitle\r\n=====\r\n\r\nOne ``two``\r\n  three.\r\n".encode("utf-8"))
    p = parse_any(path, path.read_bytes())
    assert p.source == path.read_text(encoding="utf-8")
    assert _blocks(p) == [("text", ("Title",), "One two\nthree.")]
    _check_runs(p)


def test_unreadable_bytes_raise_format_error():
    with pytest.raises(FormatError):
        parse_any(Path("bad.rst"), b"\xff\xfe\x00bad")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="*_`:.|[]<>\\-=+#~ \n\taé1", max_size=120))
def test_any_rst_like_text_reads(src):
    p = _parse(src)
    assert p.source == src
    _check_runs(p)
    for block in p.blocks:
        assert p.text[block.start : block.end].strip()


_WORDS = st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "x1", "é"]), min_size=1, max_size=5).map(" ".join)


@st.composite
def _inline(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        words = draw(_WORDS)
        parts.append(draw(st.sampled_from([
            words, f"**{words}**", f"*{words}*", f"``{words}``", f"`{words} <https://e.com/{words.split()[0]}>`_",
            f":func:`~pkg.{words.split()[0]}`", f":ref:`{words} <lbl>`", f"\\*{words}", words + "\n" + words,
        ])))
    return " ".join(parts)


@st.composite
def _document(draw) -> str:
    blocks = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["para", "title", "list", "code", "note", "version", "object", "deflist"]))
        text = draw(_inline())
        if kind == "title":
            title = draw(_WORDS)
            blocks.append(f"{title}\n{draw(st.sampled_from('=-~')) * len(title)}")
        elif kind == "list":
            blocks.append("\n".join(f"- {line}" for line in text.split("\n")))
        elif kind == "code":
            blocks.append(".. code-block:: python\n\n   " + text.replace("\n", "\n   "))
        elif kind == "note":
            blocks.append(".. note::\n\n   " + text.replace("\n", "\n   "))
        elif kind == "version":
            blocks.append(".. versionadded:: 1.2\n   " + text.replace("\n", "\n   "))
        elif kind == "object":
            blocks.append(f".. py:data:: {draw(_WORDS).split()[0].upper()}\n\n   " + text.replace("\n", "\n   "))
        elif kind == "deflist":
            blocks.append(f"{draw(_WORDS)}\n   " + text.replace("\n", "\n   "))
        else:
            blocks.append(text)
    return "\n\n".join(blocks) + "\n"


_WORD = re.compile(r"[^\W_]+")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_document(), cuts=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=6))
def test_offsets_invariant_on_generated_rst(doc, cuts):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gen.rst"
        path.write_bytes(doc.encode("utf-8"))
        p = parse_any(path, path.read_bytes())
        assert path.read_text(encoding="utf-8") == p.source
    _check_runs(p)
    mapped = {t for t0, tl, _, _ in p.source_map.runs for t in range(t0, t0 + tl)}
    for block in p.blocks:
        body = p.text[block.start : block.end]
        if block.kind != "code":
            for bad in ("**", "``", ":func:", "https://", "<lbl>", "versionadded", "py:data"):
                assert bad not in body, (bad, body)
        for x, y in cuts:
            lo, hi = sorted((block.start + int(x * (block.end - block.start)),
                             block.start + int(y * (block.end - block.start))))
            cited = p.source_map.to_source(lo, hi)
            if cited is None:
                continue
            at, source = 0, p.source[cited[0] : cited[1]]
            for match in _WORD.finditer(p.text, lo, hi):  # the words read are the cited words, in order
                word = match.group()
                if not all(t in mapped for t in range(match.start(), match.end())):
                    continue  # words the parser inserted ("New in version")
                found = source.find(word, at)
                assert found >= 0, (word, p.text[lo:hi], source)
                at = found + len(word)
