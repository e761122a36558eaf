"""reStructuredText (docutils, with Sphinx's directives and roles): visible words as reading text, mapped back to the file.

``Parsed.source`` is the file's decoded text, ``Parsed.text`` what a person
reads when the page is rendered, every character placed in the source.

* Section titles are no blocks: they make the section path of the blocks
  under them. The first title is the document's title.
* Paragraphs, list items (one block per item, its paragraphs joined), a
  definition list's term with its definition, a field with its body
  (``:param timeout: …`` reads "param timeout: …"), footnotes, block quotes,
  line blocks, rubrics and captions are "text" blocks of their visible text:
  no ``**``, backticks, link targets or role names; a backslash escape is
  read as its character, mapped to the whole ``\\*``.
* Roles read as the words Sphinx shows: ``:func:`~flask.send_file``` as
  "send_file", ``:ref:`the guide <target>``` as "the guide"
  (`embeddings.formats.myst.role_text`, shared with MyST).
* Literal blocks, ``code-block``/``sourcecode``, doctest blocks and the
  signatures of API objects (``.. py:function:: get(url, **kwargs)``) are
  "code" blocks. An API object's name joins the section path of its
  description (``Configuration > SECRET_KEY``).
* Admonitions, ``versionadded``-like notes (read "New in version 2.0."
  before their text, the words inserted), tabs (the label joins the section
  path), ``seealso``, ``only``, ``glossary`` and any directive nobody here
  knows are read as prose; ``toctree``, ``include``, ``literalinclude``,
  ``auto*``, images, raw, comments, targets, substitution definitions and
  math are not read. Nothing is ever read from another file.
* Table rows read as sentences, as in Markdown (`embeddings.formats.tables`).
* A field list at the top of the page (Sphinx's file-wide metadata, such as
  ``:orphan:``) is not read; its ``author`` and ``date`` become metadata.

docutils gives no offsets, so each piece is found in the source with a
cursor that only moves forward: a block's raw text first, then each of its
words inside it, white space matched to any white space (a line's
indentation is not read) and escapes to their markup. A piece that cannot
be found (text docutils made, such as "PEP 8" from ``:pep:`8```) is read
but cites nothing.

docutils keeps directives and roles in one registry per process; a name it
does not know is registered once, the first time a document uses it.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path

from embeddings.formats import FormatError, Parsed, decode_text
from embeddings.formats.myst import TABS, VERSIONS, role_text
from embeddings.formats.tables import Cell, write_row
from embeddings.offsets import TextBuilder

#: Directives read as code: their content, verbatim.
CODE = frozenset(
    "code-block sourcecode code doctest testcode testoutput ipython jupyter-execute code-tab "
    "productionlist prompt parsed-literal".split()
)
#: Directives whose every part is elsewhere or not text: not read.
SKIPPED = frozenset(
    "toctree include literalinclude highlight currentmodule module py:module py:currentmodule "
    "index tabularcolumns todo todolist testsetup testcleanup graphviz digraph graph mermaid "
    "plantuml uml plot raw image math meta contents sectnum section-numbering default-domain "
    "default-role rst-class role autosummary bibliography only-latex spelling:word-list "
    "program c:namespace cpp:namespace js:module".split()
)
#: Sphinx's API-object directives (bare and with a domain): signature as code, content as prose.
OBJECTS = frozenset(
    "function class method classmethod staticmethod attribute property data exception decorator "
    "decoratormethod module type member var macro struct union enum enumerator option envvar "
    "confval describe object setting".split()
)
#: Directives whose one-line argument is the text itself.
CENTERED = frozenset({"centered"})
#: Names docutils has too, read Sphinx's way: ``class`` is an API object there (docutils' sets a
#: class attribute), and Sphinx's code blocks take options docutils' refuses (``:caption:``).
SPHINX_FIRST = frozenset({"class", "code", "code-block", "sourcecode"})
_DIRECTIVE_NAME = re.compile(r"^[ \t]*\.\.[ \t]+([A-Za-z][\w:.+-]*)[ \t]*::", re.MULTILINE)
_ROLE_NAME = re.compile(r"(?<![\w`]):([A-Za-z][\w+.-]*(?::[A-Za-z][\w+.-]*)*):`")
_WS = re.compile(r"\s+")


def parse(path: Path, data: bytes) -> Parsed:
    source = decode_text(path, data)
    try:
        return parse_rst(source)
    except RecursionError:
        raise FormatError(f"{path} is nested too deeply to read as reStructuredText") from None
    except FormatError:
        raise
    except Exception as error:  # docutils' own failures on malformed input
        raise FormatError(f"{path} could not be read as reStructuredText ({type(error).__name__})") from None


def parse_rst(source: str) -> Parsed:
    """reStructuredText already decoded (``source`` is what citations index)."""
    from docutils import nodes
    from docutils.utils import new_document

    parser, settings = _docutils()
    _register(source)
    document = new_document("<document>", settings.copy())
    # a BOM is the first character of ``source`` (citations count it), not of the first title
    parser.parse(source[1:] if source.startswith("\ufeff") else source, document)
    return _Reader(source, nodes).read(document)


@lru_cache(maxsize=1)
def _docutils():
    """The parser and its settings, built once: never halt, never write to stderr, never read
    another file or pass raw HTML, no syntax highlighting (a code block stays one text)."""
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser

    parser = Parser()
    settings = get_default_settings(Parser)
    settings.report_level = 5
    settings.halt_level = 5
    settings.warning_stream = io.StringIO()
    settings.file_insertion_enabled = False
    settings.raw_enabled = False
    settings.syntax_highlight = "none"
    settings.character_level_inline_markup = False
    return parser, settings


def _register(source: str) -> None:
    """Give docutils a reading of each directive and role in ``source`` it does not know
    (and of those in `SPHINX_FIRST`)."""
    from docutils.parsers.rst import directives, roles
    from docutils.parsers.rst.languages import en

    for name in {m.group(1).lower() for m in _DIRECTIVE_NAME.finditer(source)}:
        registered = directives._directives.get(name)  # noqa: SLF001 - docutils' registry
        if getattr(registered, "qa_reading", None):
            continue
        if name in SPHINX_FIRST or (registered is None and name not in en.directives):
            directives.register_directive(name, _directive_class(name))
    for name in {m.group(1).lower() for m in _ROLE_NAME.finditer(source)}:
        if name not in roles._roles and name not in en.roles:  # noqa: SLF001
            roles.register_local_role(name, _role)


def _reading(name: str) -> str:
    """How a directive docutils does not know is read."""
    bare = name.split(":")[-1]
    if name in SKIPPED or bare in SKIPPED or bare.startswith("auto"):
        return "skip"
    if name in CODE or bare in CODE:
        return "code"
    if bare in VERSIONS:
        return "version"
    if bare in TABS:
        return "tab"
    if bare in OBJECTS or name == "class":
        return "object"
    if bare in CENTERED:
        return "centered"
    return "prose"


class _AnyOption(dict):
    """Every option is accepted (and not read): an extension's options are not its text."""

    def __missing__(self, key):
        from docutils.parsers.rst import directives

        return directives.unchanged


