r"""2-D depthwise convolution as matrix products with banded kernel matrices.

The per-tap multiply-adds of :mod:`convbp._depthwise` run at NumPy's per-row speed,
slow on the short rows of small images. In 2-D there is a product form instead
(:ref:`channels-groups` introduces depthwise layers; the choice of path is described in
:mod:`convbp.convolution`). Output row ``h`` of sample ``n`` and channel ``g`` reads the
input rows ``s_h*h + d_h*i`` (``i < k_h``) of the zero-padded ``x``; laid side by side,
``width`` columns each (the columns any window reads), they form one row ``r[n, h]`` of
``K = k_h * width`` values, and::

    y [n, g*M + m, h, o]            = (r[n, h] @ B[g])[m*W_out + o]
    B[g, i*width + s_w*o + d_w*j, m*W_out + o] = w[g*M + m, 0, i, j]    (zero elsewhere)

``B`` is banded: column ``(m, o)`` holds the ``k_h * k_w`` taps of output column ``o``. The
rows of all samples stack into ``R[g] (N*H_out, K)``, and the forward pass is one
product per channel, ``y[g] = R[g] @ B[g]``. The products multiply ``width / k_w`` times
more values than there are taps, but at BLAS speed; :func:`banded` picks this form
where that pays. Blocks of channels are shared out among the threads
(:func:`convbp._threads.run_blocks`); each block holds all samples of its channels.

The gradients keep the per-tap loops: their banded forms (``dW[g] = R[g].T @ dy[g]``
read along the band; ``dR[g] = dy[g] @ B[g].T`` added back row by row) were measured no
faster (5x5 on 14x14, 64 channels: ``dw`` 7.4 -> 16.2 ms, ``dx`` 11.3 -> 10.1 ms; 3x3
stride 2 on 28x28: ``dw`` 7.5 -> 7.8 ms, ``dx`` 5.2 -> 6.4 ms).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._fastconv import _plan
from ._threads import run_blocks
from .padding import fill

__all__ = ["banded", "forward", "BANDED_SPAN"]

# Columns of the banded matrix per tap (and per unit of stride) up to which the banded
# products beat the per-tap loops (see banded).
BANDED_SPAN = 16


def banded(geom) -> bool:
    """Shape rule: compute the forward pass of a 2-D depthwise layer as products with
    banded kernel matrices rather than per-tap multiply-adds (:mod:`convbp._depthwise`)?

    The products multiply ``width / k_w`` times more values than there are taps
    (``width`` the input columns that the windows of a row read), but at BLAS speed,
    while the per-tap loops run at NumPy's speed on rows one image row long. Banded when
    ``width <= BANDED_SPAN * k_w * s_w`` (the per-tap loops are dearer at stride > 1).
    Measured on the forward pass (interleaved runs, 2 cores, 3x3 unless said): 64
    channels on 14x14 4.5 -> 3.2 ms, on 28x28 11.9 -> 7.2 ms, 5x5 on 28x28 31.8 -> 12.3
    ms, on 40x40 (16 samples) 11.6 -> 7.9 ms, stride 2 on 56x56 23.3 -> 17.9 ms; 128
    channels on 56x56 (16 samples) 20.0 ms per tap, 30.0 ms banded, hence the bound.
    """
    return geom.ndim == 2 and _reach(geom, 1) <= BANDED_SPAN * geom.kernel_size[1] * geom.stride[1]


def _reach(geom, axis: int) -> int:
    """Padded input rows (``axis`` 0) or columns (1) that the windows read."""
    return ((geom.out_size[axis] - 1) * geom.stride[axis]
            + (geom.kernel_size[axis] - 1) * geom.dilation[axis] + 1)


def _band(w, geom, groups: int, dtype, width: int) -> np.ndarray:
    """The banded kernel matrices ``B`` ``(G, k_h * width, M * W_out)``."""
    (kh, kw), sw, dw = geom.kernel_size, geom.stride[1], geom.dilation[1]
    wo = geom.out_size[1]
    mult = w.shape[0] // groups
    band = np.zeros((groups, kh, width, mult, wo), dtype=dtype)
    wk = w.reshape(groups, mult, kh, kw).astype(dtype, copy=False)
    o = np.arange(wo)
    for j in range(kw):            # advanced indices first: (W_out, G, k_h, M)
        band[:, :, sw * o + dw * j, :, o] = wk[:, :, :, j].transpose(0, 2, 1)[None]
    return band.reshape(groups, kh * width, mult * wo)


def forward(x, w, geom, dtype, budget=None) -> np.ndarray:
    """``y[g] = R[g] @ B[g]`` per channel (module docstring); ``w`` is
    ``(G*M, 1, k_h, k_w)``. Per block of channels: ``x`` padded (or cropped) to the
    region the windows read, its rows laid side by side into ``R`` (one strided copy),
    one batched product, one copy to ``(N, C_out, H_out, W_out)``."""
    n, groups = x.shape[:2]
    mult = w.shape[0] // groups
    kh, sh, dh = geom.kernel_size[0], geom.stride[0], geom.dilation[0]
    ho, wo = geom.out_size
    height, width = _reach(geom, 0), _reach(geom, 1)
    pads = tuple((lo, size - lo - n_in) for (lo, _hi), size, n_in
                 in zip(geom.padding, (height, width), geom.in_size))   # hi < 0: a crop
    k = kh * width
    band = _band(w, geom, groups, dtype, width)
    y = np.empty((n, groups, mult, ho, wo), dtype=dtype)
    cost = 2 * n * ho * k * mult * wo * groups
    # per channel: the padded input, its rows side by side, the product (all samples)
    per_channel = n * (height * width + ho * k + ho * mult * wo) * dtype.itemsize
    plan = _plan(groups, (1,), per_channel, x.nbytes + y.nbytes, budget, cost=cost)
    largest = max(gb.stop - gb.start for gb, _ in plan)

    def scratch():
        return (np.empty(largest * n * height * width, dtype=dtype),
                np.empty(largest * n * ho * k, dtype=dtype),
                np.empty(largest * n * ho * mult * wo, dtype=dtype))

    def work(block, bufs):
        gb, _ = block
        g = gb.stop - gb.start
        xp = fill(x[:, gb], pads, (2, 3),
                  bufs[0][: n * g * height * width].reshape(n, g, height, width))
        s_n, s_g, s_h, s_w = xp.strides
        rows = bufs[1][: g * n * ho * k].reshape(g, n, ho, kh, width)
        np.copyto(rows, as_strided(xp, rows.shape, (s_g, s_n, sh * s_h, dh * s_h, s_w),
                                   writeable=False))
        prod = bufs[2][: g * n * ho * mult * wo].reshape(g, n * ho, mult * wo)
        np.matmul(rows.reshape(g, n * ho, k), band[gb], out=prod)
        np.copyto(y[:, gb], prod.reshape(g, n, ho, mult, wo).transpose(1, 0, 3, 2, 4))

    run_blocks(plan, work, scratch, cost=cost)
    return y.reshape(n, groups * mult, ho, wo)
