"""Terminal colour: on for a terminal, off for pipes and files, as NO_COLOR / FORCE_COLOR say."""

from __future__ import annotations

import os
from typing import Mapping, Optional, TextIO

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34",
          "magenta": "35", "cyan": "36"}


def color_wanted(stream: TextIO, environ: Optional[Mapping[str, str]] = None) -> bool:
    """NO_COLOR (any non-empty value) turns colour off, then FORCE_COLOR (non-empty, not "0")
    turns it on even for a pipe; otherwise colour only on a terminal that is not TERM=dumb.
    See https://no-color.org and https://force-color.org."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    force = env.get("FORCE_COLOR")
    if force:
        return force.lower() not in ("0", "false")
    return is_terminal(stream) and env.get("TERM") != "dumb"


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


class Painter:
    """`paint(text, "bold", "red")` -> text in ANSI colour, or unchanged when disabled."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles or not text:
            return text
        return f"\x1b[{';'.join(_CODES[s] for s in styles)}m{text}\x1b[0m"