@lru_cache(maxsize=None)
def _directive_class(name: str):
    from docutils import nodes
    from docutils.parsers.rst import Directive

    reading = _reading(name)

    class Read(Directive):
        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec = _AnyOption()
        qa_reading = reading

        def run(self):
            if reading == "skip":
                return []
            argument = self.arguments[0] if self.arguments else ""
            if reading == "code":
                text = "\n".join(self.content)
                return [nodes.literal_block(text, text)] if text.strip() else []
            words = argument
            if reading == "version":  # "2.0 What changed": the version, then words of the note
                argument, words = (re.split(r"\s+", argument.strip(), maxsplit=1) + [""])[:2]
            node = nodes.container(self.block_text, qa=reading, qa_argument=argument,
                                   qa_name=name.split(":")[-1])
            if reading in ("version", "prose", "centered") and words.strip():
                # a title or note in the argument is inline markup, as any paragraph
                inline, _ = self.state.inline_text(words.strip(), self.lineno)
                node += nodes.paragraph(words.strip(), "", *inline)
            if self.content and reading != "centered":
                self.state.nested_parse(self.content, self.content_offset, node)
            return [node]

    Read.__name__ = f"Read_{reading}"
    return Read


def _role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """A Sphinx role (``:func:``, ``:ref:``, ``:doc:`` …): the words it shows."""
    from docutils import nodes
    from docutils.utils import unescape

    shown = unescape(text)
    span = role_text(name, shown)
    return ([nodes.inline(rawtext, shown[span[0] : span[1]])] if span else []), []


#: Elements not read at all.
_NOT_READ = frozenset(
    "comment target substitution_definition system_message raw image pending transition meta "
    "math_block footnote_reference citation_reference substitution_reference label "
    "colspec decoration docinfo".split()
)
_TEXT_ELEMENTS = frozenset("paragraph rubric caption attribution line title subtitle".split())
_CODE_ELEMENTS = frozenset({"literal_block", "doctest_block"})


