"""The command palette (Ctrl+P): index a file or folder, corpus info, answers per question."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.screens.main import MainScreen

ANSWER_COUNTS = (1, 3, 5)

Command = tuple[str, Callable[[], Any], str]


class QACommands(Provider):
    """Commands for the chat screen the palette was opened from."""

    def _commands(self) -> list[Command]:
        screen = self.screen
        if not isinstance(screen, MainScreen):
            return []
        commands: list[Command] = [
            ("Index a file or folder…", screen.action_index_prompt,
             "Add text, Markdown, PDF, HTML or Word documents to the index"),
            ("Show corpus info", screen.action_corpus_info,
             "Documents, passages, model and index location"),
        ]
        show = not screen.best_guesses
        commands.append(
            (f"Best guesses: {'show' if show else 'hide'}", partial(screen.set_best_guesses, show),
             "When no answer reaches the confidence threshold, show the best guesses marked low"
             if show else "Show only answers that reach the confidence threshold")
        )
        for n in ANSWER_COUNTS:
            current = " (current)" if n == screen.answer_count else ""
            commands.append(
                (f"Answers per question: {n}", partial(screen.set_answer_count, n),
                 f"Show up to {n} ranked answer{'s' if n > 1 else ''}{current}")
            )
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
