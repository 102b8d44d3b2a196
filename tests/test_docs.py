"""Every Python example in `docs/*.md` runs.

Each ```python block is executed on its own, in a fresh namespace, from a
temporary working directory (examples may write files).
"""

from __future__ import annotations

import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def examples() -> list[tuple[str, str]]:
    """(id, code) of every python block in the docs, in file order."""
    found = []
    for path in sorted(DOCS.glob("*.md")):
        blocks = re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)
        found += [(f"{path.name}:{n}", block) for n, block in enumerate(blocks, 1)]
    return found


EXAMPLES = examples()


def test_the_docs_have_examples() -> None:
    assert EXAMPLES, f"no python block found in {DOCS}/*.md"


@pytest.mark.parametrize(("name", "code"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_example_runs(
    name: str, code: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(code, name, "exec"), {"__name__": "__docs__"})
