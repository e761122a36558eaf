"""The Python-Markdown extensions MkDocs sites are written in, as markdown-it block rules.

Docs sites built with MkDocs (Material) put much of what a reader needs in
blocks CommonMark does not know: an admonition's body (``!!! note "Title"``,
the collapsible ``???`` / ``???+``) and a content tab's body (``=== "Windows"``)
are indented four spaces, so plain CommonMark reads them as *code*, and code
answers only questions about code. With these rules their bodies are parsed
as Markdown again, as MkDocs renders them:

* admonitions come from mdit-py-plugins' ``admon_plugin`` (tokens
  ``admonition_open`` / ``admonition_title_open`` / ``admonition_close``);
* content tabs (pymdownx.tabbed) are ``tab_open`` / ``tab_close`` around
  their body, the label in ``meta["label"]`` and its source line in ``map``;
* snippet includes (pymdownx.snippets, ``--8<-- "file.md"`` and the
  multi-line form) are ``snippet`` tokens that nobody reads: the file they
  name is not text of this document;
* an API reference line (mkdocstrings: ``::: package.module.Class`` and
  the options indented under it) is an ``autodoc`` token nobody reads: the
  text it stands for is in the code, not in this file;
* generic blocks (pymdownx.blocks, FastAPI's docs: ``/// tip | Title`` …
  ``///``, ``/// tab | Windows``) are the ``directive_open`` /
  ``directive_close`` pairs of `embeddings.formats.myst`, the title in
  ``meta["argument"]``; their options (``    type: note``) are not read.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from mdit_py_plugins.admon import admon_plugin

from embeddings.formats.myst import line_text, push_directive

_TAB = re.compile(r'===[+!]{0,2}[ \t]+"(?P<label>[^"\n]*)"[ \t]*$')
_SNIPPET = re.compile(r"-{1,}8<-{1,}(?:[ \t]+(?P<target>.*\S))?[ \t]*$")
#: pymdownx.tabbed and admonitions indent their bodies by four columns.
BODY_INDENT = 4


def _body_end(state: StateBlock, start_line: int, end_line: int, indent: int) -> int:
    """The first line after ``start_line`` that is not blank and is indented less than ``indent``."""
    line = start_line + 1
    while line < end_line:
        if not state.isEmpty(line) and state.sCount[line] < indent:
            break
        line += 1
    # trailing blank lines belong to what follows
    while line - 1 > start_line and state.isEmpty(line - 1):
        line -= 1
    return line


def content_tab(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """``=== "Label"`` and the lines indented under it (pymdownx.tabbed)."""
    if state.is_code_block(start_line):
        return False
    match = _TAB.match(line_text(state, start_line))
    if not match:
        return False
    if silent:
        return True
    indent = state.sCount[start_line] + BODY_INDENT
    next_line = _body_end(state, start_line, end_line, indent)

    old_parent, old_line_max, old_indent = state.parentType, state.lineMax, state.blkIndent
    state.parentType = "tab"  # type: ignore[assignment]
    state.lineMax = next_line
    state.blkIndent = indent
    token = state.push("tab_open", "div", 1)
    token.block = True
    token.meta = {"label": match.group("label")}
    token.info = match.group("label")
    token.map = [start_line, next_line]
    state.md.block.tokenize(state, start_line + 1, next_line)
    token = state.push("tab_close", "div", -1)
    token.block = True
    state.parentType, state.lineMax, state.blkIndent = old_parent, old_line_max, old_indent
    state.line = next_line
    return True


def snippet(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """``--8<-- "file.md"``, or ``--8<--`` … ``--8<--`` around a list of files: consumed, not read."""
    if state.is_code_block(start_line):
        return False
    match = _SNIPPET.match(line_text(state, start_line))
    if not match:
        return False
    if silent:
        return True
    next_line = start_line + 1
    if match.group("target") is None:  # the block form: up to the closing marker
        line = start_line + 1
        while line < end_line:
            closing = _SNIPPET.match(line_text(state, line))
            if closing and closing.group("target") is None:
                next_line = line + 1
                break
            line += 1
    token = state.push("snippet", "", 0)
    token.block = True
    token.map = [start_line, next_line]
    state.line = next_line
    return True


_BLOCK_OPEN = re.compile(r"(?P<fence>/{3,})[ \t]*(?P<name>[\w-]+)[ \t]*(?:\|[ \t]*(?P<title>.*?))?[ \t]*$")
_BLOCK_OPTION = re.compile(r"[ \t]{4,}[\w-]+:")


def generic_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """``/// name | Title`` … ``///`` (pymdownx.blocks): its body read as Markdown where it stands."""
    if state.is_code_block(start_line):
        return False
    match = _BLOCK_OPEN.match(line_text(state, start_line))
    if not match:
        return False
    if silent:
        return True
    fence = match.group("fence")
    close, after = end_line, end_line
    for line in range(start_line + 1, end_line):
        text = line_text(state, line).rstrip()
        if text and state.sCount[line] < state.blkIndent:
            close = after = line
            break
        if text == fence:
            close, after = line, line + 1
            break
    body = start_line + 1
    while body < close and _BLOCK_OPTION.match(state.src[state.bMarks[body] : state.eMarks[body]]):
        body += 1
    name, title = match.group("name").lower(), (match.group("title") or "").strip()
    push_directive(state, name, title, (start_line, body, close, after))
    return True


_AUTODOC = re.compile(r":::[ \t]+(?P<identifier>[\w.:/-]+)[ \t]*$")


def autodoc(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """``::: package.module`` and its indented options (mkdocstrings); a bare word followed by no
    indented options is a Pandoc div (``::: warning``), left to `embeddings.formats.myst`."""
    if state.is_code_block(start_line):
        return False
    match = _AUTODOC.match(line_text(state, start_line))
    if not match:
        return False
    indent = state.sCount[start_line] + BODY_INDENT
    next_line = _body_end(state, start_line, end_line, indent)
    if "." not in match.group("identifier") and next_line == start_line + 1:
        return False
    if silent:
        return True
    token = state.push("autodoc", "", 0)
    token.block = True
    token.info = match.group("identifier")
    token.map = [start_line, next_line]
    state.line = next_line
    return True


def mkdocs_plugin(md: MarkdownIt) -> None:
    """Admonitions, content tabs, generic blocks and snippet lines, parsed before paragraphs and code."""
    admon_plugin(md)
    alt = ["paragraph", "reference", "blockquote", "list"]
    md.block.ruler.before("fence", "generic_block", generic_block, {"alt": alt})
    md.block.ruler.before("fence", "autodoc", autodoc, {"alt": alt})
    md.block.ruler.before("fence", "content_tab", content_tab, {"alt": alt})
    md.block.ruler.before("fence", "snippet", snippet, {"alt": alt})
