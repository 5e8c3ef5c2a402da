"""The shared convolution test cases: one case type and one named grid of hard cases.

The oracle tests (test_conv, test_gradcheck, test_torch_oracle) parametrize over
:data:`GRID` or a subset of it, so every oracle sees the same geometries: leftover rows,
stride larger than the kernel, asymmetric padding, padding larger than the kernel,
dilation, groups, depthwise and channel-multiplier kernels, size-1 dimensions, in 1-D,
2-D and 3-D.
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
            f"-p{self.padding}-d{self.dilation}-g{self.groups}").replace(" ", "")


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

#: The small cases, for the slow oracles (finite differences).
SMALL = [c for c in GRID if np.prod(c.x_shape[:1] + c.x_shape[2:]) * c.x_shape[1] <= 200][::3]
SMALL += [c for c in HARD if c not in SMALL and np.prod(c.x_shape) <= 200]
