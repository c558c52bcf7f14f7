"""Shared plumbing for the PNG pictures: a figure without pyplot's global state, saved atomically."""

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


def save_png(fig, path) -> Path:
    """Write ``fig`` as a PNG to ``path`` atomically (see ``files.write_atomically``).

    Raises
    ------
    TypeError if ``path`` is not a str or os.PathLike.
    """
    path = output_path(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return write_atomically(path, buffer.getvalue())
