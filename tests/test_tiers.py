"""The fast tier, `pytest -m "not slow"`, starts no Python process.

`conftest.py` fails any test without the `slow` mark that starts one, so a
new test that does cannot slip into the fast tier unmarked.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_unmarked_test_cannot_start_python() -> None:
    with pytest.raises(pytest.fail.Exception, match="mark it @pytest.mark.slow"):
        subprocess.run([sys.executable, "-c", "pass"], check=True)


def test_unmarked_test_may_start_other_programs() -> None:
    completed = subprocess.run(["echo", "ok"], capture_output=True, text=True)
    assert completed.stdout == "ok\n"


@pytest.mark.slow
def test_slow_test_may_start_python() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True
    )
    assert completed.stdout == "42\n"
