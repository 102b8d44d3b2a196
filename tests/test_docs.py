"""Every ```python block of the guides in docs/ runs."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BLOCKS = [
    pytest.param(path, index, block, id=f"{path.stem}-{index}")
    for path in sorted((ROOT / "docs").glob("*.md"))
    for index, block in enumerate(
        re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)
    )
]


@pytest.mark.parametrize(("path", "index", "block"), BLOCKS)
def test_python_block_runs(path, index, block, monkeypatch):
    monkeypatch.chdir(ROOT)
    exec(compile(block, f"{path.name}:block {index}", "exec"), {})
