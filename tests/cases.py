"""The shared convolution test cases: one case type and named lists of hard cases.

The oracle tests (test_conv, test_gradcheck, test_torch_oracle, test_reference,
test_padding_modes) parametrize over :data:`GRID` or a subset of it, so every oracle
sees the same geometries: leftover rows, stride larger than the kernel, asymmetric
padding, padding larger than the kernel, dilation, groups, depthwise and
channel-multiplier kernels, size-1 dimensions, in 1-D, 2-D and 3-D. The fast-path tests
(test_conv_fast_paths) force every case of :data:`FAST` and :data:`DEPTHWISE_POINTWISE`
through each code path of ``convbp.convolution``, so those lists are short.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from convbp.geometry import conv_geometry


@dataclass(frozen=True)
class Case:
    """One convolution: operand shapes and the keyword arguments of ``convbp.conv``."""

    x_shape: tuple
    w_shape: tuple
    stride: object = 1
    padding: object = 0
    dilation: object = 1
    groups: int = 1
    name: str = field(default="")

    @property
    def nd(self) -> int:
        return len(self.x_shape) - 2

    @property
    def kw(self) -> dict:
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups)

    @property
    def geom(self):
        return conv_geometry("conv", self.x_shape[2:], self.w_shape[2:], self.stride,
                             self.padding, self.dilation)

    @property
    def y_shape(self) -> tuple:
        return (self.x_shape[0], self.w_shape[0], *self.geom.out_size)

    @property
    def transpose_kw(self) -> dict:
        """Keyword arguments of the ``conv_transpose`` that maps ``y``'s shape back to
        ``x``'s: the case's own, with ``output_padding`` the leftover rows."""
        return dict(self.kw, output_padding=self.geom.remainder)

    def data(self, seed=0, dtype=np.float64):
        """``rng, x, w, b, dy``: seeded normal operands and a random upstream gradient."""
        rng = np.random.default_rng(seed)
        x = rng.normal(size=self.x_shape).astype(dtype)
        w = rng.normal(size=self.w_shape).astype(dtype)
        b = rng.normal(size=self.w_shape[:1]).astype(dtype)
        dy = rng.normal(size=self.y_shape).astype(dtype)
        return rng, x, w, b, dy

    def __str__(self):
        return self.name or (
            f"{self.nd}d-x{self.x_shape[2:]}-k{self.w_shape[2:]}-s{self.stride}"
            f"-p{self.padding}-d{self.dilation}-G{self.groups}").replace(" ", "")


def case(nd, n, c_in, c_out, size, kernel, stride=1, padding=0, dilation=1, groups=1,
         name=""):
    """A :class:`Case` from sizes: ``size``/``kernel`` an int (every dim) or a tuple."""
    size = (size,) * nd if isinstance(size, int) else tuple(size)
    kernel = (kernel,) * nd if isinstance(kernel, int) else tuple(kernel)
    return Case((n, c_in, *size), (c_out, c_in // groups, *kernel), stride, padding, dilation,
                groups, name)


def _fits(c: Case) -> bool:
    try:
        c.geom
    except ValueError:
        return False
    return True


#: Named hard cases.
HARD = [
    case(2, 1, 1, 1, 1, 1, name="size1-everything"),
    case(2, 2, 3, 2, (1, 9), (1, 3), stride=(1, 2), name="size1-spatial-dim"),
    case(2, 2, 2, 3, 7, 2, stride=5, name="stride-gt-kernel"),
    case(2, 1, 2, 2, 6, 3, stride=4, padding=((0, 3), (3, 0)), name="padding-gt-kernel"),
    case(1, 1, 1, 1, 1, 1, stride=3, padding=((3, 0),), name="x-never-read"),
    case(2, 3, 6, 6, 8, 3, stride=2, padding=1, groups=6, name="depthwise"),
    case(2, 2, 6, 12, 9, 3, stride=2, groups=3, name="channel-multiplier"),
    case(2, 2, 16, 16, 6, 3, stride=2, padding=1, groups=2, name="big-groups"),
    case(1, 4, 3, 5, 11, 4, stride=3, padding=((2, 1),), dilation=2,
         name="leftover-dilated-asymmetric"),
    case(1, 2, 2, 3, 8, 3, stride=2, name="leftover-row"),
    case(2, 1, 2, 2, (6, 5), (3, 2), stride=2, padding=1, dilation=(2, 1), groups=2,
         name="2d-leftover-groups-dilation"),
    case(3, 1, 2, 2, (4, 3, 5), (2, 2, 3), stride=(2, 1, 2), padding=((1, 0), 0, (0, 2)),
         dilation=(1, 2, 1), name="3d-mixed"),
]


def _grid():
    cases = []
    # 2-D: every stride 1-4 x padding (none, symmetric, asymmetric) x dilation 1-3 x an
    # even and an odd size; groups and batch vary along the grid.
    pads2 = [0, 1, ((0, 2), (1, 0))]
    for i, (s, p, d, size) in enumerate(itertools.product(range(1, 5), pads2, (1, 2, 3),
                                                          (7, 8))):
        cases.append(case(2, 1 + i % 3, 4, 4, size, 3, s, p, d, (1, 2, 4)[i % 3]))
    # 1-D: a wider sweep, sizes that leave leftover rows, stride larger than the kernel
    pads1 = [0, 2, ((1, 0),), ((0, 3),)]
    for i, (s, p, d, size) in enumerate(itertools.product(range(1, 5), pads1, (1, 2, 3),
                                                          (5, 6, 9))):
        cases.append(case(1, 2, 2, 3, size, 2 + i % 2, s, p, d, 1))
    # 3-D
    for s, p, d in [(1, 0, 1), (2, 1, 1), (2, 0, 2), (3, ((0, 1), 1, (2, 0)), 1),
                    ((1, 2, 3), 0, 1)]:
        cases.append(case(3, 2, 2, 2, (5, 6, 7), 2, s, p, d, 2))
    return [c for c in cases + HARD if _fits(c)]


#: Every case, for the fast oracles (loop reference, recipe, adjoint identity).
GRID = _grid()

#: The small cases, for the slow oracles (finite differences: two calls of the loop
#: reference per entry of x and w). From the grid, its 1-D cases (every third); in 2-D,
#: where the grid has four channels, two channels over stride 1-4, padding, dilation
#: and groups; and the small named cases.
SMALL = [c for c in GRID if np.prod(c.x_shape[:1] + c.x_shape[2:]) * c.x_shape[1] <= 200][::3]
SMALL = [c for c in SMALL if c.nd != 2] + [
    case(2, 1, 2, 2, 7, 3, s, p, d, g) for s, p, d, g in [
        (1, 0, 1, 1), (2, ((0, 2), (1, 0)), 1, 2), (3, 1, 2, 1), (4, ((0, 2), (1, 0)), 1, 1),
        (2, 1, 3, 2)]]
SMALL += [c for c in HARD if c not in SMALL and np.prod(c.x_shape) <= 200]


#: The cases of the fast-path tests, each forced through both column layouts and both
#: input-gradient paths: stride 1 and 2-4, leftover rows, stride > kernel, padding
#: wider than the dilated window, dilation with stride, groups, 1-D, 2-D and 3-D,
#: batch 1, and 1x1 kernels that are not the pointwise shortcut.
FAST = [
    case(2, 2, 3, 4, (7, 6), (3, 3), 1, 1, name="s1"),
    case(2, 3, 2, 5, (8, 9), (3, 2), 2, name="s2-leftover"),
    case(2, 1, 2, 3, (11, 7), (3, 3), 3, ((0, 1), (2, 0)), name="s3-2-leftover"),
    case(2, 2, 3, 2, (9, 10), (3, 3), 2, 1, 2, name="s2-d2"),
    case(2, 2, 2, 3, (10, 9), (2, 3), (2, 3), ((2, 0), (0, 3)), (3, 2), name="s2-d3-asym"),
    case(2, 2, 2, 2, (9, 9), (2, 2), 4, name="stride>kernel"),
    case(2, 1, 2, 3, (6, 6), (3, 3), 4, ((0, 3), (3, 0)), name="pad>extent"),
    case(2, 2, 4, 6, (7, 8), (3, 3), 2, 1, groups=2, name="groups"),
    case(2, 1, 6, 9, (9, 8), (2, 3), (1, 2), ((1, 0), 1), 2, 3, name="groups-d2"),
    case(1, 3, 3, 4, (13,), (4,), 3, ((2, 1),), 2, name="1d"),
    case(1, 2, 4, 4, (12,), (3,), 2, 1, groups=2, name="1d-groups"),
    case(3, 2, 2, 3, (5, 6, 7), (2, 3, 2), (2, 1, 3), ((0, 1), 1, (2, 0)), (1, 2, 1),
         name="3d"),
    case(3, 1, 4, 2, (5, 5, 6), (2, 2, 2), 2, 0, (2, 1, 1), 2, name="3d-groups"),
    case(2, 1, 3, 4, (7, 7), (1, 1), 2, name="batch1-1x1-s2"),
    case(2, 2, 3, 2, (5, 4), (1, 1), 1, ((1, 0), (0, 2)), 3, name="1x1-dilated-pad"),
]

#: Depthwise kernels (one input channel per group) with and without a channel
#: multiplier, and the pointwise shortcut (1x1, stride 1, no padding), with groups.
DEPTHWISE_POINTWISE = [
    case(2, 2, 4, 4, (8, 7), (3, 3), 2, 1, groups=4, name="depthwise-s2-leftover"),
    case(2, 1, 3, 9, (9, 9), (3, 2), (1, 2), ((0, 2), 1), 2, 3, name="depthwise-mult3-d2"),
    case(1, 3, 5, 5, (11,), (4,), 3, ((1, 2),), groups=5, name="depthwise-1d"),
    case(3, 2, 2, 4, (5, 4, 6), (2, 2, 3), (2, 1, 2), 1, (1, 2, 1), 2,
         name="depthwise-3d-mult2"),
    case(2, 3, 6, 4, (5, 7), (1, 1), name="pointwise"),
    case(2, 2, 6, 9, (4, 3), (1, 1), 1, 0, 2, 3, name="pointwise-groups"),
    case(1, 1, 4, 8, (9,), (1,), name="pointwise-1d-batch1"),
    case(3, 2, 3, 2, (3, 4, 2), (1, 1, 1), name="pointwise-3d"),
]

#: Every named case, by name.
NAMED = {c.name: c for c in HARD + FAST + DEPTHWISE_POINTWISE}
assert len(NAMED) == len(HARD + FAST + DEPTHWISE_POINTWISE), "case names must be unique"

#: Cases small enough to build the dense matrix of the convolution column by column
#: with the loop reference (test_reference): one from every part of the grid.
TINY = [c for c in GRID if np.prod(c.x_shape) <= 64][::4]
TINY += [c for c in HARD if c not in TINY and np.prod(c.x_shape) <= 96]
