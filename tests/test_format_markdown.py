"""Markdown: visible words only as reading text, every character mapped back into the file."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embeddings.formats import FormatError, Parsed
from embeddings.formats import parse as parse_any
from embeddings.formats.markdown import parse, read_front_matter

DOC = """\
---
title: "Worker Guide"
date: 2024-03-05T10:00:00
authors:
  - Ada Lovelace
  - Grace Hopper
tags: [workers, threads]
---
# Guide

Intro with **bold** text, `inline code`, a [link](https://example.com/docs "Docs") and \
![diagram](img/diagram.png) plus &lt;tag&gt; &amp; <img width="762"> html.
Second line.

## Workers

- first item
- second *item* with a [ref link][r1]
  continued

### Thread workers

| Name | Type | Default |
|------|------|---------|
| password | bool | False |
| `timeout` | int | 30 |

```python
def run():
    return 1
```

    indented code
      more

<div class="note">
hidden html block
</div>

> quoted **text**

## The `App` class

Final words.

[r1]: https://example.org/ref
"""

EXPECTED_BLOCKS = [
    ("text", ("Guide",), "Intro with bold text, inline code, a link and plus <tag> & html.\nSecond line."),
    ("text", ("Guide", "Workers"), "first item"),
    ("text", ("Guide", "Workers"), "second item with a ref link\ncontinued"),
    ("table", ("Guide", "Workers", "Thread workers"),
     "The Type of password is bool. The Default of password is False."),
    ("table", ("Guide", "Workers", "Thread workers"), "The Type of timeout is int. The Default of timeout is 30."),
    ("code", ("Guide", "Workers", "Thread workers"), "def run():\n    return 1"),
    ("code", ("Guide", "Workers", "Thread workers"), "indented code\n  more"),
    ("text", ("Guide", "Workers", "Thread workers"), "quoted text"),
    ("text", ("Guide", "The App class"), "Final words."),
]


def _parse(source: str, name: str = "doc.md") -> Parsed:
    return parse(Path(name), source.encode("utf-8"))


def _blocks(p: Parsed) -> list[tuple[str, tuple[str, ...], str]]:
    return [(b.kind, b.section, p.text[b.start : b.end]) for b in p.blocks]


def _check_runs(p: Parsed) -> None:
    """Every mapped character equals its source character, unless mapped as a unit."""
    assert p.source is not None and p.source_map is not None
    for t0, tl, s0, sl in p.source_map.runs:
        assert 0 <= s0 and s0 + sl <= len(p.source) and t0 + tl <= len(p.text)
        if tl == sl:
            assert p.text[t0 : t0 + tl] == p.source[s0 : s0 + sl]
        else:  # an entity or an escape: markup in the source
            assert p.source[s0 : s0 + sl][:1] in ("&", "\\")


def test_realistic_document():
    p = _parse(DOC)
    assert p.source == DOC
    assert _blocks(p) == EXPECTED_BLOCKS
    assert p.title == "Worker Guide"
    assert p.date == "2024-03-05"
    assert p.metadata == {"authors": "Ada Lovelace, Grace Hopper", "tags": "workers, threads"}
    for bad in ("**", "`", "](", "<img", "&lt;", "&amp;", "762", "title:", "authors", "tags:",
                "Ada", "Lovelace", "Hopper", "https", "diagram", "hidden", "python", "```", "r1", "|"):
        assert bad not in p.text, bad
    _check_runs(p)
    # each block's source range starts and ends on its own words
    for b in p.blocks:
        s, e = p.source_map.to_source(b.start, b.end)
        assert p.source[s] == p.text[b.start] or p.text[b.start] in "<&"
    # the entity reads as its character, cited as the whole entity
    lt = p.text.index("<tag>")
    s, e = p.source_map.to_source(lt, lt + 1)
    assert p.source[s:e] == "&lt;"
    # a soft line break is the file's own newline
    nl = p.text.index("\nSecond")
    s, e = p.source_map.to_source(nl, nl + len("\nSecond"))
    assert p.source[s:e] == "\nSecond"
    # the link text maps to the link text, never into the URL
    link = p.text.index("a link") + 2
    s, e = p.source_map.to_source(link, link + 4)
    assert p.source[s:e] == "link" and p.source[e : e + 2] == "]("


def _inserted_runs(p: Parsed, start: int, end: int) -> list[str]:
    """The maximal runs of text[start:end] that map nowhere (the parser's own words)."""
    runs, current = [], ""
    for t in range(start, end):
        if p.source_map.to_source(t, t + 1) is None:
            current += p.text[t]
        elif current:
            runs.append(current)
            current = ""
    return runs + ([current] if current else [])


def test_table_row_cells_map_to_the_row_and_header_words_to_the_header():
    p = _parse(DOC)
    row = next(b for b in p.blocks if p.text[b.start : b.end].endswith("False."))
    line_start = DOC.index("| password | bool | False |")
    header_start = DOC.index("| Name | Type | Default |")
    # the value maps to the row's own cell
    at = p.text.index("False", row.start)
    s, e = p.source_map.to_source(at, at + 5)
    assert (s, e) == (DOC.index("False", line_start), DOC.index("False", line_start) + 5)
    # the key, repeated in each sentence, maps to the key cell every time
    keys = [m.start() for m in re.finditer("password", p.text[row.start : row.end])]
    assert len(keys) == 2
    for k in keys:
        s, e = p.source_map.to_source(row.start + k, row.start + k + len("password"))
        assert (s, e) == (DOC.index("password", line_start), DOC.index("password", line_start) + len("password"))
    # header words map to the header row
    for word, offset in (("Type", len("| Name | ")), ("Default", len("| Name | Type | "))):
        at = p.text.index(word, row.start)
        s, e = p.source_map.to_source(at, at + len(word))
        assert p.source[s:e] == word and s == header_start + offset
    # the joining words map nowhere, and they are all the parser added
    for word in ("The ", " of ", " is "):
        at = p.text.index(word, row.start)
        assert p.source_map.to_source(at, at + len(word)) is None
    assert _inserted_runs(p, row.start, row.end) == ["The ", " of ", " is ", ". The ", " of ", " is ", "."]
    # the whole row is cited from the header's first word used to the row's last value
    s, e = p.source_map.to_source(row.start, row.end)
    assert (s, e) == (header_start + len("| Name | "), DOC.index("False", line_start) + 5)


def test_table_row_sentences_edge_cases():
    src = (
        "| Key | Type | | Note |\n"
        "|-----|------|-|------|\n"
        "| password | bool | plain | Set it first. |\n"  # no header word: "key: value"
        "| `port` | **int** |  | Ask \"why?\" |\n"  # markup in key and value; punctuation before a quote
        "| host |  |  |  |\n"  # only the key
        "|  | float |  | Wait! |\n"  # no key
        "| retries | Int &amp; more | | |\n"  # values verbatim (case, entity)
    )
    p = _parse(src)
    assert [t for _, _, t in _blocks(p)] == [
        "The Type of password is bool. password: plain. The Note of password is Set it first.",
        'The Type of port is int. The Note of port is Ask "why?"',
        "host",
        "The Type is float. The Note is Wait!",
        "The Type of retries is Int & more.",
    ]
    assert all(b.kind == "table" for b in p.blocks)
    _check_runs(p)
    allowed = {"The ", " of ", " is ", ".", ". The ", " The ", ": ", ". ", " "}
    for b in p.blocks:
        assert set(_inserted_runs(p, b.start, b.end)) <= allowed, p.text[b.start : b.end]
    # the key written in a code span is cited as the code span's text, both times
    row = p.blocks[1]
    for m in re.finditer("port", p.text[row.start : row.end]):
        s, e = p.source_map.to_source(row.start + m.start(), row.start + m.end())
        assert p.source[s - 1 : e + 1] == "`port`"
    # a one-column table is its cells' text; a header without rows its words
    one = _parse("| Name |\n|---|\n| alpha |\n| beta |\n")
    assert [t for _, _, t in _blocks(one)] == ["alpha", "beta"]
    head_only = _parse("| Name | Type |\n|---|---|\n")
    assert [t for _, _, t in _blocks(head_only)] == ["Name; Type"]


def test_crlf_and_bom_files_read_back_exactly(tmp_path):
    data = ("\ufeff" + DOC.replace("\n", "\r\n")).encode("utf-8")
    path = tmp_path / "guide.md"
    path.write_bytes(data)
    p = parse_any(path, path.read_bytes())
    assert p.source == path.read_text(encoding="utf-8")
    assert p.source.startswith("\ufeff")
    assert _blocks(p) == EXPECTED_BLOCKS
    assert p.title == "Worker Guide" and p.date == "2024-03-05"
    _check_runs(p)
    # CRLF, a lone CR and LF mixed in one file
    mixed = tmp_path / "mixed.markdown"
    mixed.write_bytes(("\ufeff# Title\r\n\r\nBody **bold**\rline\n").encode("utf-8"))
    q = parse_any(mixed, mixed.read_bytes())
    assert q.source == mixed.read_text(encoding="utf-8")
    assert _blocks(q) == [("text", ("Title",), "Body bold\nline")]
    assert q.title == "Title"


def test_headings_nest_by_level_and_first_h1_is_the_title():
    src = (
        "Intro before any heading.\n\n# Top *one*\n\n## A\n\ntext a\n\n#### Deep\n\ntext deep\n\n"
        "### B &amp; C\n\ntext b\n\n## D\n\ntext d\n\n# Second top\n\ntext e\n\nSetext\n---\n\ntext f\n"
    )
    p = _parse(src)
    assert p.title == "Top one"
    assert _blocks(p) == [
        ("text", (), "Intro before any heading."),
        ("text", ("Top one", "A"), "text a"),
        ("text", ("Top one", "A", "Deep"), "text deep"),
        ("text", ("Top one", "A", "B & C"), "text b"),
        ("text", ("Top one", "D"), "text d"),
        ("text", ("Second top",), "text e"),
        ("text", ("Second top", "Setext"), "text f"),
    ]
    assert _parse("no heading here\n").title is None
    assert _parse("## only h2\n\nx\n").title is None


def test_date_line_convention_and_front_matter_forms():
    p = _parse("date 2023-12-31\nFirst words.\n\n# Head\n")
    assert p.date == "2023-12-31" and _blocks(p) == [("text", (), "First words.")]
    assert "date" not in p.text and "2023" not in p.text
    p = _parse("---\ntitle: Only front matter\nauthor: Jane Doe\n---\n")
    assert (p.text, p.blocks, p.title, p.metadata) == ("", (), "Only front matter", {"author": "Jane Doe"})
    p = _parse("---\ndate: not a date\ntags: one, two\n...\nbody\n")
    assert p.date is None and p.metadata == {"tags": "one, two"} and p.text == "body"


def test_front_matter_reader_is_forgiving():
    values = read_front_matter(
        "# a comment\n"
        "title: 'It''s \"here\"'  \n"
        "subtitle: plain # trailing comment\n"
        "description: >\n  folded\n  text\n"
        "authors:\n  - name: Ada\n    email: a@x\n  - \"Grace\"\n  -\n"
        "tags: [\"a, b\", c , ]\n"
        "empty:\n"
        "nonsense line without colon\n"
        "  - orphan item\n"
        "{weird: [\n"
        "date: 2020-01-02\n"
        "Title Case: x\n"
    )
    assert values["title"] == "It's \"here\""
    assert values["subtitle"] == "plain"
    assert values["description"] == "folded text"
    assert values["authors"] == ["Ada", "Grace"]
    assert values["tags"] == ["a, b", "c"]
    assert values["empty"] == []
    assert values["date"] == "2020-01-02"
    assert values["title case"] == "x"
    for odd in ("", "---", ":", "- a\n- b", "a: [", "a: 'unclosed", "\t\tx: y", "a:\n  b: c\n  - d"):
        read_front_matter(odd)  # never raises


def test_lists_blockquotes_and_inline_markup():
    src = (
        "1. one **two** three\n"
        "2. item with two paragraphs\n\n"
        "   second paragraph\n"
        "   - nested *deep*\n"
        "3. ![only an image](x.png)\n\n"
        "> quote line one\n> quote `line` two\n>\n> quote para two\n\n"
        "Escapes \\*not bold\\* and \\[x\\] and a\\\nhard break, trailing  \nhard, <b>raw</b> &copy;\n\n"
        "<http://example.com/a> and [x][] and [x] and [y](</a b> 'title') and <!-- note --> z\n\n"
        "[x]: /url\n"
    )
    p = _parse(src)
    assert _blocks(p) == [
        ("text", (), "one two three"),
        ("text", (), "item with two paragraphs\nsecond paragraph"),
        ("text", (), "nested deep"),
        ("text", (), "quote line one\nquote line two"),
        ("text", (), "quote para two"),
        ("text", (), "Escapes *not bold* and [x] and a\nhard break, trailing\nhard, raw ©"),
        ("text", (), "http://example.com/a and x and x and y and z"),
    ]
    _check_runs(p)
    star = p.text.index("*not")
    s, e = p.source_map.to_source(star, star + 1)
    assert p.source[s:e] == "\\*"
    assert "title" not in p.text and "/url" not in p.text and "note" not in p.text


def test_code_blocks_are_verbatim():
    src = (
        "~~~\n  keep  *stars* `ticks` &amp;\n\n\ttab\n~~~\n\n"
        "- item\n\n  ```sh\n  $ run --x\n  ```\n\nafter\n\n\tindented\n"
    )
    p = _parse(src)
    assert _blocks(p) == [
        ("code", (), "keep  *stars* `ticks` &amp;\n\n\ttab"),
        ("text", (), "item"),
        ("code", (), "$ run --x"),
        ("text", (), "after"),
        ("code", (), "indented"),
    ]
    _check_runs(p)
    code = p.blocks[0]
    s, e = p.source_map.to_source(code.start, code.end)
    assert p.source[s:e] == p.text[code.start : code.end]


MKDOCS = """# Installation { #install }

Pick an installer.

!!! note "Supported *versions*"

    uv needs **Python 3.8** or newer.

    ```console
    $ uv python install
    ```

=== "macOS and Linux"

    Use `curl` to fetch the script.

=== "Windows"

    Use PowerShell to fetch the script.

    !!! tip

        Run it as an *administrator*.

??? warning "Slow networks"
    Downloads retry three times.

/// tip | Pin `uv`
    type: tip

Pin the version in CI.

///

/// tab | Docker
Use the image.
///

::: uv.cache.Cache
    options:
      members:
        - clean

::: uv_build
    options:
      show_source: false

--8<-- "snippets/footer.md"

--8<--
snippets/a.md
snippets/b.md
--8<--

Four-space code still reads as code:

    not prose
"""


def test_mkdocs_admonitions_and_tabs_are_prose_under_their_labels():
    """Admonition and tab bodies are indented four columns: CommonMark alone reads them as code,
    and code answers only questions about code."""
    p = _parse(MKDOCS)
    assert _blocks(p) == [
        ("text", ("Installation",), "Pick an installer."),
        ("text", ("Installation",), "Supported versions"),
        ("text", ("Installation",), "uv needs Python 3.8 or newer."),
        ("code", ("Installation",), "$ uv python install"),
        ("text", ("Installation", "macOS and Linux"), "Use curl to fetch the script."),
        ("text", ("Installation", "Windows"), "Use PowerShell to fetch the script."),
        ("text", ("Installation", "Windows"), "Run it as an administrator."),
        ("text", ("Installation",), "Slow networks"),
        ("text", ("Installation",), "Downloads retry three times."),
        ("text", ("Installation",), "Pin uv"),
        ("text", ("Installation",), "Pin the version in CI."),
        ("text", ("Installation", "Docker"), "Use the image."),
        ("text", ("Installation",), "Four-space code still reads as code:"),
        ("code", ("Installation",), "not prose"),
    ]
    _check_runs(p)
    # an admonition's type and a snippet's target are markup, not words of the document
    for markup in ("!!!", "???", "===", "note", "tip", "warning", "--8<--", "snippets", "#install", "///", "type:", "Cache", "uv_build", "members"):
        assert markup not in p.text, markup
    # the body's words cite their own place in the file
    at = p.text.index("3.8")
    s, e = p.source_map.to_source(at, at + 3)
    assert p.source[s:e] == "3.8" and p.source.rfind("\n", 0, s) == p.source.index("\n    uv needs")
    title = p.text.index("Supported versions")
    s, e = p.source_map.to_source(title, title + len("Supported versions"))
    assert p.source[s - 1] == '"' and p.source[s:e] == "Supported *versions"  # first to last visible character


MYST = """(usage)=
# Usage

% a comment for the authors

```{note}
MyST notes are prose.
```

:::{admonition} Custom `title`
:class: tip

Body of the custom admonition.
:::

````{tab-set}
```{tab-item} Linux
Run the Linux script.
```
```{tab-item} Windows
Run the Windows script.
```
````

```{versionadded} 2.1
The `--fast` flag.
```

```{code-block} python
x = 1
```

::: warning
A Pandoc div.
:::

- item with a note:

  ```{tip}
  Nested tip text.
  ```

```{toctree}
:maxdepth: 2
intro
```

See {ref}`the guide <guides/start>`, the {term}`lock file` and {py:func}`~pkg.run`. {octicon}`plug;1em` Done.
"""


def test_myst_directives_are_prose_and_code_blocks_stay_code():
    p = _parse(MYST)
    assert _blocks(p) == [
        ("text", ("Usage",), "MyST notes are prose."),
        ("text", ("Usage",), "Custom title"),
        ("text", ("Usage",), "Body of the custom admonition."),
        ("text", ("Usage", "Linux"), "Run the Linux script."),
        ("text", ("Usage", "Windows"), "Run the Windows script."),
        ("text", ("Usage",), "New in version 2.1."),
        ("text", ("Usage",), "The --fast flag."),
        ("code", ("Usage",), "x = 1"),
        ("text", ("Usage",), "A Pandoc div."),
        ("text", ("Usage",), "item with a note:"),
        ("text", ("Usage",), "Nested tip text."),
        ("text", ("Usage",), "See the guide, the lock file and run. Done."),
    ]
    _check_runs(p)
    for markup in ("```", ":::", "{note}", ":class:", "maxdepth", "intro", "tab-set", "{term}", "octicon", "guides/",
                   "(usage)=", "comment"):
        assert markup not in p.text, markup
    version = p.text.index("2.1")
    assert p.source_map.to_source(version, version + 3) == (MYST.index("2.1"), MYST.index("2.1") + 3)
    # "New in version" is the parser's: no citation can point at it alone
    new = p.text.index("New in version")
    assert p.source_map.to_source(new, new + len("New in version")) is None


def test_a_definition_list_reads_each_term_with_its_definition():
    src = "# Options\n\ncolon_fence\n: Enable `:::` fences.\n  Continued.\n\n    Second paragraph.\n\nTerm *two*\n:   Another.\n"
    p = _parse(src)
    assert _blocks(p) == [
        ("text", ("Options",), "colon_fence\nEnable ::: fences.\nContinued.\nSecond paragraph."),
        ("text", ("Options",), "Term two\nAnother."),
    ]
    _check_runs(p)
    two = p.text.index("two")
    assert p.source_map.to_source(two, two + 3) == (src.index("two"), src.index("two") + 3)


def test_a_percent_line_is_a_comment_only_in_a_myst_document():
    assert _blocks(_parse("# Poll\n\n% of users said yes.\n")) == [("text", ("Poll",), "% of users said yes.")]


def test_github_alerts_read_as_their_text_without_the_marker():
    src = "> [!NOTE]\n> Useful information.\n\n> [!WARNING]\n> Critical content.\n\n> [!NOTE] is a marker only alone.\n"
    p = _parse(src)
    assert _blocks(p) == [
        ("text", (), "Useful information."),
        ("text", (), "Critical content."),
        ("text", (), "[!NOTE] is a marker only alone."),
    ]
    _check_runs(p)


def test_mkdocs_markers_inside_code_and_prose_stay_as_written():
    src = 'Type `=== "x"` or !!! here.\n\n```md\n!!! note "Kept"\n    body\n=== "Tab"\n```\n'
    assert _blocks(_parse(src)) == [
        ("text", (), 'Type === "x" or !!! here.'),
        ("code", (), '!!! note "Kept"\n    body\n=== "Tab"'),
    ]


@pytest.mark.parametrize(
    "src",
    [
        "```python\nunclosed fence\n\nmore",
        "---\ntitle: no closing\n\nbody text",
        "---\n",
        "---",
        "---\ntitle: x\n---",
        "",
        "\ufeff",
        "   \n\n\t\n",
        "| a |\n|---|\n| b | c | d |\n|\n",
        "[unclosed](link\n\n![img](",
        "<div>\nunclosed html",
        "`unclosed code\n\n**unclosed bold",
        "> > > > > " * 50 + "deep",
        "- " * 200 + "deep list",
        "[" * 300 + "x" + "]" * 300,
        "&#0; &#xFFFFFF; &bogus; \\",
        "# \n##\n###### x ######\n####### not heading",
    ],
)
def test_malformed_markdown_reads_without_error(src):
    p = _parse(src)
    assert p.source == src
    _check_runs(p)


def test_unreadable_bytes_raise_format_error():
    with pytest.raises(FormatError):
        parse(Path("junk.md"), b"\x00\x01\x02\xff\xfe binary")
    with pytest.raises(FormatError):
        parse(Path("latin1.md"), "caf\xe9 menu".encode("latin-1"))


def test_unclosed_front_matter_is_read_as_text():
    p = _parse("---\ntitle: no closing\n\nbody text")
    assert p.title is None
    assert "body text" in p.text


# -- the offsets invariant, on generated Markdown ------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éüßçøΩλЖ日本語"
_word = st.text(alphabet=LETTERS, min_size=1, max_size=7)
_entity = st.sampled_from(["&amp;", "&lt;", "&gt;", "&quot;", "&copy;", "&nbsp;", "\\*", "\\_", "\\[", "\\#"])


@st.composite
def _piece(draw):
    w = draw(_word)
    form = draw(st.integers(0, 11))
    if form == 0:
        return f"**{w}**"
    if form == 1:
        return f"*{w}*"
    if form == 2:
        return f"`{w}`"
    if form == 3:
        return f"[{w}](http://x.org/{draw(_word)} \"{draw(_word)}\")"
    if form == 4:
        return f"![{draw(_word)}](img/{draw(_word)}.png)"
    if form == 5:
        return draw(_entity)
    if form == 6:
        return f'<span class="{draw(_word)}">{w}</span>'
    if form == 7:
        return f"_{w}_"
    return w


def _inline(draw, min_pieces=1, max_pieces=6) -> str:
    return " ".join(draw(st.lists(_piece(), min_size=min_pieces, max_size=max_pieces)))


@st.composite
def _block(draw):
    kind = draw(st.integers(0, 16))
    if kind == 0:
        return "#" * draw(st.integers(1, 4)) + " " + _inline(draw)
    if kind == 1:
        return "\n".join(f"- {_inline(draw)}" for _ in range(draw(st.integers(1, 3))))
    if kind == 2:
        cols = draw(st.integers(1, 3))
        rows = [f"| {' | '.join(_inline(draw, 1, 2) for _ in range(cols))} |" for _ in range(draw(st.integers(1, 3)))]
        header = f"| {' | '.join(draw(_word) for _ in range(cols))} |"
        return "\n".join([header, "|" + "---|" * cols, *rows])
    if kind == 3:
        lines = draw(st.lists(st.text(alphabet=LETTERS + " =()", min_size=0, max_size=12), max_size=3))
        return "```py\n" + "\n".join(lines) + "\n```"
    if kind == 4:
        return "    " + draw(_word) + " = " + draw(_word)
    if kind == 5:
        return "> " + _inline(draw)
    if kind == 6:
        return '<div class="x">\n' + draw(_word) + "\n</div>"
    if kind == 9:  # an admonition (MkDocs), titled or not, collapsible or not
        marker = draw(st.sampled_from(["!!!", "???", "???+"]))
        title = draw(st.sampled_from(["", f' "{draw(_word)} {draw(_word)}"', ' ""']))
        body = "\n".join("    " + _inline(draw) for _ in range(draw(st.integers(1, 3))))
        return f"{marker} {draw(st.sampled_from(['note', 'tip', 'warning']))}{title}\n{body}"
    if kind == 10:  # a content tab, prose and maybe code under it
        body = "    " + _inline(draw)
        if draw(st.booleans()):
            body += "\n\n    ```sh\n    " + draw(_word) + " --" + draw(_word) + "\n    ```"
        return f'=== "{draw(_word)}"\n\n{body}'
    if kind == 12:  # a MyST directive, prose or code, fenced with backticks or colons
        fence = draw(st.sampled_from(["```", ":::", "````"]))
        name = draw(st.sampled_from(["note", "admonition", "tab-item", "versionadded", "code-block", "toctree"]))
        argument = draw(st.sampled_from(["", f" {draw(_word)}", " 1.2"]))
        option = draw(st.sampled_from(["", ":class: tip\n"]))
        return f"{fence}{{{name}}}{argument}\n{option}{_inline(draw)}\n{fence}"
    if kind == 16:  # a definition list
        return f"{_inline(draw)}\n: {_inline(draw)}\n\n{draw(_word)}\n:   {_inline(draw)}"
    if kind == 15:  # a generic block (pymdownx.blocks)
        title = draw(st.sampled_from(["", f" | {draw(_word)}"]))
        return f"/// {draw(st.sampled_from(['note', 'tab', 'details']))}{title}\n\n{_inline(draw)}\n\n///"
    if kind == 14:  # MyST roles in a sentence
        role = draw(st.sampled_from(["{term}`w`", "{ref}`w <x/y>`", "{py:func}`~w`", "{octicon}`i;1em`"]))
        return f"{_inline(draw)} {role.replace('w', draw(_word))} {_inline(draw)}"
    if kind == 13:  # a Pandoc div
        return f"::: {draw(_word)}\n{_inline(draw)}\n:::"
    if kind == 11:  # a snippet include
        return draw(st.sampled_from(['--8<-- "snippets/a.md"', '--8<--\nsnippets/a.md\n--8<--']))
    return "\n".join(_inline(draw) for _ in range(draw(st.integers(1, 3))))


@st.composite
def _document(draw):
    parts = []
    if draw(st.booleans()):
        parts.append(f"---\ntitle: {draw(_word)}\ntags: [{draw(_word)}, {draw(_word)}]\n---")
    parts.extend(draw(st.lists(_block(), min_size=1, max_size=6)))
    text = "\n\n".join(parts) + draw(st.sampled_from(["", "\n"]))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


_WORD = re.compile(r"[^\W_]+")
_PLAIN = re.compile(r"[^\W_]+(?: [^\W_]+)*")


def _mapped_offsets(p: Parsed) -> set[int]:
    return {t for t0, tl, _, _ in p.source_map.runs for t in range(t0, t0 + tl)}


def _check_range(p: Parsed, a: int, b: int) -> None:
    s, e = p.source_map.to_source(a, b)
    piece, cited = p.text[a:b], p.source[s:e]
    at = 0
    for word in _WORD.findall(piece):
        found = cited.find(word, at)
        assert found >= 0, (word, piece, cited)
        at = found + len(word)
    if _PLAIN.fullmatch(cited):
        assert cited == piece


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_document(), cuts=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=8))
def test_offsets_invariant_on_generated_markdown(doc, cuts):
    data = doc.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gen.md"
        path.write_bytes(data)
        p = parse(path, path.read_bytes())
        assert path.read_text(encoding="utf-8") == p.source
    _check_runs(p)
    mapped = _mapped_offsets(p)
    for block in p.blocks:
        assert block.kind in ("text", "table", "code")
        body = p.text[block.start : block.end]
        if block.kind != "code":
            for bad in ("**", "`", "](", "<span", "&amp;", "&lt;", "http://", "img/"):
                assert bad not in body, (bad, body)
        # ranges made only of mapped characters: each block's runs and random cuts
        runs = []
        start = None
        for t in range(block.start, block.end + 1):
            if t < block.end and t in mapped:
                start = t if start is None else start
            elif start is not None:
                runs.append((start, t))
                start = None
        for a, b in runs:
            _check_range(p, a, b)
            for x, y in cuts:
                lo, hi = sorted((a + int(x * (b - a)), a + int(y * (b - a))))
                if hi > lo:
                    _check_range(p, lo, hi)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="*_`[]()!?<>&;#\\|-+=~: \"8\n\r\t\ufeffaé1", max_size=80))
def test_any_markdown_like_text_reads(src):
    p = _parse(src)
    assert p.source == src.replace("\r\n", "\n").replace("\r", "\n")
    _check_runs(p)
    for block in p.blocks:
        assert p.text[block.start : block.end].strip()
