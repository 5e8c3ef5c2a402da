"""The README's code examples run as written, and its Quick start stays two commands."""

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "the README has no python example"
    namespace = {}
    exec(compile("\n".join(blocks), "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["dx"].shape == namespace["x"].shape


def test_quick_start_has_exactly_two_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    lines = [ln for ln in block.splitlines() if ln.strip()]
    assert len(lines) == 2
    assert "jupyter-book build . -W -n --keep-going" in lines[0] and "pytest" in lines[1]
