"""convbp: convolution and its backward pass, for every stride, padding, dilation and group.

The companion package of the convbp book. The fast path (:func:`conv`,
:func:`conv_backward`, :func:`conv_transpose`, pooling) is vectorized NumPy; the
readable paths (:func:`conv_backward_as_convolutions`, :mod:`convbp.reference`) state
the same maths as the book, and the tests prove all of them equal.

Conventions follow PyTorch: ``x`` is ``(N, C_in, *spatial)``, ``w`` is
``(C_out, C_in // groups, *kernel)``, and ``dilation=1`` means no dilation.
"""

from . import geometry, gradcheck, reference
from ._types import Gradients
from .convolution import conv, conv_backward, conv_transpose
from .lppool import lp_pool, lp_pool_backward
from .pool import avg_pool, avg_pool_backward, max_pool, max_pool_backward
from .padding import pad_or_crop
from .recipe import conv_backward_as_convolutions, dilate, flip

__version__ = "0.1.0"

# Subpackages loaded on first use (SymPy and Matplotlib are slow to import).
_LAZY = ("nn", "symbolic", "viz")


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'convbp' has no attribute {name!r}")

__all__ = [
    "Gradients",
    "avg_pool",
    "avg_pool_backward",
    "conv",
    "conv_backward",
    "conv_backward_as_convolutions",
    "conv_transpose",
    "dilate",
    "flip",
    "geometry",
    "gradcheck",
    "lp_pool",
    "lp_pool_backward",
    "max_pool",
    "max_pool_backward",
    "nn",
    "pad_or_crop",
    "reference",
    "symbolic",
    "viz",
]