class _Reader:
    def __init__(self, source: str, nodes):
        self.source = source
        self.nodes = nodes
        self.builder = TextBuilder(source)
        self.cursor = 0
        self.limit = len(source)
        self.section: tuple[str, ...] = ()
        self.title: str | None = None
        self.metadata: dict[str, str] = {}
        self.date: str | None = None
        #: Where the pieces of inline text go: the open block, or a table cell being made.
        self.sink = self.builder.apply

    def read(self, document) -> Parsed:
        self._metadata(document)
        self.visit_children(document)
        text, blocks, source_map = self.builder.build()
        return Parsed(text=text, blocks=blocks, source=self.source, source_map=source_map,
                      title=self.title, date=self.date, metadata=self.metadata)

    # --- blocks -------------------------------------------------------------------------

    def visit_children(self, node) -> None:
        for child in node.children:
            self.visit(child)

    def flow(self, children, open_block: bool = False) -> None:
        """Consecutive paragraphs in one block (a list item's, a definition's); anything else
        its own. ``open_block``: a block is open and the first paragraph continues it."""
        joined = open_block
        for child in children:
            if child.tagname == "paragraph":
                if joined:
                    self.builder.inserted(" " if open_block else "\n")
                else:
                    self.builder.begin("text", self.section)
                    joined = True
                self.inline(child)
            else:
                if joined:
                    self.builder.end()
                    joined = False
                self.visit(child)
            open_block = False
        if joined:
            self.builder.end()

    def visit(self, node) -> None:
        tag = node.tagname
        if tag in _NOT_READ or isinstance(node, self.nodes.Text):
            return
        if tag == "section":
            return self.visit_section(node)
        if tag in _TEXT_ELEMENTS:
            self.builder.begin("text", self.section)
            self.inline(node)
            return self.builder.end()
        if tag in _CODE_ELEMENTS:
            return self.code(node.astext())
        if tag == "line_block":
            return self.line_block(node)
        if tag in ("list_item", "definition", "field_body", "description", "entry"):
            return self.flow(node.children)
        if tag == "definition_list_item":
            return self.labelled(node, ("term", "classifier"), "definition", "\n")
        if tag == "field":
            return self.labelled(node, ("field_name",), "field_body", ": ")
        if tag == "option_list_item":
            return self.labelled(node, ("option_group",), "description", ": ")
        if tag == "table":
            return self.table(node)
        if tag == "container" and node.get("qa"):
            return self.directive(node)
        self.visit_children(node)  # containers, and anything unknown: its blocks

    def visit_section(self, node) -> None:
        outer = self.section
        title = next((c for c in node.children if c.tagname == "title"), None)
        if title is not None:
            name = _WS.sub(" ", title.astext()).strip()
            self.locate(title.rawsource or title.astext())
            self.title = self.title or name or None
            self.section = outer + (name,) if name else outer
        for child in node.children:
            if child is not title:
                self.visit(child)
        self.section = outer

    def labelled(self, node, label_tags: tuple[str, ...], body_tag: str, joiner: str) -> None:
        """A term, field name or option read first, its body after it in the same block."""
        labels = [c for c in node.children if c.tagname in label_tags]
        bodies = [c for c in node.children if c.tagname == body_tag]
        self.builder.begin("text", self.section)
        for n, label in enumerate(labels):
            if n:
                self.builder.inserted(" ")
            self.inline(label)
        body = [c for b in bodies for c in b.children]
        if body and body[0].tagname == "paragraph":
            self.builder.inserted(joiner)
            self.inline(body[0])
            body = body[1:]
        self.builder.end()
        self.flow(body)

    def line_block(self, node) -> None:
        self.builder.begin("text", self.section)
        for n, line in enumerate(node.findall(self.nodes.line)):
            if n:
                self.builder.inserted("\n")
            self.inline(line)
        self.builder.end()

    def code(self, text: str) -> None:
        if not text.strip():
            return
        self.builder.begin("code", self.section)
        self.builder.apply(self.pieces(text))
        self.builder.end()

    def directive(self, node) -> None:
        reading, argument = node["qa"], node.get("qa_argument", "")
        if reading == "tab":
            outer = self.section
            label = _WS.sub(" ", argument).strip()
            if label:
                self.locate(argument)
                self.section = outer + (label,)
            self.visit_children(node)
            self.section = outer
        elif reading == "version":
            self.builder.begin("text", self.section)
            self.builder.inserted(f"{VERSIONS[node['qa_name']]} ")
            self.builder.apply(self.pieces(argument.strip()))
            self.builder.inserted(".")
            self.flow(node.children, open_block=True)
        elif reading == "object":
            outer = self.section
            signatures = [s.strip() for s in argument.split("\n") if s.strip()]
            if signatures:
                self.code("\n".join(signatures))
                name = re.split(r"[\s(\[=:]", signatures[0], maxsplit=1)[0]
                self.section = outer + (name,) if name else outer
            self.visit_children(node)
            self.section = outer
        else:  # prose, and "centered": a title (admonition, dropdown, card) is the first paragraph
            self.visit_children(node)

    def table(self, node) -> None:
        for group in (c for c in node.children if c.tagname == "tgroup"):
            head = next((c for c in group.children if c.tagname == "thead"), None)
            body = next((c for c in group.children if c.tagname == "tbody"), None)
            header: list[Cell | None] = []
            if head is not None:
                for row in head.children:
                    header = self.row(row)
            rows = list(body.children) if body is not None else []
            for row in rows:
                cells = self.row(row)
                self.builder.begin("table", self.section)
                write_row(self.builder, header, cells)  # no header: "key: value."
                self.builder.end()
            if header and not rows:
                self.builder.begin("table", self.section)
                for n, cell in enumerate(c for c in header if c is not None):
                    if n:
                        self.builder.inserted("; ")
                    cell.write(self.builder)
                self.builder.end()
        title = next((c for c in node.children if c.tagname == "title"), None)
        if title is not None:
            self.visit(title)

    def cell(self, entry) -> Cell:
        """A cell's pieces (its paragraphs' words, read as any paragraph's)."""
        pieces: list = []
        outer, self.sink = self.sink, pieces.extend
        try:
            for n, child in enumerate(c for c in entry.findall(self.nodes.TextElement)
                                      if c.tagname in ("paragraph", "literal_block", "term")):
                if n:
                    pieces.append(("i", " "))
                self.inline(child)
        finally:
            self.sink = outer
        # a cell's lines are one line of a sentence
        return Cell(tuple(("i", " ") if p == ("i", "\n") else p for p in pieces))

    def row(self, row) -> list[Cell]:
        """A row's cells. In a grid table a cell's second line comes after its neighbours'
        first lines, so each cell is looked for from where its left neighbour's first words
        end, and the row ends where its furthest cell does."""
        start, furthest, cells = self.cursor, self.cursor, []
        for entry in row.children:
            self.cursor = start
            cell = self.cell(entry)
            cells.append(cell)
            furthest = max(furthest, self.cursor)
            first = next((p for p in cell.pieces if p[0] != "i"), None)
            if first is not None:
                start = first[2] if first[0] == "v" else first[3]
        self.cursor = furthest
        return cells

    # --- inline text -------------------------------------------------------------------

    def inline(self, node) -> None:
        """A text element's words into the open block, each found in the source."""
        outer = self.limit
        anchor = self.find(node.rawsource, self.cursor, self.limit) if node.rawsource else None
        if anchor is not None:
            self.limit = min(self.limit, anchor[1])
        self._inline_children(node)
        if anchor is not None:
            self.cursor = max(self.cursor, anchor[1])
        self.limit = outer

    def _inline_children(self, node) -> None:
        for child in node.children:
            if isinstance(child, self.nodes.Text):
                self.sink(self.pieces(child.astext()))
            elif child.tagname in _NOT_READ:
                continue
            elif getattr(child, "rawsource", ""):
                found = self.find(child.rawsource, self.cursor, self.limit)
                if found is None:
                    self._inline_children(child)
                    continue
                outer, self.limit = self.limit, found[1]
                self.cursor = found[0]
                self._inline_children(child)
                self.limit = outer
                self.cursor = found[1]  # past the markup: nothing is read inside a link target
            else:
                self._inline_children(child)

    # --- finding text in the source -------------------------------------------------------

    def locate(self, text: str) -> None:
        """Move the cursor past ``text`` (a title, a label read elsewhere)."""
        found = self.find(text, self.cursor, len(self.source))
        if found is not None:
            self.cursor = found[1]

    def pieces(self, text: str) -> list:
        """``text`` as pieces of the source found from the cursor (inserted where not found);
        the cursor moves past what was found."""
        if not text:
            return []
        found = self.align_at(text, self.cursor, self.limit)
        if found is not None:
            ops, self.cursor = found
            return ops
        if "\n" not in text.strip():
            return [("i", text)]
        ops: list = []
        for n, line in enumerate(text.split("\n")):
            if n:
                ops.append(("i", "\n"))
            ops.extend(self.pieces(line) if line.strip() else [])
        return ops

    def find(self, text: str, lo: int, hi: int) -> tuple[int, int] | None:
        """Where ``text`` first occurs in ``source[lo:hi]``, any white space standing for any."""
        text = text.strip()
        return self._search(text, lo, hi) if text else None

    def _search(self, text: str, lo: int, hi: int) -> tuple[int, int] | None:
        """``text`` as is, else with any white space for any and escapes allowed."""
        at = self.source.find(text, lo, hi)
        if at >= 0:
            return at, at + len(text)
        match = _pattern(text).search(self.source, lo, hi)
        return (match.start(), match.end()) if match else None

    def align_at(self, text: str, lo: int, hi: int) -> tuple[list, int] | None:
        """Pieces reading ``text`` from its first place at or after ``lo``, and where it ends."""
        core = text.strip()
        if not core:
            return ([("i", text)], lo) if text else None
        found = self._search(core[:80], lo, hi)
        if found is None:
            return None
        aligned = _align(self.source, core, found[0], hi)
        if aligned is None:
            return None
        ops, end = aligned
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
        if lead:
            ops.insert(0, _space(self.source, lead, found[0]))
        if trail:
            ops.append(_space(self.source, trail, end))
            if self.source[end : end + 1].isspace():
                end += 1
        return ops, end

    def _metadata(self, document) -> None:
        """Sphinx's file-wide metadata: a field list before anything else on the page."""
        first = next((c for c in document.children if c.tagname not in ("comment", "target",
                                                                          "substitution_definition")), None)
        if first is None or first.tagname != "field_list":
            return
        for field in first.children:
            name = field.children[0].astext().strip().lower() if field.children else ""
            value = field.children[1].astext().strip() if len(field.children) > 1 else ""
            if name in ("author", "authors", "tags") and value:
                self.metadata[name] = value
            elif name == "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                self.date = value
        document.remove(first)
        if first.rawsource:
            self.locate(first.rawsource)


