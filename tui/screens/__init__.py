"""The screens of the terminal chat: the chat itself and its modals."""

from tui.screens.help import HelpScreen
from tui.screens.info import CorpusInfoScreen
from tui.screens.main import MainScreen
from tui.screens.prompt import PathPrompt

__all__ = ["CorpusInfoScreen", "HelpScreen", "MainScreen", "PathPrompt"]
