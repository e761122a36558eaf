"""Markdown (markdown-it-py, CommonMark + tables): visible words as reading text, mapped back to the file.

``Parsed.source`` is the file's decoded text (exactly what ``read_text``
returns); ``Parsed.text`` is the *reading text*: what a person sees when the
Markdown is rendered, with every character placed in the source by the
builder's map.

* Front matter (``---`` … ``---`` or ``...`` at the top) is never read: its
  ``title``, ``date``, ``author``/``authors`` and ``tags`` become metadata. A
  first line ``date YYYY-MM-DD`` (the plain-text convention) is the date.
* Headings are no blocks: they make the section path of the blocks under
  them. The first H1 is the title when the front matter has none.
* Paragraphs, list items (one block per item) and block quotes are "text"
  blocks of their visible text: no emphasis markers, link targets, images,
  raw HTML; entities and backslash escapes become their character, mapped to
  the whole ``&lt;`` / ``\\*``; a soft line break is the newline of the file.
* A table body row is a "table" block of one sentence per cell, naming the
  row's first cell and the column's header: ``The Type of password is bool.
  The Default of password is False.`` (`embeddings.formats.tables.write_row`:
  cell text mapped to the row, header words to the header row, the joining
  words inserted). A table with a header and no body rows reads as its header
  words, joined by an inserted ``"; "``.
* Fenced and indented code blocks are "code" blocks of their lines, verbatim
  (no fences, no info string). HTML blocks and rules are not read.
* GitHub alerts (``> [!NOTE]``) read as the quote's text, without the marker.
* A definition list's term ("Term" then ``: definition``) opens the block
  its definition continues, as a list item's paragraphs do.
* MkDocs sites' extensions (`embeddings.formats.mkdocs`): an admonition's
  body is read as Markdown, its quoted title as a text block of its own; a
  content tab's body too, with its label after the headings in the section
  path (``Installation > Windows``); a generic block's (``/// tip | Title``)
  like a MyST directive's; snippet includes and mkdocstrings' API lines
  (``::: package.module``) are not read; a
  heading's attribute list (``{ #anchor }``) is not part of its name.
* MyST directives and Pandoc divs (`embeddings.formats.myst`): the body of
  ```` ```{note} ````, ``:::{admonition} Title``, ``::: warning`` is read as
  Markdown, a title as a text block, a ``tab-item``'s label into the section
  path, a ``versionadded 2.1`` as "New in version 2.1." (the words inserted);
  ```` ```{code-block} ```` stays code; ``toctree``, ``include``, ``image``
  are not read.

markdown-it gives line ranges for blocks but no offsets for inline pieces,
so each piece is found in the source inside its block's lines with a cursor
that only moves forward: text is matched exactly, escapes and entities by
their markup, code spans by their backtick runs, and after a link or image
the cursor skips its ``](target "title")`` / ``][ref]`` so no word is ever
matched inside a URL.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from markdown_it.helpers import parseLinkDestination, parseLinkTitle
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.myst_blocks import myst_block_plugin

from embeddings.formats import FormatError, Parsed, decode_text
from embeddings.formats.mkdocs import mkdocs_plugin
from embeddings.formats.myst import TABS, VERSIONS, myst_plugin, role_text
from embeddings.formats.tables import Cell, write_row
from embeddings.offsets import TextBuilder

#: The plain-text header convention: a first line ``date YYYY-MM-DD``.
_DATE_LINE = re.compile(r"\A(?:[ \t]*\n)*[ \t]*date[ \t]+(\d{4}-\d{2}-\d{2})[ \t]*(?=\n|\Z)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FM_COLON = re.compile(r":(?=[ \t]|$)")
_METADATA_KEYS = ("author", "authors", "tags")

# An op is how one piece of reading text is made:
#   ("v", start, end)        source[start:end] as is
#   ("m", text, start, end)  text standing for source[start:end] as a unit
#   ("i", text)              inserted text
Op = tuple
#: What makes a document MyST: a directive fence or a role.
_MYST = re.compile(r"^[ \t]*(?:`{3,}|:{3,})\{[\w:.-]+\}|\{[\w:+-]+\}`", re.MULTILINE)
#: A heading's attribute list (attr_list: ``## Install { #install .wide }``): markup, not its name.
_ATTR_LIST = re.compile(r"[ \t]*\{:?[ \t]*[#.][^{}]*\}[ \t]*\Z")
_BR = re.compile(r"<br\s*/?>\Z", re.IGNORECASE)
_MARKUP_ONLY = frozenset({"em_open", "em_close", "strong_open", "strong_close", "s_open", "s_close"})


@lru_cache(maxsize=2)
def _markdown(myst: bool = False) -> MarkdownIt:
    """The parser, built once per dialect (a parser holds no document's state). A MyST document
    also has line comments (``% note to self``), targets (``(label)=``) and block breaks (``+++``),
    none of them read; elsewhere a line may well begin with "%"."""
    md = (
        MarkdownIt("commonmark")
        .enable(["table", "strikethrough"])
        .use(front_matter_plugin)
        .use(mkdocs_plugin)
        .use(myst_plugin)
    )
    # keep escapes and entities as their own tokens, so each maps to its markup
    md.disable("text_join")
    # GitHub's alerts ("> [!NOTE]"): the marker is markup, the quote's text is read
    md.options["alerts"] = True
    # definition lists ("Term" then ": definition": MkDocs' def_list, MyST, Pandoc)
    md.use(deflist_plugin)
    if myst:
        md.use(myst_block_plugin)
    return md


def parse(path: Path, data: bytes) -> Parsed:
    source = decode_text(path, data)
    try:
        return parse_markdown(source)
    except RecursionError:
        raise FormatError(f"{path} is nested too deeply to read as Markdown") from None


def parse_markdown(source: str) -> Parsed:
    """Markdown text already decoded (``source`` is what citations index)."""
    bom = 1 if source.startswith("\ufeff") else 0
    md_input = source[bom:]
    date = None
    header = _DATE_LINE.match(md_input)
    if header:
        date = header.group(1)
        # blank the header line (and the blank lines above it), keeping every line where it is
        md_input = "\n" * header.group(0).count("\n") + md_input[header.end() :]
    env: dict = {}
    tokens = _markdown(myst=_MYST.search(md_input) is not None).parse(md_input, env)
    return _Reader(source, tokens, env, date).read()


class _Reader:
    def __init__(self, source: str, tokens: list, env: dict, date: str | None):
        self.source = source
        self.tokens = tokens
        self.refs = env.get("references", {}) or {}
        self.builder = TextBuilder(source)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.title: str | None = None
        self.date = date
        self.metadata: dict[str, str] = {}
        self.sections: list[tuple[int, str]] = []
        self.tabs: list[str] = []  # labels of the content tabs the reading is inside
        self.directives: list[bool] = []  # per open directive or generic block: whether it added a tab label
        self.h1: str | None = None

    # -- positions --------------------------------------------------------

    def _line_start(self, line: int) -> int:
        if line < len(self.line_starts):
            return self.line_starts[line]
        return len(self.source)

    def _opening_line(self, opening) -> tuple[int, int]:
        """Where a block's first line (an admonition's or directive's marker line) starts and ends."""
        start = self._line_start(opening.map[0])
        end = self.source.find("\n", start)
        return start, len(self.source) if end < 0 else end

    def _window(self, token) -> tuple[int, int]:
        if not token.map:
            return 0, len(self.source)
        return self._line_start(token.map[0]), self._line_start(token.map[1])

    # -- the document ---------------------------------------------------------

    def read(self) -> Parsed:
        tokens = self.tokens
        b = self.builder
        containers: list[tuple[str, int]] = []  # (type, token index)
        joined_item: int | tuple[str, int] | None = None  # list item (or term) whose text block is open
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            kind = tok.type
            if kind == "front_matter":
                self._front_matter(tok.content)
            elif kind == "heading_open":
                self._heading(tok, tokens[i + 1] if i + 1 < len(tokens) else None)
                joined_item = None
            elif kind == "paragraph_open" and i + 1 < len(tokens) and tokens[i + 1].type == "inline":
                inline = tokens[i + 1]
                ops = self._inline_block(inline)
                item = containers[-1][1] if containers and containers[-1][0] == "list_item" else None
                # a block only where there is something to read (an image alone is not)
                if _ops_text(self.source, ops).strip():
                    if item is not None and joined_item == item:
                        b.inserted("\n")
                    else:
                        b.begin("text", self._section())
                        joined_item = item
                    self._apply(ops)
                i += 2
                continue
            elif kind == "dt_open" and i + 1 < len(tokens) and tokens[i + 1].type == "inline":
                # a definition list's term opens the block its definition continues
                ops = self._term(tok, tokens[i + 1])
                joined_item = None
                if _ops_text(self.source, ops).strip():
                    b.begin("text", self._section())
                    self._apply(ops)
                    joined_item = ("term", i)
                i += 2
                continue
            elif kind == "dd_open":
                term_open = joined_item is not None and joined_item[0] == "term"
                containers.append(("list_item", i))
                joined_item = i if term_open else None
            elif kind == "dd_close":
                if containers:
                    containers.pop()
                joined_item = None
            elif kind in ("list_item_open", "blockquote_open", "admonition_open"):
                containers.append((kind[:-5], i))
                joined_item = None
            elif kind in ("list_item_close", "blockquote_close", "admonition_close"):
                if containers:
                    containers.pop()
                joined_item = None
            elif kind == "admonition_title_open":
                self._admonition_title(tokens[i - 1] if i else tok)
                joined_item = None
            elif kind == "tab_open":
                self.tabs.append(" ".join(tok.meta.get("label", "").split()))
                joined_item = None
            elif kind == "tab_close":
                if self.tabs:
                    self.tabs.pop()
                joined_item = None
            elif kind == "directive_open":
                self.directives.append(self._directive(tok))
                joined_item = None
            elif kind == "directive_close":
                if self.directives and self.directives.pop() and self.tabs:
                    self.tabs.pop()
                joined_item = None
            elif kind in ("fence", "code_block"):
                ops = self._code(tok)
                if _ops_text(self.source, ops).strip():
                    b.begin("code", self._section())
                    self._apply(ops)
                joined_item = None
            elif kind == "table_open":
                i = self._table(i)
                joined_item = None
                continue
            elif kind in ("html_block", "hr"):
                joined_item = None
            i += 1
        text, blocks, smap = b.build()
        return Parsed(
            text=text,
            blocks=blocks,
            source=self.source,
            source_map=smap,
            title=self.title or self.h1,
            date=self.date,
            metadata=self.metadata,
        )

    def _section(self) -> tuple[str, ...]:
        """The headings above, then the labels of the content tabs around ("Installation", "Windows")."""
        return tuple(name for _, name in self.sections) + tuple(label for label in self.tabs if label)

    def _directive(self, opening) -> bool:
        """A MyST directive's argument, read where it stands on the opening line: a tab's label
        joins the section path (True); an admonition's or card's title is a text block; a
        version reads "New in version 2.1." (the words inserted, the version the file's)."""
        name, argument = opening.meta.get("name", ""), opening.meta.get("argument", "")
        if not argument or not opening.map:
            return False
        if name in TABS:
            self.tabs.append(" ".join(argument.split()))
            return True
        start, end = self._opening_line(opening)
        at = self.source.rfind(argument, start, end)
        if at < 0:
            return False
        if name in VERSIONS:
            version = argument.split()[0]
            self.builder.begin("text", self._section())
            self._apply([("i", f"{VERSIONS[name]} "), ("v", at, at + len(version)), ("i", ".")])
        else:
            self._title(at, at + len(argument))
        return False

    def _admonition_title(self, opening) -> None:
        """An admonition's quoted title (``!!! tip "Use a lockfile"``) is a text block of its own.

        A title MkDocs makes from the type alone ("Note" for ``!!! note``) is
        not in the file, so nothing is read for it."""
        if not opening.map:
            return
        start, end = self._opening_line(opening)
        line = self.source[start:end]
        first, last = line.find('"'), line.rfind('"')
        if first < 0 or last <= first + 1 or not line[first + 1 : last].strip():
            return
        self._title(start + first + 1, start + last)

    def _title(self, start: int, end: int) -> None:
        """``source[start:end]``, a title on a line of markup, as a text block of its visible words
        (parsed as inline Markdown: ``Use `uv sync` `` reads "Use uv sync", an icon role nothing)."""
        ops: list[Op] = []
        self._inline(_markdown().parseInline(self.source[start:end])[0].children or [], start, end, ops)
        if _ops_text(self.source, ops).strip():
            self.builder.begin("text", self._section())
            self._apply(ops)

    def _term(self, opening, inline) -> list[Op]:
        """A definition list's term: its line (the plugin maps it to no lines at all)."""
        line = opening.map[0] if opening.map else None
        if line is None:
            return []
        ops: list[Op] = []
        self._inline(inline.children or [], self._line_start(line), self._line_start(line + 1), ops)
        return ops

    def _heading(self, tok, inline) -> None:
        try:
            level = int(tok.tag[1:])
        except ValueError:
            level = 1
        name = ""
        if inline is not None and inline.type == "inline":
            name = " ".join(_ops_text(self.source, self._inline_block(inline)).split())
            name = _ATTR_LIST.sub("", name)
        while self.sections and self.sections[-1][0] >= level:
            self.sections.pop()
        if name:
            self.sections.append((level, name))
            if level == 1 and self.h1 is None:
                self.h1 = name

    def _apply(self, ops: list[Op]) -> None:
        self.builder.apply(ops)

    # -- code -----------------------------------------------------------------

    def _code(self, tok) -> list[Op]:
        """The code's lines, each the end of its source line (no container prefix, no indent)."""
        if not tok.map:
            return []
        first = tok.map[0] + (1 if tok.type == "fence" else 0)
        lines = tok.content.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        ops: list[Op] = []
        for n, content in enumerate(lines):
            line = first + n
            if line >= tok.map[1] or line >= len(self.line_starts):
                break
            start = self.line_starts[line]
            end = self._line_start(line + 1)
            if end > start and self.source[end - 1] == "\n":
                end -= 1
            if n:
                ops.append(("v", start - 1, start))  # the newline before this line
            text = self.source[start:end]
            for candidate in (content, content.lstrip()):
                if candidate and text.endswith(candidate):
                    ops.append(("v", end - len(candidate), end))
                    break
            else:
                if content.strip():
                    self._chars(content.lstrip(), start, end, ops)
        return ops

    # -- tables ---------------------------------------------------------------

    def _table(self, i: int) -> int:
        """Read the table starting at token ``i``; return the index after it."""
        tokens = self.tokens
        header: list[list[Op]] = []
        rows: list[list[list[Op]]] = []
        row: list[list[Op]] | None = None
        in_head = False
        cursor = 0
        while i < len(tokens) and tokens[i].type != "table_close":
            tok = tokens[i]
            if tok.type == "thead_open":
                in_head = True
            elif tok.type == "thead_close":
                in_head = False
            elif tok.type == "tr_open":
                row = []
                cursor = self._window(tok)[0]
            elif tok.type == "tr_close":
                if row is not None:
                    if in_head:
                        header = row
                    else:
                        rows.append(row)
                row = None
            elif tok.type == "inline" and row is not None:
                _, limit = self._window(tok)
                ops: list[Op] = []
                cursor = self._inline(tok.children or [], cursor, limit, ops)
                row.append(ops)
            i += 1
        section = self._section()
        b = self.builder
        src = self.source
        head = [Cell(tuple(cell)) for cell in header]
        if not rows and any(cell.text(src).strip() for cell in head):
            # a header and no body: its words, as a row of their own
            b.begin("table", section)
            first = True
            for cell in head:
                if cell.text(src).strip():
                    if not first:
                        b.inserted("; ")
                    cell.trimmed(src).write(b)
                    first = False
        for cells in rows:
            row = [Cell(tuple(cell)) for cell in cells]
            if any(cell.text(src).strip() for cell in row):
                b.begin("table", section)
                write_row(b, head, row)
        return i + 1

    # -- inline ---------------------------------------------------------------

    def _inline_block(self, inline) -> list[Op]:
        start, limit = self._window(inline)
        ops: list[Op] = []
        self._inline(inline.children or [], start, limit, ops)
        return ops

    def _inline(self, children: list, pos: int, limit: int, ops: list[Op]) -> int:
        """Align inline tokens to source[pos:limit]; append their ops; return the cursor."""
        src = self.source
        skip_to: int | None = None  # inside an autolink: its children are already read
        removed = False  # an image or raw HTML was just left out
        pending_break = False  # a <br> was left out: the next words start a new line
        for tok in children:
            kind = tok.type
            if skip_to is not None:
                if kind == "link_close":
                    pos = max(pos, skip_to)
                    skip_to = None
                continue
            if kind == "text":
                content = tok.content
                trim = 0
                if removed and (not ops or _ops_text(src, ops[-1:])[-1:].isspace()):
                    # "a ![img](x) b" reads "a b", not "a  b"
                    trim = len(content) - len(content.lstrip(" \t"))
                if pending_break and content[trim:] and ops and not _ops_text(src, ops[-1:])[-1:].isspace():
                    ops.append(("i", "\n"))
                pending_break = False
                pos = self._text(content, pos, limit, ops, trim)
            elif kind == "text_special":
                markup = tok.markup or tok.content
                at = src.find(markup, pos, limit)
                if at >= 0:
                    ops.append(("m", tok.content, at, at + len(markup)))
                    pos = at + len(markup)
                else:
                    pos = self._text(tok.content, pos, limit, ops)
            elif kind in ("softbreak", "hardbreak"):
                pending_break = False
                at = src.find("\n", pos, limit)
                if at >= 0:
                    ops.append(("v", at, at + 1))
                    pos = at + 1
                else:
                    ops.append(("i", "\n"))
            elif kind == "code_inline":
                pos = self._code_span(tok, pos, limit, ops)
            elif kind == "myst_role":
                pos, shown = self._role(tok, pos, limit, ops)
                if not shown:
                    removed = True
                    continue
            elif kind == "link_open":
                if tok.markup == "autolink":
                    lt = src.find("<", pos, limit)
                    gt = src.find(">", lt + 1, limit) if lt >= 0 else -1
                    if lt >= 0 and gt > lt and "\n" not in src[lt:gt]:
                        start = lt + 1
                        if src.startswith("mailto:", start) and not tok.attrGet("href", "").startswith("mailto:"):
                            start += len("mailto:")
                        ops.append(("v", start, gt))
                        skip_to = gt + 1
            elif kind == "link_close":
                pos = self._after_label(pos, limit)
            elif kind == "image":
                at = src.find("![", pos, limit)
                if at >= 0:
                    alt = self._inline(tok.children or [], at + 2, limit, [])
                    pos = self._after_label(alt, limit)
                removed = True
                continue
            elif kind == "html_inline":
                content = tok.content
                at = src.find(content, pos, limit)
                if at < 0:
                    first_line = content.split("\n", 1)[0]
                    at = src.find(first_line, pos, limit) if first_line else -1
                    if at >= 0:
                        pos = at + len(first_line)
                else:
                    pos = at + len(content)
                removed = True
                pending_break = pending_break or bool(_BR.match(content))
                continue
            # emphasis, strong, strikethrough open/close: markup only
            if kind not in _MARKUP_ONLY:
                removed = False
        return pos

    def _text(self, content: str, pos: int, limit: int, ops: list[Op], trim: int = 0) -> int:
        """``content`` found from ``pos`` on; its first ``trim`` characters left out."""
        if not content:
            return pos
        at = self.source.find(content, pos, limit)
        if at >= 0:
            ops.append(("v", at + trim, at + len(content)))
            return at + len(content)
        return self._chars(content[trim:], pos, limit, ops)

    def _chars(self, content: str, pos: int, limit: int, ops: list[Op]) -> int:
        """Character by character, for text markdown-it rewrote (``\\|`` in a
        table cell, a line break in a code span); a character not found on the
        current line is dropped rather than placed wrongly."""
        src = self.source
        for ch in content:
            if pos < limit and src[pos] == "\n" and ch in " \n":
                ops.append(("v", pos, pos + 1))
                pos += 1
                continue
            line_end = src.find("\n", pos, limit)
            at = src.find(ch, pos, line_end if line_end >= 0 else limit)
            if at >= 0:
                ops.append(("v", at, at + 1))
                pos = at + 1
        return pos

    def _code_span(self, tok, pos: int, limit: int, ops: list[Op]) -> int:
        src = self.source
        ticks = tok.markup or "`"
        opening = _find_run(src, ticks, pos, limit)
        if opening < 0:
            return self._text(tok.content, pos, limit, ops)
        inner = opening + len(ticks)
        closing = _find_run(src, ticks, inner, limit)
        if closing < 0:
            closing = limit
        content = tok.content
        at = src.find(content, inner, closing) if content else -1
        if at >= 0:
            ops.append(("v", at, at + len(content)))
        elif content:
            body = src[inner:closing]
            start = inner
            # CommonMark strips one space (or line end) each side when both are there
            if len(body) >= 2 and body[0] in " \n" and body[-1] in " \n" and body.strip(" \n"):
                start += 1
            self._chars(content, start, closing, ops)
        return min(limit, closing + len(ticks))

    def _role(self, tok, pos: int, limit: int, ops: list[Op]) -> tuple[int, bool]:
        """A MyST role ``{name}`content```: the words of it a reader sees (`role_text`)."""
        src = self.source
        name = tok.meta.get("name", "")
        at = src.find("{" + name + "}", pos, limit)
        if at < 0:
            return pos, False
        opening = at + len(name) + 2
        ticks = opening
        while ticks < limit and src[ticks] == "`":
            ticks += 1
        closing = _find_run(src, src[opening:ticks], ticks, limit)
        if closing < 0:
            return pos, False
        after = closing + (ticks - opening)
        shown = role_text(name, src[ticks:closing])
        if shown is None:
            return after, False
        a, b = shown
        self._text(src[ticks + a : ticks + b], ticks + a, closing, ops)
        return after, True

    def _after_label(self, pos: int, limit: int) -> int:
        """Past the ``]`` that closes a link's text or an image's alt, and past
        its ``(target "title")``, ``[ref]`` or ``[]``."""
        src = self.source
        close = src.find("]", pos, limit)
        if close < 0:
            return pos
        pos = close + 1
        if pos < limit and src[pos] == "(":
            end = _inline_target_end(src, pos, limit)
            if end is not None:
                return end
        if pos < limit and src[pos] == "[":
            end = src.find("]", pos + 1, limit)
            if end >= 0:
                label = src[pos + 1 : end]
                if not label.strip() or normalizeReference(label) in self.refs:
                    return end + 1
        return pos

    # -- front matter -------------------------------------------------------

    def _front_matter(self, content: str) -> None:
        values = read_front_matter(content)
        title = values.get("title")
        if isinstance(title, str) and title.strip():
            self.title = title.strip()
        date = values.get("date")
        if isinstance(date, list):
            date = date[0] if date else None
        if isinstance(date, str):
            m = _ISO_DATE.match(date.strip())
            if m:
                self.date = m.group(0)
        for key in _METADATA_KEYS:
            value = values.get(key)
            if isinstance(value, list):
                value = ", ".join(v for v in value if v)
            if isinstance(value, str) and value.strip():
                self.metadata[key] = value.strip()


def _ops_text(source: str, ops: list[Op]) -> str:
    parts = []
    for op in ops:
        if op[0] == "v":
            parts.append(source[op[1] : op[2]])
        else:
            parts.append(op[1])
    return "".join(parts)


def _find_run(src: str, ticks: str, pos: int, limit: int) -> int:
    """Where a backtick run of exactly ``len(ticks)`` starts in src[pos:limit], or -1."""
    n = len(ticks)
    while True:
        at = src.find(ticks, pos, limit)
        if at < 0:
            return -1
        end = at + n
        while end < limit and src[end] == "`":
            end += 1
        if end - at == n and (at == 0 or src[at - 1] != "`"):
            return at
        pos = end


def _skip_space(src: str, pos: int, limit: int) -> int:
    while pos < limit and src[pos] in " \t\n":
        pos += 1
    return pos


def _inline_target_end(src: str, pos: int, limit: int) -> int | None:
    """``src[pos]`` is the ``(`` after a link's ``]``: the end of ``(dest "title")``,
    or None when it is not a link target (as markdown-it's link rule decides)."""
    p = _skip_space(src, pos + 1, limit)
    if p >= limit:
        return None
    dest = parseLinkDestination(src, p, limit)
    if dest.ok:
        p = _skip_space(src, dest.pos, limit)
        if dest.pos < p < limit:  # a title needs white space before it
            title = parseLinkTitle(src, p, limit)
            if title.ok:
                p = _skip_space(src, title.pos, limit)
    if p < limit and src[p] == ")":
        return p + 1
    return None


# -- front matter: a small, forgiving reader of the YAML people write ----------


def read_front_matter(text: str) -> dict[str, str | list[str]]:
    """``key: value``, ``key: [a, b]``, ``key:`` + ``- item`` lines, block scalars
    (``|`` / ``>``) and quoted strings; keys lower-cased. Anything else is skipped:
    odd front matter gives fewer values, never an error."""
    values: dict[str, str | list[str]] = {}
    key: str | None = None
    block_scalar = False
    for raw in text.split("\n"):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and not block_scalar):
            continue
        indented = raw[:1] in (" ", "\t")
        if not indented:
            block_scalar = False
            pair = _key_value(line)
            if pair is None:
                key = None
                continue
            key, value = pair
            if value[:1] in ("|", ">"):
                values[key] = ""
                block_scalar = True
            elif value:
                values[key] = _value(value)
            else:
                values[key] = []
            continue
        if key is None:
            continue
        current = values.get(key)
        if block_scalar:
            values[key] = (f"{current} {stripped}" if current else stripped) if isinstance(current, str) else stripped
        elif stripped.startswith("-") and (stripped == "-" or stripped[1] in " \t"):
            item = stripped[1:].strip()
            pair = _key_value(item)
            if pair is not None:  # a mapping: "- name: Ada" → Ada
                item = pair[1] if pair[0] == "name" else ""
            item_value = _value(item) if item else ""
            items = current if isinstance(current, list) else ([current] if current else [])
            items.extend(item_value if isinstance(item_value, list) else [item_value])
            values[key] = [v for v in items if v]
        elif isinstance(current, str) and current and _key_value(stripped) is None:
            values[key] = f"{current} {_unquote(stripped)}"  # a plain scalar folded over lines
        elif isinstance(current, list):
            pair = _key_value(stripped)
            if pair is not None and pair[0] == "name" and pair[1]:
                current.append(_scalar(pair[1]))
    return values


