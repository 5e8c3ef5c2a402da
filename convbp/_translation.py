r"""The translation table convbp <-> PyTorch <-> JAX <-> TensorFlow, as data.

One place holds every row: the short cells of the table, the code of a worked
example per row, and the claims about each framework. The appendix
:ref:`translation-table` renders them (:func:`table_markdown`, :func:`show`), and
``tests/test_translation.py`` executes them: for every :class:`Snippet` it runs
the row's ``setup`` and ``convbp`` code (which set ``want``), then the snippet
with its framework imported (which sets ``got``), and checks the claim:
``"equal"`` (``got`` equals ``want``), ``"differs"`` (it does not: the pitfall is
real) or ``"raises"`` (the framework refuses, with the message given). So the page
cannot state a convention that the tests do not prove.

The code here is text: nothing in this module imports a framework. Conventions
(the book's notation): ``x`` is ``(N, C_in, H, W)``, ``w`` is
``(C_out, C_in/G, kh, kw)``, ``dy`` is the gradient of the output ``y``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np

__all__ = ["FRAMEWORKS", "VERSIONS", "PREAMBLE", "COMMON", "Snippet", "Row", "ROWS",
           "row", "table_markdown", "row_markdown", "preamble_markdown",
           "versions_markdown", "run_convbp", "summary", "show"]

#: Framework name -> importable module.
FRAMEWORKS = {"PyTorch": "torch", "JAX": "jax", "TensorFlow": "tensorflow"}

#: The versions ``.ci/run`` installs and proves every row against.
VERSIONS = {"PyTorch": "torch==2.13.0", "JAX": "jax[cpu]==0.10.2",
            "TensorFlow": "tensorflow-cpu==2.21.0"}


def _code(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


#: Code that runs before every example (shown once at the top of the appendix).
COMMON = _code('''
    import numpy as np
    import convbp
    from convbp.geometry import conv_geometry, same_padding

    rng = np.random.default_rng(0)

    def nhwc(a):   # (N, C, H, W) -> (N, H, W, C)
        return np.transpose(np.asarray(a), (0, 2, 3, 1))

    def nchw(a):   # (N, H, W, C) -> (N, C, H, W)
        return np.transpose(np.asarray(a), (0, 3, 1, 2))

    def hwio(w):   # (C_out, C_in/G, kh, kw) -> (kh, kw, C_in/G, C_out)
        return np.transpose(np.asarray(w), (2, 3, 1, 0))
''')

#: Framework name -> its imports (run before each of its snippets).
PREAMBLE = {
    "PyTorch": _code('''
        import torch
        import torch.nn.functional as F
        T = torch.from_numpy          # a tensor sharing the NumPy array
    '''),
    "JAX": _code('''
        import jax
        from jax import lax
        jax.config.update("jax_enable_x64", True)   # float64, like NumPy
    '''),
    "TensorFlow": _code('''
        import tensorflow as tf
    '''),
}


@dataclass(frozen=True)
class Snippet:
    """Framework code that sets ``got``, and what the tests require of it.

    Attributes
    ----------
    framework : str
        A key of :data:`FRAMEWORKS`.
    code : str
        Python that runs after the row's setup and convbp code (so it sees ``x``,
        ``w``, ``want``, ...) and the framework's :data:`PREAMBLE`.
    expect : {"equal", "differs", "raises"}
        ``got`` equals ``want``; ``got`` differs from ``want`` (in shape or
        values: a pitfall); or the code raises ``error``.
    error : tuple of (str, str)
        For ``"raises"``: the exception's class name and a regular expression
        its message matches.
    """

    framework: str
    code: str
    expect: str = "equal"
    error: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "code", _code(self.code))
        if self.framework not in FRAMEWORKS:
            raise ValueError(f"Snippet: framework must be one of {list(FRAMEWORKS)}, "
                             f"got {self.framework!r}")
        if self.expect not in ("equal", "differs", "raises"):
            raise ValueError(f"Snippet: expect must be 'equal', 'differs' or 'raises', "
                             f"got {self.expect!r}")
        if (self.expect == "raises") != bool(self.error):
            raise ValueError("Snippet: error is given exactly when expect='raises', "
                             f"got expect={self.expect!r}, error={self.error!r}")


@dataclass(frozen=True)
class Row:
    """One row of the translation table.

    Attributes
    ----------
    key : str
        Short identifier (used by :func:`show` and the tests).
    what : str
        The first column: what the row translates.
    cells : dict
        Framework name (and ``"convbp"``) -> Markdown text of its cell.
    setup : str
        NumPy code that makes the example's arrays.
    convbp : str
        convbp code that sets ``want``.
    snippets : tuple of Snippet
    """

    key: str
    what: str
    cells: dict
    setup: str
    convbp: str
    snippets: tuple = field(default_factory=tuple)

    def __post_init__(self):
        object.__setattr__(self, "setup", _code(self.setup))
        object.__setattr__(self, "convbp", _code(self.convbp))
        want = {"convbp", *FRAMEWORKS}
        if set(self.cells) != want:
            raise ValueError(f"Row {self.key!r}: cells must have the keys {sorted(want)}, "
                             f"got {sorted(self.cells)}")


_PAD1 = "[[0, 0], [1, 1], [1, 1], [0, 0]]"

ROWS = (
    Row(
        key="layout-x",
        what="Layout of `x`, `y`",
        cells={
            "convbp": "`(N, C, H, W)`",
            "PyTorch": "`(N, C, H, W)`",
            "JAX": "`dimension_numbers`; default NCHW",
            "TensorFlow": "`(N, H, W, C)`; NCHW refused on CPU",
        },
        setup='''
            x = rng.standard_normal((2, 3, 5, 6))     # (N, C_in, H, W)
            w = rng.standard_normal((4, 3, 3, 2))     # (C_out, C_in, kh, kw)
        ''',
        convbp='''
            want = convbp.conv(x, w)                  # (N, C_out, H', W')
        ''',
        snippets=(
            Snippet("PyTorch", '''
                got = F.conv2d(T(x), T(w)).numpy()    # NCHW in and out
            '''),
            Snippet("JAX", '''
                y = lax.conv_general_dilated(x, w, (1, 1), "VALID")
                got = np.asarray(y)                   # NCHW by default
            '''),
            Snippet("JAX", '''
                dn = ("NHWC", "OIHW", "NHWC")         # layouts of x, w, y
                y = lax.conv_general_dilated(
                    x.transpose(0, 2, 3, 1), w, (1, 1), "VALID",
                    dimension_numbers=dn)
                got = np.asarray(y).transpose(0, 3, 1, 2)
            '''),
            Snippet("TensorFlow", '''
                x_tf = x.transpose(0, 2, 3, 1)        # (N, H, W, C_in)
                w_tf = w.transpose(2, 3, 1, 0)        # (kh, kw, C_in, C_out)
                y = tf.nn.conv2d(x_tf, w_tf, strides=1, padding="VALID")
                got = y.numpy().transpose(0, 3, 1, 2)
            '''),
            Snippet("TensorFlow", '''
                y = tf.nn.conv2d(x, hwio(w), strides=1, padding="VALID",
                                 data_format="NCHW")
            ''', expect="raises",
                error=("UnimplementedError", "only supports the NHWC tensor format")),
        ),
    ),
    Row(
        key="layout-w",
        what="Layout of `w`",
        cells={
            "convbp": "`(C_out, C_in/G, kh, kw)`",
            "PyTorch": "the same (OIHW)",
            "JAX": "`dimension_numbers`: OIHW, HWIO, ...",
            "TensorFlow": "`(kh, kw, C_in/G, C_out)`, a transpose",
        },
        setup='''
            x = rng.standard_normal((2, 3, 6, 6))
            w = rng.standard_normal((4, 3, 3, 2))     # (C_out, C_in, kh, kw)
        ''',
        convbp='''
            want = convbp.conv(x, w)
        ''',
        snippets=(
            Snippet("PyTorch", '''
                got = F.conv2d(T(x), T(w)).numpy()    # the same layout
            '''),
            Snippet("JAX", '''
                w_hwio = w.transpose(2, 3, 1, 0)      # (kh, kw, C_in, C_out)
                dn = ("NCHW", "HWIO", "NCHW")
                y = lax.conv_general_dilated(x, w_hwio, (1, 1), "VALID",
                                             dimension_numbers=dn)
                got = np.asarray(y)
            '''),
            Snippet("TensorFlow", '''
                w_tf = w.transpose(2, 3, 1, 0)        # (kh, kw, C_in, C_out)
                got = nchw(tf.nn.conv2d(nhwc(x), w_tf, 1, "VALID"))
            '''),
            Snippet("TensorFlow", '''
                w_tf = w.reshape(3, 2, 3, 4)          # right shape, wrong order
                got = nchw(tf.nn.conv2d(nhwc(x), w_tf, 1, "VALID"))
            ''', expect="differs"),
        ),
    ),
    Row(
        key="names",
        what="Argument names",
        cells={
            "convbp": "`stride`, `padding`, `dilation`, `groups`",
            "PyTorch": "the same",
            "JAX": "`window_strides`, `padding`, `rhs_dilation`, `feature_group_count`",
            "TensorFlow": "`strides`, `padding`, `dilations`; groups from `w.shape[2]`",
        },
        setup='''
            x = rng.standard_normal((2, 4, 9, 8))
            w = rng.standard_normal((6, 2, 3, 3))     # C_in/G = 2: G = 2
        ''',
        convbp='''
            want = convbp.conv(x, w, stride=2, padding=1, dilation=2,
                               groups=2)
        ''',
        snippets=(
            Snippet("PyTorch", '''
                y = F.conv2d(T(x), T(w), stride=2, padding=1, dilation=2,
                             groups=2)
                got = y.numpy()
            '''),
            Snippet("JAX", '''
                y = lax.conv_general_dilated(
                    x, w, window_strides=(2, 2), padding=[(1, 1), (1, 1)],
                    rhs_dilation=(2, 2), feature_group_count=2)
                got = np.asarray(y)
            '''),
            Snippet("TensorFlow", f'''
                y = tf.nn.conv2d(nhwc(x), hwio(w), strides=2, dilations=2,
                                 padding={_PAD1})
                got = nchw(y)                         # groups: 4 / 2 = 2
            '''),
        ),
    ),
    Row(
        key="padding-pairs",
        what="Asymmetric padding",
        cells={
            "convbp": "`((1, 0), (2, 1))`",
            "PyTorch": "`F.pad(x, (2, 1, 1, 0))`: last axis first",
            "JAX": "`[(1, 0), (2, 1)]`",
            "TensorFlow": "`[[0, 0], [1, 0], [2, 1], [0, 0]]`",
        },
        setup='''
            x = rng.standard_normal((2, 3, 6, 7))
            w = rng.standard_normal((4, 3, 3, 3))
        ''',
        convbp='''
            want = convbp.conv(x, w, padding=((1, 0), (2, 1)))   # H, then W
        ''',
        snippets=(
            Snippet("PyTorch", '''
                x_pad = F.pad(T(x), (2, 1, 1, 0))     # (W lo, W hi, H lo, H hi)
                got = F.conv2d(x_pad, T(w)).numpy()
            '''),
            Snippet("PyTorch", '''
                x_pad = F.pad(T(x), (1, 0, 2, 1))     # read as (H, W): wrong
                got = F.conv2d(x_pad, T(w)).numpy()
            ''', expect="differs"),
            Snippet("JAX", '''
                y = lax.conv_general_dilated(x, w, (1, 1),
                                             [(1, 0), (2, 1)])
                got = np.asarray(y)
            '''),
            Snippet("TensorFlow", '''
                pads = [[0, 0], [1, 0], [2, 1], [0, 0]]   # N, H, W, C
                got = nchw(tf.nn.conv2d(nhwc(x), hwio(w), 1, pads))
            '''),
        ),
    ),
    Row(
        key="conv",
        what="Convolution",
        cells={
            "convbp": "`conv(x, w, b, ...)`",
            "PyTorch": "`F.conv2d(x, w, b, ...)`",
            "JAX": "`lax.conv_general_dilated`, then `+ b`",
            "TensorFlow": "`tf.nn.conv2d`, then `+ b`",
        },
        setup='''
            x = rng.standard_normal((2, 3, 8, 7))
            w = rng.standard_normal((4, 3, 3, 3))
            b = rng.standard_normal(4)
        ''',
        convbp='''
            want = convbp.conv(x, w, b, stride=2, padding=1)
        ''',
        snippets=(
            Snippet("PyTorch", '''
                y = F.conv2d(T(x), T(w), T(b), stride=2, padding=1)
                got = y.numpy()
            '''),
            Snippet("JAX", '''
                y = lax.conv_general_dilated(x, w, (2, 2), [(1, 1), (1, 1)])
                got = np.asarray(y + b[:, None, None])
            '''),
            Snippet("TensorFlow", f'''
                y = tf.nn.conv2d(nhwc(x), hwio(w), 2, {_PAD1})
                got = nchw(tf.nn.bias_add(y, b))
            '''),
        ),
    ),
    Row(
        key="dx",
        what="Input gradient",
        cells={
            "convbp": "`conv_backward(...).dx`",
            "PyTorch": "`nn.grad.conv2d_input(x.shape, ...)`",
            "JAX": "`jax.vjp`",
            "TensorFlow": "`conv2d_backprop_input(input_sizes, ...)`",
        },
        setup='''
            x = rng.standard_normal((2, 3, 8, 8))
            w = rng.standard_normal((4, 3, 3, 3))
            dy = rng.standard_normal((2, 4, 4, 4))    # 4 outputs, r = 1
        ''',
        convbp='''
            grads = convbp.conv_backward(dy, x, w, stride=2, padding=1)
            want = grads.dx
        ''',
        snippets=(
            Snippet("PyTorch", '''
                dx = torch.nn.grad.conv2d_input(x.shape, T(w), T(dy),
                                                stride=2, padding=1)
                got = dx.numpy()
            '''),
            Snippet("PyTorch", '''
                dx = torch.nn.grad.conv2d_input((2, 3, 7, 7), T(w), T(dy),
                                                stride=2, padding=1)
                got = dx.numpy()              # 7 rows also give 4 outputs
            ''', expect="differs"),
            Snippet("JAX", '''
                def f(x):
                    return lax.conv_general_dilated(x, w, (2, 2),
                                                    [(1, 1), (1, 1)])
                y, pullback = jax.vjp(f, x)
                got = np.asarray(pullback(dy)[0])
            '''),
            Snippet("TensorFlow", f'''
                dx = tf.compat.v1.nn.conv2d_backprop_input(
                    nhwc(x).shape, hwio(w), nhwc(dy), [1, 2, 2, 1],
                    {_PAD1})
                got = nchw(dx)
            '''),
        ),
    ),
    Row(
        key="dw",
        what="Weight and bias gradients",
        cells={
            "convbp": "`conv_backward(...).dw`, `.db`",
            "PyTorch": "`nn.grad.conv2d_weight(x, w.shape, ...)`",
            "JAX": "`jax.vjp`",
            "TensorFlow": "`conv2d_backprop_filter(...)`, HWIO",
        },
        setup='''
            x = rng.standard_normal((2, 3, 8, 8))
            w = rng.standard_normal((4, 3, 3, 3))
            b = rng.standard_normal(4)
            dy = rng.standard_normal((2, 4, 4, 4))
        ''',
        convbp='''
            grads = convbp.conv_backward(dy, x, w, stride=2, padding=1)
            want = grads.dw, grads.db
        ''',
        snippets=(
            Snippet("PyTorch", '''
                dw = torch.nn.grad.conv2d_weight(T(x), w.shape, T(dy),
                                                 stride=2, padding=1)
                got = dw.numpy(), dy.sum(axis=(0, 2, 3))
            '''),
            Snippet("JAX", '''
                def f(w, b):
                    y = lax.conv_general_dilated(x, w, (2, 2),
                                                 [(1, 1), (1, 1)])
                    return y + b[:, None, None]
                y, pullback = jax.vjp(f, w, b)
                got = tuple(np.asarray(a) for a in pullback(dy))
            '''),
            Snippet("TensorFlow", f'''
                dw = tf.compat.v1.nn.conv2d_backprop_filter(
                    nhwc(x), hwio(w).shape, nhwc(dy), [1, 2, 2, 1],
                    {_PAD1})
                db = tf.reduce_sum(nhwc(dy), axis=(0, 1, 2))
                got = dw.numpy().transpose(3, 2, 0, 1), db.numpy()
            '''),
        ),
    ),
    Row(
        key="transpose",
        what="Transposed convolution",
        cells={
            "convbp": "`conv_transpose`, `w` is `(C_in, C_out/G, k...)`, `output_padding`",
            "PyTorch": "`F.conv_transpose2d`, the same `w` and `output_padding`",
            "JAX": "`lax.conv_transpose(..., transpose_kernel=True)`",
            "TensorFlow": "`tf.nn.conv2d_transpose`, `w` is `(kh, kw, C_out, C_in)`, `output_shape`",
        },
        setup='''
            x = rng.standard_normal((2, 4, 4, 5))     # (N, C_in, H, W)
            w = rng.standard_normal((4, 3, 3, 3))     # (C_in, C_out, kh, kw)
        ''',
        convbp='''
            want = convbp.conv_transpose(x, w, stride=2, padding=1,
                                         output_padding=1)   # (2, 3, 8, 10)
        ''',
        snippets=(
            Snippet("PyTorch", '''
                y = F.conv_transpose2d(T(x), T(w), stride=2, padding=1,
                                       output_padding=1)
                got = y.numpy()
            '''),
            Snippet("JAX", '''
                dn = ("NCHW", "OIHW", "NCHW")   # w named as the forward kernel
                y = lax.conv_transpose(x, w, (2, 2), [(1, 2), (1, 2)],
                                       dimension_numbers=dn,
                                       transpose_kernel=True)
                got = np.asarray(y)
            '''),
            Snippet("TensorFlow", f'''
                w_tf = w.transpose(2, 3, 1, 0)        # (kh, kw, C_out, C_in)
                y = tf.nn.conv2d_transpose(nhwc(x), w_tf, (2, 8, 10, 3),
                                           2, {_PAD1})
                got = nchw(y)
            '''),
            Snippet("TensorFlow", f'''
                w_tf = w.transpose(2, 3, 1, 0)
                y = tf.nn.conv2d_transpose(nhwc(x), w_tf, (2, 7, 9, 3),
                                           2, {_PAD1})
                got = nchw(y)                 # output_padding 0: 7 x 9
            ''', expect="differs"),
        ),
    ),
    Row(
        key="transpose-kernel",
        what="Kernel flip of a transposed conv",
        cells={
            "convbp": "flipped for you",
            "PyTorch": "flipped for you",
            "JAX": "only with `transpose_kernel=True`",
            "TensorFlow": "flipped for you",
        },
        setup='''
            x = rng.standard_normal((2, 4, 4, 5))     # (N, C_in, H, W)
            w = rng.standard_normal((4, 3, 3, 3))     # (C_in, C_out, kh, kw)
            # the correlation that conv_transpose is: flipped kernel,
            # channel axes swapped, on x dilated by s = 2 and padded by
            # (P_lo, P_hi) = (d(k-1) - p, d(k-1) - p + output_padding)
            w_corr = convbp.flip(w).swapaxes(0, 1)    # (C_out, C_in, kh, kw)
            x_hat = np.pad(convbp.dilate(x, 2),
                           ((0, 0), (0, 0), (1, 2), (1, 2)))
        ''',
        convbp='''
            want = convbp.conv_transpose(x, w, stride=2, padding=1,
                                         output_padding=1)
            assert np.allclose(want, convbp.conv(x_hat, w_corr))
        ''',
        snippets=(
            Snippet("PyTorch", '''
                y = F.conv2d(T(x_hat), T(w_corr.copy()))
                got = y.numpy()
            '''),
            Snippet("JAX", '''
                dn = ("NCHW", "OIHW", "NCHW")
                y = lax.conv_transpose(x, w_corr, (2, 2), [(1, 2), (1, 2)],
                                       dimension_numbers=dn)  # no flip
                got = np.asarray(y)
            '''),
            Snippet("JAX", '''
                dn = ("NCHW", "IOHW", "NCHW")   # w unflipped, channels ok
                y = lax.conv_transpose(x, w, (2, 2), [(1, 2), (1, 2)],
                                       dimension_numbers=dn)
                got = np.asarray(y)
            ''', expect="differs"),
            Snippet("JAX", '''
                w_hwio = w_corr.transpose(2, 3, 1, 0)   # (kh, kw, C_in, C_out)
                y = lax.conv_transpose(nhwc(x), w_hwio, (2, 2),
                                       [(1, 2), (1, 2)])  # NHWC, HWIO
                got = nchw(y)
            '''),
            Snippet("TensorFlow", '''
                y = tf.nn.conv2d(nhwc(x_hat), hwio(w_corr), 1, "VALID")
                got = nchw(y)
            '''),
        ),
    ),
    Row(
        key="transpose-padding",
        what="Padding of a transposed conv",
        cells={
            "convbp": "forward `padding`",
            "PyTorch": "forward ints only",
            "JAX": 'pairs are `(P_lo, P_hi)`; `"SAME"` is forward',
            "TensorFlow": '`"SAME"` with `output_shape`',
        },
        setup='''
            x = rng.standard_normal((2, 4, 4, 5))     # (N, C_in, H, W)
            w = rng.standard_normal((4, 3, 3, 4))     # kernel 3 x 4
            # TF's "SAME" transposed: the adjoint of a "SAME" conv on
            # an input of s*n rows
            pads = [same_padding(2 * n, k, 2)
                    for n, k in zip(x.shape[2:], w.shape[2:])]
            extra = [max(2 - k, 0) for k in w.shape[2:]]
        ''',
        convbp='''
            want = convbp.conv_transpose(x, w, stride=2, padding=pads,
                                         output_padding=extra)
            print(pads, extra, want.shape)
        ''',
        snippets=(
            Snippet("PyTorch", '''
                y = F.conv_transpose2d(T(x), T(w), stride=2)   # pad 0 ...
                got = y[:, :, 0:-1, 1:-1].numpy()   # ... then crop (lo, hi)
            '''),
            Snippet("PyTorch", '''
                y = F.conv_transpose2d(T(x), T(w), stride=2, padding="same")
            ''', expect="raises", error=("TypeError", "must be tuple of ints")),
            Snippet("JAX", '''
                dn = ("NCHW", "OIHW", "NCHW")
                y = lax.conv_transpose(x, w, (2, 2), "SAME",
                                       dimension_numbers=dn,
                                       transpose_kernel=True)
                got = np.asarray(y)
            '''),
            Snippet("JAX", '''
                dn = ("NCHW", "OIHW", "NCHW")
                y = lax.conv_transpose(x, w, (2, 2), pads,   # forward pads
                                       dimension_numbers=dn,
                                       transpose_kernel=True)
                got = np.asarray(y)           # but read as (P_lo, P_hi)
            ''', expect="differs"),
            Snippet("JAX", '''
                P = [(k - 1 - lo, k - 1 - hi)   # (P_lo, P_hi), d = 1, r = 0
                     for k, (lo, hi) in zip(w.shape[2:], pads)]
                dn = ("NCHW", "OIHW", "NCHW")
                y = lax.conv_transpose(x, w, (2, 2), P,
                                       dimension_numbers=dn,
                                       transpose_kernel=True)
                got = np.asarray(y)
            '''),
            Snippet("JAX", '''
                dn = ("NCHW", "OIHW", "NCHW")
                y = lax.conv_transpose(x, w, (2, 2), tuple(pads),
                                       dimension_numbers=dn,
                                       transpose_kernel=True,
                                       use_consistent_padding=True)
                got = np.asarray(y)
            '''),
            Snippet("TensorFlow", '''
                w_tf = w.transpose(2, 3, 1, 0)        # (kh, kw, C_out, C_in)
                y = tf.nn.conv2d_transpose(nhwc(x), w_tf, (2, 8, 10, 3),
                                           strides=2, padding="SAME")
                got = nchw(y)
            '''),
        ),
    ),
    Row(
        key="lhs-rhs-dilation",
        what="Stride as dilation of `dy`",
        cells={
            "convbp": "`dilate(dy, s)`, then `dilation=d`",
            "PyTorch": "`conv_transpose2d(dy, w, ...)`",
            "JAX": "`lhs_dilation=s`, `rhs_dilation=d`",
            "TensorFlow": "dilate `dy` yourself",
        },
        setup='''
            x = rng.standard_normal((2, 3, 10, 9))
            w = rng.standard_normal((4, 3, 3, 3))
            geom = conv_geometry("conv", x.shape[2:], w.shape[2:],
                                 stride=3, padding=1, dilation=2)
            dy = rng.standard_normal((2, 4, *geom.out_size))
            w_t = convbp.flip(w).swapaxes(0, 1)       # (C_in, C_out, kh, kw)
            P = geom.dx_padding                       # (P_lo, P_hi) per axis
        ''',
        convbp='''
            grads = convbp.conv_backward(dy, x, w, stride=3, padding=1,
                                     dilation=2)
            want = grads.dx
            dy_hat = np.pad(convbp.dilate(dy, 3), ((0, 0), (0, 0), *P))
            assert np.allclose(want, convbp.conv(dy_hat, w_t, dilation=2))
        ''',
        snippets=(
            Snippet("PyTorch", '''
                y = F.conv_transpose2d(T(dy), T(w), stride=3, padding=1,
                                       output_padding=geom.remainder,
                                       dilation=2)
                got = y.numpy()
            '''),
            Snippet("JAX", '''
                y = lax.conv_general_dilated(
                    dy, w_t, (1, 1), P,
                    lhs_dilation=(3, 3),      # the forward stride s
                    rhs_dilation=(2, 2))      # the kernel dilation d
                got = np.asarray(y)
            '''),
            Snippet("JAX", '''
                y = lax.conv_general_dilated(
                    dy, w_t, (1, 1), P,
                    lhs_dilation=(2, 2), rhs_dilation=(3, 3))   # swapped
                got = np.asarray(y)
            ''', expect="differs"),
            Snippet("TensorFlow", '''
                dy_hat = np.pad(convbp.dilate(dy, 3), ((0, 0), (0, 0), *P))
                y = tf.nn.conv2d(nhwc(dy_hat), hwio(w_t), 1, "VALID",
                                 dilations=2)
                got = nchw(y)
            '''),
        ),
    ),
    Row(
        key="same-torch",
        what="\"same\" and \"valid\" at stride 1",
        cells={
            "convbp": "`padding=\"same\"`, `\"valid\"`; \"same\" refuses stride > 1",
            "PyTorch": "`padding=\"same\"`, `\"valid\"`; odd pixel at the end",
            "JAX": "`\"SAME\"`, `\"VALID\"`",
            "TensorFlow": "`\"SAME\"`, `\"VALID\"`",
        },
        setup='''
            x = rng.standard_normal((2, 3, 9, 8))
            w = rng.standard_normal((4, 3, 4, 2))     # even kernel sizes
        ''',
        convbp='''
            want = (convbp.conv(x, w, padding="same", dilation=(1, 3)),
                    convbp.conv(x, w, padding="valid"))
            print(conv_geometry("conv", x.shape[2:], w.shape[2:], 1, "same",
                                (1, 3)).padding)
        ''',
        snippets=(
            Snippet("PyTorch", '''
                got = (F.conv2d(T(x), T(w), padding="same",
                                dilation=(1, 3)).numpy(),
                       F.conv2d(T(x), T(w), padding="valid").numpy())
            '''),
            Snippet("JAX", '''
                conv = lax.conv_general_dilated
                got = (np.asarray(conv(x, w, (1, 1), "SAME",
                                       rhs_dilation=(1, 3))),
                       np.asarray(conv(x, w, (1, 1), "VALID")))
            '''),
            Snippet("TensorFlow", '''
                got = (nchw(tf.nn.conv2d(nhwc(x), hwio(w), 1, "SAME",
                                         dilations=(1, 3))),
                       nchw(tf.nn.conv2d(nhwc(x), hwio(w), 1, "VALID")))
            '''),
        ),
    ),
    Row(
        key="same-tf",
        what='"SAME" at stride > 1',
        cells={
            "convbp": "`same_padding(n, k, s, d)`: odd pixel at the end",
            "PyTorch": '`"same"` refuses stride > 1',
            "JAX": '`"SAME"`',
            "TensorFlow": '`"SAME"`, any stride',
        },
        setup='''
            x = rng.standard_normal((2, 3, 9, 8))
            w = rng.standard_normal((4, 3, 4, 3))     # an even kernel height
            pads = [same_padding(n, k, 2)
                    for n, k in zip(x.shape[2:], w.shape[2:])]
        ''',
        convbp='''
            want = convbp.conv(x, w, stride=2, padding=pads)
            print(pads, want.shape)
        ''',
        snippets=(
            Snippet("PyTorch", '''
                (h_lo, h_hi), (w_lo, w_hi) = pads
                x_pad = F.pad(T(x), (w_lo, w_hi, h_lo, h_hi))
                got = F.conv2d(x_pad, T(w), stride=2).numpy()
            '''),
            Snippet("PyTorch", '''
                y = F.conv2d(T(x), T(w), stride=2, padding="same")
            ''', expect="raises",
                error=("RuntimeError", "not supported for strided convolutions")),
            Snippet("JAX", '''
                y = lax.conv_general_dilated(x, w, (2, 2), "SAME")
                got = np.asarray(y)
            '''),
            Snippet("TensorFlow", '''
                got = nchw(tf.nn.conv2d(nhwc(x), hwio(w), 2, "SAME"))
            '''),
        ),
    ),
    Row(
        key="dilation",
        what="Dilation",
        cells={
            "convbp": "`dilation=2`; 1 means none",
            "PyTorch": "`dilation=2`",
            "JAX": "`rhs_dilation=(2, 2)`",
            "TensorFlow": "`dilations=2`; no gradient on CPU",
        },
        setup='''
            x = rng.standard_normal((2, 3, 9, 8))
            w = rng.standard_normal((4, 3, 3, 3))
        ''',
        convbp='''
            want = convbp.conv(x, w, stride=2, padding=2, dilation=2)
        ''',
        snippets=(
            Snippet("PyTorch", '''
                y = F.conv2d(T(x), T(w), stride=2, padding=2, dilation=2)
                got = y.numpy()
            '''),
            Snippet("JAX", '''
                y = lax.conv_general_dilated(x, w, (2, 2), [(2, 2), (2, 2)],
                                             rhs_dilation=(2, 2))
                got = np.asarray(y)
            '''),
            Snippet("TensorFlow", '''
                pads = [[0, 0], [2, 2], [2, 2], [0, 0]]
                y = tf.nn.conv2d(nhwc(x), hwio(w), 2, pads, dilations=2)
                got = nchw(y)
            '''),
            Snippet("TensorFlow", '''
                x_tf = tf.constant(nhwc(x))
                with tf.GradientTape() as tape:
                    tape.watch(x_tf)
                    y = tf.nn.conv2d(x_tf, hwio(w), 1, "VALID",
                                     dilations=2)
                dx = tape.gradient(y, x_tf)
            ''', expect="raises",
                error=("InvalidArgumentError", "dilation rates larger than 1")),
        ),
    ),
    Row(
        key="groups",
        what="Groups, depthwise",
        cells={
            "convbp": "`groups=G`",
            "PyTorch": "`groups=G`",
            "JAX": "`feature_group_count=G`",
            "TensorFlow": "from `w.shape[2]`; `depthwise_conv2d`",
        },
        setup='''
            x = rng.standard_normal((2, 4, 7, 7))
            w = rng.standard_normal((6, 2, 3, 3))     # G = 2
            w_dw = rng.standard_normal((8, 1, 3, 3))  # G = C_in = 4, M = 2
        ''',
        convbp='''
            want = (convbp.conv(x, w, groups=2),
                    convbp.conv(x, w_dw, stride=2, groups=4))
        ''',
        snippets=(
            Snippet("PyTorch", '''
                got = (F.conv2d(T(x), T(w), groups=2).numpy(),
                       F.conv2d(T(x), T(w_dw), stride=2, groups=4).numpy())
            '''),
            Snippet("JAX", '''
                conv = lax.conv_general_dilated
                got = (np.asarray(conv(x, w, (1, 1), "VALID",
                                       feature_group_count=2)),
                       np.asarray(conv(x, w_dw, (2, 2), "VALID",
                                       feature_group_count=4)))
            '''),
            Snippet("TensorFlow", '''
                w_tf = w_dw.reshape(4, 2, 3, 3).transpose(2, 3, 0, 1)
                got = (nchw(tf.nn.conv2d(nhwc(x), hwio(w), 1, "VALID")),
                       nchw(tf.nn.depthwise_conv2d(nhwc(x), w_tf,
                                                   [1, 2, 2, 1], "VALID")))
            '''),
        ),
    ),
)


def row(key: str) -> Row:
    """The row of :data:`ROWS` with this ``key``."""
    for r in ROWS:
        if r.key == key:
            return r
    raise KeyError(f"translation table: no row {key!r}; rows are "
                   f"{[r.key for r in ROWS]}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table_markdown() -> str:
    """The whole table as MyST Markdown, one line per row.

    The first cell of a row links to the row's section, labelled ``tt-<key>``.
    """
    cols = ["convbp", *FRAMEWORKS]
    lines = [":::{div} full-width", "",
             "| | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for r in ROWS:
        link = "{ref}`" + r.what.replace("`", "") + f" <tt-{r.key}>`"
        lines.append(f"| {_cell(link)} | "
                     + " | ".join(_cell(r.cells[c]) for c in cols) + " |")
    return "\n".join(lines + ["", ":::"])


_TITLE = {"equal": "", "differs": "# a pitfall: the result differs\n"}


def _block(code: str) -> str:
    return f"```python\n{code}\n```"


def row_markdown(key: str) -> str:
    """One row's worked example as MyST Markdown: a tab per library."""
    r = row(key)
    parts = ["Data:", "", _block(r.setup), "", "::::{tab-set}",
             ":::{tab-item} convbp", _block(r.convbp), ":::"]
    for fw in FRAMEWORKS:
        snippets = [s for s in r.snippets if s.framework == fw]
        parts.append(f":::{{tab-item}} {fw}")
        for s in snippets:
            if s.expect == "raises":
                head = f"# raises {s.error[0]}\n"
            else:
                head = _TITLE[s.expect]
            parts.append(_block(head + s.code))
        parts.append(":::")
    parts.append("::::")
    return "\n".join(parts)


