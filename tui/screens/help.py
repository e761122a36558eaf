"""F1 / ?: what the keys do and how answers are found."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

HELP = """\
# Cited QA — help

Ask about your documents; every answer is a span **quoted from them**, with a
numbered citation. If nothing answers the question you get *{not_found}*
and the nearest passages, never a guess.

"""

KEYS = [
    ("Enter", "send the question (or open the focused citation)"),
    ("↑ / ↓", "earlier questions"),
    ("Esc", "back to the question box / close the source"),
    ("F2", "focus the answers"),
    ("F3", "focus the open source"),
    ("Ctrl+N / Ctrl+B", "next / previous citation (opens it)"),
    ("Ctrl+Y", "copy the answer with its citation and file path"),
    ("Ctrl+L", "clear the conversation"),
    ("Ctrl+P", "commands: index a file or folder, corpus info, 1/3/5 answers, best guesses"),
    ("F1 / ?", "this help"),
    ("Ctrl+Q", "quit"),
]

FOOTNOTE = (
    "Click a citation to open it too. Questions typed while the model loads "
    "are answered as soon as it is ready."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1,question_mark,q", "dismiss", "Close", show=True),
    ]

    def compose(self) -> ComposeResult:
        from qa.citations import NOT_FOUND  # pulls in numpy: not at startup

        with VerticalScroll(id="help-body"):
            yield Markdown(HELP.format(not_found=NOT_FOUND))
            keys = Table.grid(padding=(0, 2))
            keys.add_column(style="bold", no_wrap=True)
            keys.add_column()
            for key, does in KEYS:
                keys.add_row(key, does)
            yield Static(keys, id="help-keys")
            yield Static(FOOTNOTE, classes="hint")
            yield Static("Esc to close", classes="hint")
