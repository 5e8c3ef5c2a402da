"""python -m convbp derive: exact output of a small case, formats, filters, and bad arguments
(exit status 2 and one line on stderr naming the parameter, never a traceback)."""

import pathlib
import subprocess
import sys

import pytest

from convbp import cli
from convbp.symbolic import derive

ROOT = pathlib.Path(__file__).resolve().parents[1]

# 3x3 input, 2x2 kernel, stride 1: x[i, j] = x[o + m], so each x meets the (o, m = x - o)
# pairs with 0 <= o, m <= 1; written out by hand.
EXPECTED_3x3_2x2 = """\
dL/dx[0,0] = delta[0,0]*w[0,0]
dL/dx[0,1] = delta[0,0]*w[0,1] + delta[0,1]*w[0,0]
dL/dx[0,2] = delta[0,1]*w[0,1]
dL/dx[1,0] = delta[0,0]*w[1,0] + delta[1,0]*w[0,0]
dL/dx[1,1] = delta[0,0]*w[1,1] + delta[0,1]*w[1,0] + delta[1,0]*w[0,1] + delta[1,1]*w[0,0]
dL/dx[1,2] = delta[0,1]*w[1,1] + delta[1,1]*w[0,1]
dL/dx[2,0] = delta[1,0]*w[1,0]
dL/dx[2,1] = delta[1,0]*w[1,1] + delta[1,1]*w[1,0]
dL/dx[2,2] = delta[1,1]*w[1,1]
dL/dw[0,0] = delta[0,0]*x[0,0] + delta[0,1]*x[0,1] + delta[1,0]*x[1,0] + delta[1,1]*x[1,1]
dL/dw[0,1] = delta[0,0]*x[0,1] + delta[0,1]*x[0,2] + delta[1,0]*x[1,1] + delta[1,1]*x[1,2]
dL/dw[1,0] = delta[0,0]*x[1,0] + delta[0,1]*x[1,1] + delta[1,0]*x[2,0] + delta[1,1]*x[2,1]
dL/dw[1,1] = delta[0,0]*x[1,1] + delta[0,1]*x[1,2] + delta[1,0]*x[2,1] + delta[1,1]*x[2,2]
dL/db = delta[0,0] + delta[0,1] + delta[1,0] + delta[1,1]
"""


def test_module_entry_point_prints_every_equation():
    done = subprocess.run(
        [sys.executable, "-m", "convbp", "derive", "--input", "3x3", "--kernel", "2x2",
         "--stride", "1", "--format", "text"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == EXPECTED_3x3_2x2


def test_1d_stride_2_with_a_leftover_row(capsys):
    assert cli.main(["derive", "--input", "6", "--kernel", "3", "--stride", "2",
                     "--only", "dx"]) == 0
    # x[a] = x[2o + m] with O = 2: row 5 is never read
    assert capsys.readouterr().out.splitlines() == [
        "dL/dx[0] = delta[0]*w[0]",
        "dL/dx[1] = delta[0]*w[1]",
        "dL/dx[2] = delta[0]*w[2] + delta[1]*w[0]",
        "dL/dx[3] = delta[1]*w[1]",
        "dL/dx[4] = delta[1]*w[2]",
        "dL/dx[5] = 0",
    ]


def test_latex_format(capsys):
    assert cli.main(["derive", "--input", "5x5", "--kernel", "3x3", "--stride", "2",
                     "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("\\begin{aligned}") and "\\frac{\\partial L}{\\partial x_{2,2}}" in out
    assert out.count("&=") == 25 + 9 + 1


def test_only_dw(capsys):
    assert cli.main(["derive", "--input", "3x3", "--kernel", "2x2", "--only", "dw"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [line for line in EXPECTED_3x3_2x2.splitlines()
                                if line.startswith("dL/dw")]


@pytest.mark.parametrize("argv, kwargs", [
    (["--padding", "0:1x2:0"], dict(padding=((0, 1), (2, 0)))),
    (["--padding", "1x2", "--dilation", "2x1"], dict(padding=(1, 2), dilation=(2, 1))),
    (["--padding", "0:1"], dict(padding=((0, 1), (0, 1)))),
    (["--stride", "2x3", "--channels", "4:2", "--groups", "2"],
     dict(stride=(2, 3), in_channels=4, out_channels=2, groups=2)),
    (["--channels", "2"], dict(in_channels=2, out_channels=2)),
])
def test_argument_forms_reach_derive(capsys, argv, kwargs):
    assert cli.main(["derive", "--input", "6x6", "--kernel", "3x3", *argv]) == 0
    assert capsys.readouterr().out == derive((6, 6), (3, 3), **kwargs).text() + "\n"


@pytest.mark.parametrize("argv, words", [
    (["--input", "5x5", "--kernel", "3x3", "--stride", "0"], ["stride", "got 0"]),
    (["--input", "5y5", "--kernel", "3x3"], ["--input", "'5y5'"]),
    (["--input", "5x5", "--kernel", "7x7"], ["kernel", "7"]),
    (["--input", "5x5", "--kernel", "3x3", "--padding", "1:2:3"], ["--padding", "'1:2:3'"]),
    (["--input", "5x5", "--kernel", "3x3", "--padding", "-1"], ["padding", "-1"]),
    (["--input", "5x5", "--kernel", "3x3", "--channels", "3:2", "--groups", "2"],
     ["groups=2", "in_channels=3"]),
    (["--input", "5x5", "--kernel", "3x3", "--format", "html"], ["--format", "html"]),
    (["--input", "5x5"], ["--kernel"]),
    (["--input", "5x5", "--kernel", "3x3x3"], ["kernel_size", "(3, 3, 3)"]),
])
def test_bad_arguments_exit_2_with_one_line(capsys, argv, words):
    assert cli.main(["derive", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("convbp derive: error:")
    assert all(word in lines[0] for word in words), lines[0]


def test_no_command_and_help(capsys):
    assert cli.main([]) == 2
    assert capsys.readouterr().err.strip() == ("convbp: error: the following arguments are "
                                               "required: command")
    assert cli.main(["derive", "--help"]) == 0
    assert "--padding" in capsys.readouterr().out
