"""The guides' examples run, the Markdown files cite what exists, and their
benchmark numbers agree.

Every ```python block of docs/*.md runs on its own, in a fresh namespace
(docs/scaling-out.md's examples each need a process of their own:
tests/test_distribute.py runs them). The README's benchmark numbers must be
RESULTS.md's, and RESULTS.md's verdicts those of the committed results files,
evaluated on the metrics `bench_report.TARGETS` declares.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
RESULTS_MD = BENCHMARKS / "RESULTS.md"
DOCS = [ROOT / "README.md", RESULTS_MD, *sorted((ROOT / "docs").glob("*.md"))]
# Examples that tests/test_distribute.py runs, each in a fresh process.
IN_OWN_PROCESS = {"scaling-out.md"}
# Committed results: the Keras 3 run and the tf_keras run.
RESULTS_FILES = ("results.json", "results_tf_keras.json")


def _examples() -> list[tuple[str, str]]:
    """(id, code) of every python block of the guides, in file order."""
    found = []
    for path in sorted((ROOT / "docs").glob("*.md")):
        if path.name in IN_OWN_PROCESS:
            continue
        blocks = re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)
        found += [(f"{path.name}:{n}", block) for n, block in enumerate(blocks, 1)]
    return found


EXAMPLES = _examples()


@pytest.mark.parametrize(("name", "code"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_example_runs(
    name: str, code: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Examples may write files: they run in a scratch directory, where the
    # repository's tests/ (fixtures the guides load) is at its usual place.
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, name, "exec"), {"__name__": "__docs__"})


def _cited(text: str) -> list[str]:
    """Link targets that are files, and file names in backticks ending in .md."""
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    files = [link for link in links if "://" not in link]
    return files + re.findall(r"`([\w./-]+\.md)`", text)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_cites_only_files_in_the_repository(doc: pathlib.Path) -> None:
    missing = [
        name
        for name in _cited(doc.read_text())
        if not (doc.parent / name).exists() and not (ROOT / name).exists()
    ]
    assert missing == [], f"{doc.name} cites files that are not in the repository"


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.mark.parametrize("name", RESULTS_FILES)
def test_results_md_gives_the_committed_verdicts(name: str, bench_report) -> None:
    results = json.loads((BENCHMARKS / name).read_text())
    assert results["meta"]["quick"] is False
    # The verdicts in the file are those of the declared targets...
    assert results["targets"] == bench_report.targets(results)
    # ...and RESULTS.md shows them as the report writes them.
    text = RESULTS_MD.read_text()
    for line in _report_lines(bench_report, results):
        assert line in text, line


def _report_lines(bench_report, results: dict) -> list[str]:
    """The verdict and Keras 1 tables the report writes for `results`."""
    return [
        *bench_report.target_table(results["targets"]),
        *bench_report.keras1_table(results),
    ]


def test_readme_benchmark_numbers_are_those_of_results_md(bench_report) -> None:
    # RESULTS.md holds these tables exactly (test above), so a README number
    # found in them is RESULTS.md's number, with RESULTS.md's precision.
    reported: set[str] = set()
    for name in RESULTS_FILES:
        results = json.loads((BENCHMARKS / name).read_text())
        for line in _report_lines(bench_report, results):
            reported.update(_numbers(line))
    section = _section((ROOT / "README.md").read_text(), "Benchmarks")
    numbers = _numbers(section)
    assert numbers, "the README's Benchmarks section gives no numbers"
    assert [n for n in numbers if n not in reported] == []


def _numbers(text: str) -> list[str]:
    """Decimals ("1.064") and factors ("101.8x", "140x"), not shapes ("64x50")."""
    return re.findall(r"\d+\.\d+x?|\b\d+x\b", text)