def _key_value(line: str) -> tuple[str, str] | None:
    """``key: value`` → (lower-cased key, value as written), or None for no mapping line."""
    line = line.strip()
    if line[:1] in ("'", '"'):
        end = line.find(line[0], 1)
        if end < 0:
            return None
        key, rest = line[1:end], line[end + 1 :].lstrip(" \t")
        if not rest.startswith(":") or rest[1:2] not in ("", " ", "\t"):
            return None
        return key.strip().lower(), rest[1:].strip()
    colon = _FM_COLON.search(line)
    if colon is None:
        return None
    key = line[: colon.start()].strip()
    if not key or key[0] in "-[{#&*!|>%@`" or "#" in key:
        return None
    return key.lower(), line[colon.end() :].strip()


def _value(value: str) -> str | list[str]:
    if value.startswith("[") and value.rstrip().endswith("]"):
        return [v for v in (_scalar(part) for part in _split_flow(value.strip()[1:-1])) if v]
    return _scalar(value)


def _split_flow(body: str) -> list[str]:
    parts, current, quote = [], [], None
    for ch in body:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _scalar(value: str) -> str:
    value = value.strip()
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = value.find(quote, 1)
        while quote == "'" and end >= 0 and value[end + 1 : end + 2] == "'":
            end = value.find(quote, end + 2)
        if end > 0:
            inner = value[1:end]
            return inner.replace("''", "'") if quote == "'" else inner.replace('\\"', '"')
        return value[1:]
    comment = re.search(r"\s#", value)
    if comment:
        value = value[: comment.start()].rstrip()
    if value in ("~", "null", "Null", "NULL"):
        return ""
    return value


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
