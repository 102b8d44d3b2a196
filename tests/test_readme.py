"""The README's commands and examples are the ones that run."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(language: str, heading: str | None = None) -> list[str]:
    text = README
    if heading is not None:
        start = text.index(f"\n## {heading}\n")
        end = text.find("\n## ", start + 1)
        text = text[start : end if end != -1 else len(text)]
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_readme_opens_with_demo_and_test_commands():
    demo, tests = _blocks("bash")[:2]
    assert "keras_embedding.demo" in demo
    assert "pytest" in tests and "TF_USE_LEGACY_KERAS=1" in tests


def test_ci_runs_exactly_the_readme_test_command():
    command = _blocks("bash")[1].strip()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command in ci_lines


def test_porting_section_ports_a_file_and_keras1_code():
    blocks = _blocks("python", "Porting a Keras 1 model")
    assert "legacy.load_model" in blocks[0]
    assert "keras_embedding.legacy.layers" in blocks[1]
    assert "ncf_ml-1m_GMF_8" in blocks[1]


@pytest.mark.parametrize(
    "heading", ["Quickstart", "Porting a Keras 1 model", "Large vocabularies"]
)
def test_python_examples_run(heading, monkeypatch):
    monkeypatch.chdir(ROOT)
    for block in _blocks("python", heading):
        exec(compile(block, f"README:{heading}", "exec"), {})
