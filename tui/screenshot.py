"""Write docs/screenshot.svg: the real app answering a question about the seed.

    python -m tui.screenshot [OUTPUT.svg] [--question "..."]
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

DEFAULT_QUESTION = "Which car was the bomb placed under?"
ROOT = Path(__file__).resolve().parents[1]


async def capture(output: Path, question: str, size: tuple[int, int] = (120, 34)) -> Path:
    from qa import Assistant, Settings
    from tui.app import QAApp

    settings = Settings.from_env()
    # In memory: no cache writes.
    assistant = Assistant.from_paths([settings.corpus_dir], settings=settings)
    app = QAApp(assistant_factory=lambda: assistant, settings=settings)
    app.animation_level = "none"
    screen = app.main_screen
    async with app.run_test(size=size) as pilot:
        screen.question_input.cursor_blink = False
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await screen.ask(question)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("ctrl+n")  # open the best answer's citation
        await pilot.pause()
        await pilot.pause()
        screen.question_input.focus()  # show the question box ready for the next one
        await pilot.pause()
        output.parent.mkdir(parents=True, exist_ok=True)
        app.save_screenshot(filename=output.name, path=str(output.parent))
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", nargs="?", type=Path, default=ROOT / "docs" / "screenshot.svg")
    parser.add_argument("--question", default=DEFAULT_QUESTION)
    args = parser.parse_args()
    print(asyncio.run(capture(args.output, args.question)))


if __name__ == "__main__":
    main()
