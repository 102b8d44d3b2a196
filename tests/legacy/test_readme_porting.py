"""Runs the code of the README section "Porting a Keras 1 model"."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).parents[2]
HEADING = "## Porting a Keras 1 model"
# Until the section is merged into README.md, the draft is read instead.
DRAFT = pathlib.Path("/work/scratch/readme_porting.md")


def _section() -> str:
    for path in (ROOT / "README.md", DRAFT):
        if path.exists() and HEADING in path.read_text():
            text = path.read_text().split(HEADING, 1)[1]
            # The section ends at the next heading of the same level.
            return re.split(r"^## ", text, flags=re.MULTILINE)[0]
    pytest.fail(f"No {HEADING!r} section in README.md")


BLOCKS = re.findall(r"^```python\n(.*?)^```", _section(), re.DOTALL | re.MULTILINE)


def test_the_section_has_the_two_examples():
    assert len(BLOCKS) == 2
    assert "m13_input_length10_flatten_dense" in BLOCKS[0]
    assert "ncf_ml-1m_GMF_8" in BLOCKS[1]


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_porting_example_runs(index, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = compile(BLOCKS[index], f"README.md[porting block {index}]", "exec")
    exec(code, {"__name__": f"readme_porting_{index}"})
