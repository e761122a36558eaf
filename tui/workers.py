"""The thread side of the chat: every call into the assistant that can take a while.

`MainScreen` runs each function here in a Textual thread worker. They call
the assistant under the screen's lock (one call at a time, so the index is
never read while it is being written) and report back by posting a message
from `tui.messages` to the screen; none of them touches a widget. The heavy
``qa`` modules (torch) are imported here, off the UI thread, so the window
paints before they load.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from textual.message import Message
from textual.message_pump import MessagePump

from qa.questions import QuestionError
from tui.messages import (
    Answered,
    AnswerFailed,
    AssistantLoaded,
    Indexed,
    IndexFailed,
    IndexProgress,
    LoadFailed,
    LoadProgress,
    QuestionRefused,
    describe_paths,
)

if TYPE_CHECKING:
    from qa import Assistant, Settings
    from tui.widgets import Exchange

AssistantFactory = Callable[[], "Assistant"]


def describe(exc: BaseException) -> str:
    """An exception as users see it: its message, never a traceback."""
    return str(exc) or exc.__class__.__name__


def post(target: MessagePump, message: Message) -> None:
    """Post from a worker thread; dropped quietly if the app has closed meanwhile."""
    try:
        target.post_message(message)
    except RuntimeError:  # the event loop is gone
        pass


def load_assistant(
    target: MessagePump,
    index_dir: Path | None,
    settings: Settings | None,
    factory: AssistantFactory | None,
) -> None:
    """Build the assistant: the factory's, the index folder's, or the default library."""
    try:
        if factory is not None:
            assistant = factory()
        else:
            from qa import Assistant  # heavy: torch loads here, off the UI thread

            if index_dir is not None:
                assistant = Assistant.load(index_dir, settings)
            else:
                assistant = Assistant.default(
                    settings, progress=lambda stage, done, total: post(target, LoadProgress(done, total, stage))
                )
    except Exception as exc:  # shown to the user, never a traceback
        post(target, LoadFailed(describe(exc)))
        return
    post(target, AssistantLoaded(assistant))


def answer(
    target: MessagePump, assistant: Assistant, lock: threading.Lock, exchange: Exchange, k: int,
    guesses: bool = False,
) -> None:
    """Ask ``exchange.question``; up to ``k`` answers (with ``guesses``, those below the threshold too)."""
    try:
        with lock:
            result = assistant.ask(exchange.question, k=k, abstain=not guesses)
    except QuestionError as exc:
        post(target, QuestionRefused(exchange, str(exc)))
        return
    except Exception as exc:
        post(target, AnswerFailed(exchange, describe(exc)))
        return
    post(target, Answered(exchange, result))


def index_paths(
    target: MessagePump, assistant: Assistant, lock: threading.Lock, paths: list[Path]
) -> None:
    """Add files or folders to the assistant's index."""
    from qa import DocumentError

    try:
        with lock:
            report = assistant.add(
                list(paths), progress=lambda stage, done, total: post(target, IndexProgress(done, total, stage))
            )
    except DocumentError as exc:  # says which file and why
        post(target, IndexFailed(str(exc)))
        return
    except Exception as exc:
        post(target, IndexFailed(f"Could not index {describe_paths(paths)}: {describe(exc)}"))
        return
    post(target, Indexed(paths, report))
