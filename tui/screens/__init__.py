"""Modal screens of the terminal chat."""

from tui.screens.help import HelpScreen
from tui.screens.info import CorpusInfoScreen
from tui.screens.prompt import PathPrompt

__all__ = ["CorpusInfoScreen", "HelpScreen", "PathPrompt"]
