"""Animations as GIF bytes: self-contained, play offline, and byte-for-byte deterministic.

A notebook shows the bytes with :func:`show_gif`; nbval then compares the stored
``image/gif`` output exactly, so the animation in the book is the one the code draws.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["figure_to_rgb", "frames_to_gif", "show_figure", "show_gif"]


def figure_to_rgb(fig: Figure) -> np.ndarray:
    """Render a Matplotlib figure with the Agg renderer.

    Returns
    -------
    ndarray, shape (height, width, 3), dtype uint8
    """
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def frames_to_gif(frames: Iterable[Figure], *, duration_ms: int = 900,
                  last_duration_ms: int | None = 2000, loop: int = 0) -> bytes:
    """Encode figures as the frames of a looping GIF.

    Parameters
    ----------
    frames : iterable of matplotlib.figure.Figure
        Figures of equal size (created with ``matplotlib.figure.Figure``, not pyplot,
        so nothing is left open).
    duration_ms : int
        Display time of each frame.
    last_duration_ms : int or None
        Display time of the last frame (a pause before the loop restarts).
    loop : int
        0 loops forever.

    Returns
    -------
    bytes
        A GIF89a file.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figs = []
    >>> for i in range(2):
    ...     fig = Figure(figsize=(1, 1), dpi=20)
    ...     _ = fig.add_subplot().text(0.5, 0.5, str(i))
    ...     figs.append(fig)
    >>> gif = frames_to_gif(figs)
    >>> gif[:6], Image.open(io.BytesIO(gif)).n_frames
    (b'GIF89a', 2)
    """
    images = [Image.fromarray(figure_to_rgb(f)) for f in frames]
    if not images:
        raise ValueError("frames_to_gif: frames must hold at least one figure, got none")
    if len({im.size for im in images}) != 1:
        raise ValueError(f"frames_to_gif: frames must all have one size, got "
                         f"{sorted({im.size for im in images})}")
    # One palette for all frames (from a mosaic of them) keeps colours steady.
    mosaic = Image.fromarray(np.concatenate([np.asarray(im) for im in images], axis=0))
    palette = mosaic.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    quantized = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    durations = [duration_ms] * len(quantized)
    if last_duration_ms is not None:
        durations[-1] = last_duration_ms
    buf = io.BytesIO()
    quantized[0].save(buf, format="GIF", save_all=True, append_images=quantized[1:],
                      duration=durations, loop=loop, optimize=False)
    return buf.getvalue()


def show_figure(fig: Figure, *, dpi: int = 110):
    """Wrap a figure as a PNG for display in a notebook.

    The notebook stores ``image/png`` (which nbval does not compare pixel by pixel) and
    a fixed ``text/plain`` line, so no volatile ``<Figure at 0x...>`` repr reaches the
    stored outputs, and no pyplot state is involved.
    """
    from IPython.display import Image as IPyImage

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return IPyImage(data=buf.getvalue(), format="png")


def show_gif(gif: bytes):
    """Wrap GIF bytes for display in a notebook (stored as ``image/gif``)."""
    from IPython.display import Image as IPyImage

    return IPyImage(data=gif, format="gif")
