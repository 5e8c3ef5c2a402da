r"""Command line: ``python -m convbp derive ...`` prints every equation of a backward pass.

Examples (from the repository root)::

    python -m convbp derive --input 5x5 --kernel 3x3 --stride 2
    python -m convbp derive --input 6x6 --kernel 3x3 --stride 2 --padding 0:1x1 --only dx
    python -m convbp derive --input 7 --kernel 3 --dilation 2 --format latex
    python -m convbp derive --input 4x4 --kernel 3x3 --channels 4:2 --groups 2 --only dw

Sizes are written ``5x5`` (one number per spatial dimension; ``7`` is 1-D). ``--stride``
and ``--dilation`` take one number for every dimension or one per dimension (``2x1``);
``--padding`` also takes ``lo:hi`` pairs per dimension (``0:1x2:0``). Bad arguments
print one line on stderr and exit with status 2.

Used in :ref:`backward-strided`.
"""

from __future__ import annotations

import argparse
import re
import sys

__all__ = ["main"]

_INT = r"-?\d+"


class _UsageError(Exception):
    """A bad command line; the message is the one line printed on stderr."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage block) and do not exit the interpreter."""

    def error(self, message):
        raise _UsageError(f"{self.prog}: error: {message}")


def _sizes(text: str) -> tuple[int, ...]:
    if not re.fullmatch(rf"{_INT}(x{_INT})*", text):
        raise argparse.ArgumentTypeError(f"must be sizes like 5x5 (or 7 for 1-D), got {text!r}")
    return tuple(int(v) for v in text.split("x"))


def _per_dim(text: str):
    """``2`` -> 2 (every dimension); ``2x1`` -> (2, 1)."""
    values = _sizes(text)
    return values[0] if len(values) == 1 else values


def _padding(text: str):
    """``1`` -> 1; ``1x2`` -> (1, 2); ``0:1x2:0`` -> ((0, 1), (2, 0)); ``0:1`` -> every dim."""
    entry = rf"{_INT}(:{_INT})?"
    if not re.fullmatch(rf"{entry}(x{entry})*", text):
        raise argparse.ArgumentTypeError(
            f"must be P, PxP or lo:hi pairs per dimension like 0:1x2:0, got {text!r}")
    items = [tuple(int(v) for v in part.split(":")) if ":" in part else int(part)
             for part in text.split("x")]
    return items[0] if len(items) == 1 and isinstance(items[0], int) else items


def _channels(text: str) -> tuple[int, int]:
    if not re.fullmatch(rf"{_INT}(:{_INT})?", text):
        raise argparse.ArgumentTypeError(f"must be IN or IN:OUT like 4:2, got {text!r}")
    values = [int(v) for v in text.split(":")]
    return values[0], values[-1]


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="convbp", description="convbp: backpropagation through convolutions.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    derive = commands.add_parser(
        "derive", help="print the gradient equations derived by SymPy",
        description="Differentiate L = sum(delta * y) for one convolution with SymPy and "
                    "print dL/dx, dL/dw and dL/db entry by entry.")
    derive.add_argument("--input", required=True, type=_sizes, metavar="HxW",
                        help="spatial input size, e.g. 5x5 (2-D) or 7 (1-D)")
    derive.add_argument("--kernel", required=True, type=_sizes, metavar="KHxKW",
                        help="kernel size, e.g. 3x3; one number means every dimension")
    derive.add_argument("--stride", type=_per_dim, default=1, metavar="S",
                        help="stride: S or SxS (default 1)")
    derive.add_argument("--padding", type=_padding, default=0, metavar="P",
                        help="padding: P, PxP, or lo:hi per dimension like 0:1x2:0 (default 0)")
    derive.add_argument("--dilation", type=_per_dim, default=1, metavar="D",
                        help="dilation: D or DxD (default 1, no dilation)")
    derive.add_argument("--channels", type=_channels, default=(1, 1), metavar="IN[:OUT]",
                        help="input and output channels (default 1)")
    derive.add_argument("--groups", type=int, default=1, metavar="G",
                        help="channel groups (default 1)")
    derive.add_argument("--format", choices=("text", "latex"), default="text",
                        help="plain text (default) or a LaTeX aligned block")
    derive.add_argument("--only", choices=("dx", "dw", "db", "y"), default=None,
                        help="print only one array's equations (y: the forward pass)")
    return parser


def _derive(args) -> str:
    from .symbolic import derive

    ndim = len(args.input)
    kernel = args.kernel[0] if len(args.kernel) == 1 else args.kernel
    padding = args.padding
    if isinstance(padding, list):
        if len(padding) == 1 and ndim > 1:
            padding = padding * ndim                 # one lo:hi pair for every dimension
        padding = tuple(padding)
    d = derive(args.input, kernel, stride=args.stride, padding=padding, dilation=args.dilation,
               in_channels=args.channels[0], out_channels=args.channels[1], groups=args.groups)
    return d.latex(args.only) if args.format == "latex" else d.text(args.only)


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0, or 2 for bad arguments).

    Examples
    --------
    >>> main(["derive", "--input", "3", "--kernel", "2", "--stride", "2", "--only", "dx"])
    dL/dx[0] = delta[0]*w[0]
    dL/dx[1] = delta[0]*w[1]
    dL/dx[2] = 0
    0
    """
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        output = _derive(args)
    except _UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:
        print(f"convbp derive: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:                        # --help
        return exc.code if isinstance(exc.code, int) else 0
    print(output)
    return 0
