"""`pip install .` gives the `convbp` console script, the `viz` extra and no benchmark
harness. Installed with --no-deps into a temporary directory (never into the venv),
from a copy of the sources so that the build leaves nothing in the repository."""

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    src, target = tmp / "src", tmp / "target"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "convbp", src / "convbp",
                    ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(src)],
        capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return target


def _run(target, *cmd):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(target), "MPLBACKEND": "Agg"}
    return subprocess.run(cmd, capture_output=True, text=True, check=False, env=env,
                          cwd=target)


def test_metadata_declares_the_viz_extra_and_the_console_script(installed):
    (info,) = installed.glob("convbp-*.dist-info")
    meta = (info / "METADATA").read_text()
    assert "Provides-Extra: viz" in meta
    assert any(line.startswith("Requires-Dist: matplotlib") and 'extra == "viz"' in line
               for line in meta.splitlines()), meta
    entry = (info / "entry_points.txt").read_text()
    assert "[console_scripts]" in entry and "convbp = convbp.cli:main" in entry
    assert not (installed / "convbp" / "bench.py").exists()
    assert (installed / "convbp" / "viz" / "recipe.py").exists()


def test_installed_console_script_derives(installed):
    done = _run(installed, sys.executable, str(installed / "bin" / "convbp"),
                "derive", "--input", "3", "--kernel", "2", "--only", "dx")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("dL/dx[0] = ")


def test_installed_package_imports_viz_from_the_install(installed):
    done = _run(installed, sys.executable, "-c",
                "import convbp, convbp.viz, convbp.recipe; print(convbp.__file__)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(installed))
