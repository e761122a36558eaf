"""MyST directives (Sphinx, Jupyter Book) and Pandoc fenced divs whose bodies are prose.

MyST writes an admonition as a fenced block, ```` ```{note} ```` or
``:::{note}``, and Pandoc a div as ``::: warning``; CommonMark reads both as a
code block (or as text with the colons in it), and code answers only
questions about code. Here a fence whose directive holds prose is a
``directive_open`` / ``directive_close`` pair around its body, parsed as
Markdown where it stands (so offsets stay the file's):

* ``meta["name"]`` is the directive ("note", "tab-item", "versionadded"),
  ``meta["argument"]`` the rest of its opening line (a title, a tab's label, a
  version), ``map`` its lines;
* its options (``:class: tip`` lines, or a ``---`` YAML block) are not read;
* a backtick fence is a directive only for the names in `PROSE_DIRECTIVES`
  (```` ```{code-block} ```` stays code); a colon fence is one unless its name
  is in `CODE_DIRECTIVES`;
* a directive that names other files (``toctree``, ``include``, ``image``)
  is a ``directive_skipped`` token that nobody reads;
* a role (``{term}`lockfile```) is mdit-py-plugins' ``myst_role`` token;
  `role_text` says which of its characters a reader sees.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from mdit_py_plugins.myst_role import myst_role_plugin

ADMONITIONS = frozenset(
    "admonition attention caution danger error hint important note seealso tip warning todo".split()
)
#: Directives whose argument is the version and whose body says what changed in it.
VERSIONS = {
    "versionadded": "New in version",
    "versionchanged": "Changed in version",
    "deprecated": "Deprecated since version",
    "versionremoved": "Removed in version",
}
#: Directives whose argument is a tab's label (sphinx-design, sphinx-tabs).
TABS = frozenset({"tab-item", "tab", "group-tab"})
PROSE_DIRECTIVES = ADMONITIONS | VERSIONS.keys() | TABS | frozenset(
    "dropdown card grid-item-card margin sidebar topic epigraph pull-quote highlights div "
    "tab-set tabs grid grid-item card-carousel container".split()
)
CODE_DIRECTIVES = frozenset("code code-block code-cell sourcecode math mermaid graphviz eval-rst csv-table".split())
#: Directives that name other files or objects: nothing of theirs is text of this document.
SKIPPED = frozenset("toctree include literalinclude image figure raw automodule autoclass autofunction".split())
_OPENING = re.compile(r"(?P<fence>`{3,}|:{3,})[ \t]*(?:\{(?P<name>[\w:.-]+)\}|(?P<div>[\w-]+)(?=[ \t]*$))(?P<argument>.*)$")
_OPTION = re.compile(r"[ \t]*:[\w-]+:")


def line_text(state: StateBlock, line: int) -> str:
    """A source line without its indentation (block rules match their markers on it)."""
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _closing(state: StateBlock, start_line: int, end_line: int, fence: str) -> tuple[int, bool]:
    """Where the body ends: the line that closes ``fence`` (same character, at least as long,
    nothing after; True), or the first line outside the block's container, or ``end_line`` (False)."""
    for line in range(start_line + 1, end_line):
        text = line_text(state, line).rstrip()
        if text and state.sCount[line] < state.blkIndent:
            return line, False
        if not state.is_code_block(line) and text and set(text) == {fence[0]} and len(text) >= len(fence):
            return line, True
    return end_line, False


def _body_start(state: StateBlock, line: int, end: int) -> int:
    """Past the directive's options: a ``---`` YAML block, then ``:key: value`` lines."""
    if line < end and line_text(state, line).rstrip() == "---":
        for closing in range(line + 1, end):
            if line_text(state, closing).rstrip() == "---":
                line = closing + 1
                break
    while line < end and _OPTION.match(line_text(state, line)):
        line += 1
    return line


def directive(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if state.is_code_block(start_line):
        return False
    match = _OPENING.match(line_text(state, start_line))
    if not match:
        return False
    fence, colons = match.group("fence"), match.group("fence")[0] == ":"
    name = (match.group("name") or match.group("div") or "").lower()
    if match.group("div") and not colons:
        return False  # ```python is a code block's language
    if name not in SKIPPED and (name in CODE_DIRECTIVES if colons else name not in PROSE_DIRECTIVES):
        return False
    if silent:
        return True
    close, marked = _closing(state, start_line, end_line, fence)
    after = close + 1 if marked else close
    if name in SKIPPED:
        token = state.push("directive_skipped", "", 0)
        token.block = True
        token.map = [start_line, after]
        state.line = after
        return True
    body = _body_start(state, start_line + 1, close)
    push_directive(state, name, match.group("argument").strip(), (start_line, body, close, after))
    return True


def push_directive(state: StateBlock, name: str, argument: str, lines: tuple[int, int, int, int]) -> None:
    """``directive_open``, the body parsed where it stands, ``directive_close``; ``lines`` are the
    opening line, the body's first line, the line that ends the body and the line after the block."""
    start_line, body, close, after = lines
    old_parent, old_line_max = state.parentType, state.lineMax
    state.parentType = "directive"  # type: ignore[assignment]
    state.lineMax = close
    token = state.push("directive_open", "div", 1)
    token.block = True
    token.meta = {"name": name, "argument": argument}
    token.map = [start_line, after]
    state.md.block.tokenize(state, body, close)
    token = state.push("directive_close", "div", -1)
    token.block = True
    state.parentType, state.lineMax = old_parent, old_line_max
    state.line = after


#: Roles that render an icon: no words.
ICON_ROLES = frozenset("octicon fa fab fas far icon material-regular material-outlined material-sharp".split())
_EXPLICIT_TITLE = re.compile(r"(?s)(.*?\S)\s*<[^<>]*>\Z")


def role_text(name: str, content: str) -> tuple[int, int] | None:
    """The part of a role's content a reader sees, as offsets into ``content``: ``{ref}`Explicit
    text <target>``` shows "Explicit text", ``{func}`~pkg.mod.f``` its last component ("f");
    an icon role shows nothing (None)."""
    if name.lower() in ICON_ROLES:
        return None
    start, end = 0, len(content)
    explicit = _EXPLICIT_TITLE.match(content)
    if explicit:
        end = explicit.end(1)
    if content[:1] in "~!" and end > 1:
        start = 1
    if content[:1] == "~":  # Sphinx shows the target's last component: ~pkg.mod.run reads "run"
        start = max(start, content.rfind(".", start, end - 1) + 1)
    return (start, end) if content[start:end].strip() else None


def myst_plugin(md: MarkdownIt) -> None:
    """Prose directives, parsed before fences and paragraphs; roles (``{term}`cache```)."""
    md.use(myst_role_plugin)
    md.block.ruler.before(
        "fence", "directive", directive, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
