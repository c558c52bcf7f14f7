"""Shared plumbing for the pictures: a figure without pyplot's global state, saved atomically as PNG, SVG or PDF."""

from __future__ import annotations

import io
from pathlib import Path

from .files import output_path, write_atomically


def new_figure(width: float, height: float):
    """A matplotlib Figure of the given size in inches, with its own Agg canvas.

    Figures made this way are not registered with pyplot, so nothing leaks
    between calls and no display is needed.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


#: What a picture's file name may end with, and the format written: the name says what the file holds.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def figure_path(path, argument: str = "path") -> Path:
    """``path`` as a Path to write a picture to, checked before the drawing: a file name ending in one of
    :data:`FORMATS` (case aside), which says the format written (PNG bytes in "net.svg" would open as a
    broken picture).

    Raises TypeError (not a path), ValueError (another suffix or none) or IsADirectoryError naming ``argument``.
    """
    path = output_path(path, argument)
    if path.suffix.lower() not in FORMATS:
        *others, last = FORMATS
        raise ValueError(f"{argument}: expected a file name ending {', '.join(others)} or {last} (the format "
                         f"written); got {str(path)!r}")
    return path


def save_figure(fig, path, argument: str = "path") -> Path:
    """Write ``fig`` to ``path`` atomically (see ``files.write_atomically``), in the format its suffix names:
    PNG, SVG (for slides and the web: scales without blurring) or PDF. Raises as :func:`figure_path`."""
    path = figure_path(path, argument)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=FORMATS[path.suffix.lower()], dpi=fig.dpi)
    return write_atomically(path, buffer.getvalue())