def _space(source: str, text: str, at: int) -> tuple:
    """Leading or trailing white space of a piece: the source's own where it is there."""
    if source[at - 1 : at].isspace() and text.startswith(source[at - 1]):
        return ("v", at - 1, at) if len(text) == 1 else ("i", text)
    if source[at : at + 1].isspace() and len(text) == 1 and text == source[at]:
        return ("v", at, at + 1)
    return ("i", text)


@lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern:
    """``text`` with any white space for white space and an optional backslash before each character."""
    parts = []
    for token in re.findall(r"\s+|\S", text):
        parts.append(r"\s+" if token.isspace() else r"\\?" + re.escape(token))
    return re.compile("".join(parts))


def _align(source: str, text: str, at: int, hi: int) -> tuple[list, int] | None:
    """Pieces reading ``text`` from ``source[at:]``: characters as is, escapes as their markup,
    white space as the source's (a line's indentation is skipped). None on a mismatch."""
    ops: list = []
    i, j, n = 0, at, len(text)
    run = None  # start of the verbatim run being extended
    while i < n:
        c = text[i]
        if c.isspace():
            i2 = i
            while i2 < n and text[i2].isspace():
                i2 += 1
            j2 = j
            while j2 < hi and source[j2].isspace():
                j2 += 1
            gap, src = text[i:i2], source[j:j2]
            if "\n" not in gap and "\n" not in src:  # a tab docutils made spaces: the source's own
                gap = src
            if run is not None and (j2 == j or not src.startswith(gap)):
                ops.append(("v", run, j))
                run = None
            if j2 == j:
                ops.append(("i", gap))
            elif src.startswith(gap):
                run = j if run is None else run
                ops.append(("v", run, j + len(gap)))
                run = None
            else:
                ops.append(("m", gap, j, j2))
            i, j = i2, j2
            continue
        if j < hi and source[j] == c:
            run = j if run is None else run
            i += 1
            j += 1
            continue
        if run is not None:
            ops.append(("v", run, j))
            run = None
        if j + 1 < hi and source[j] == "\\" and source[j + 1] == c:
            ops.append(("m", c, j, j + 2))
            i += 1
            j += 2
        elif j + 1 < hi and source[j] == "\\" and source[j + 1].isspace():
            j += 2  # an escaped space: nothing
        else:
            return None
    if run is not None:
        ops.append(("v", run, j))
    return ops, j