def preamble_markdown() -> str:
    """The code every example starts from, and each framework's imports (MyST)."""
    parts = ["Every example starts from:", "", _block(COMMON), "",
             "and each framework's code from its imports:", "", "::::{tab-set}"]
    for fw in FRAMEWORKS:
        parts += [f":::{{tab-item}} {fw}", _block(PREAMBLE[fw]), ":::"]
    parts.append("::::")
    return "\n".join(parts)


def versions_markdown() -> str:
    """The framework versions ``.ci/run`` installs, as one Markdown sentence."""
    pins = ", ".join(f"{fw} (`{pin}`)" for fw, pin in VERSIONS.items())
    return (f"`tests/test_translation.py` runs every example below against {pins}, "
            "the versions `.ci/run` installs.")


def run_convbp(key: str, namespace: dict | None = None) -> dict:
    """Run :data:`COMMON`, then the row's setup and convbp code; return the namespace.

    The row's ``want`` is in the returned namespace. Framework code is not run here.
    """
    ns = {} if namespace is None else namespace
    exec(COMMON, ns)
    r = row(key)
    exec(r.setup, ns)
    exec(r.convbp, ns)
    return ns


def _describe(a) -> str:
    a = np.asarray(a)
    first = np.array2string(a.reshape(-1)[:3], precision=3, floatmode="fixed",
                            suppress_small=True)
    return f"shape {a.shape}, first entries {first}"


def summary(want) -> str:
    """A short, machine-independent description of ``want`` (an array or a tuple)."""
    if isinstance(want, tuple):
        return "\n".join(f"want[{i}]: {_describe(a)}" for i, a in enumerate(want))
    return f"want: {_describe(want)}"


def show(key: str):
    """Display a row in a notebook: its code (Markdown), then the convbp result.

    Runs only NumPy and convbp, so the output is the same with or without the
    frameworks installed; ``tests/test_translation.py`` runs the framework code.
    """
    from IPython.display import Markdown, display

    display(Markdown(row_markdown(key)))
    print(summary(run_convbp(key)["want"]))
