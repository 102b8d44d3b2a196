import contextlib
import pathlib
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from keras_embedding._compat import IS_KERAS3, keras

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


def pytest_report_header(config):
    return f"keras {keras.__version__} ({'Keras 3' if IS_KERAS3 else 'tf_keras'})"


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    # Fresh layer names and a fixed numpy seed for every test. Keras 3's
    # default also runs the garbage collector, ~0.4 s a test; skip that.
    if IS_KERAS3:
        keras.backend.clear_session(free_memory=False)
    else:
        keras.backend.clear_session()
        # tf_keras keeps a global dtype policy across sessions; None makes
        # it follow floatx again, as a fresh process does.
        keras.mixed_precision.set_global_policy(None)
    np.random.seed(0)
    yield


@pytest.fixture
def fixtures_dir() -> pathlib.Path:
    return FIXTURES


@pytest.fixture(scope="session")
def bench_report() -> Any:
    """`benchmarks/bench_report.py`, which is a script folder, not a package."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_report
    finally:
        sys.path.remove(str(BENCHMARKS))
    return bench_report


@contextlib.contextmanager
def _python_processes_need_slow_mark(item: pytest.Item) -> Iterator[None]:
    """Fails a test that starts a Python process without the `slow` mark.

    Such a process imports TensorFlow afresh, seconds each; keeping them all
    out of `-m "not slow"` is what keeps that tier fast.
    """
    if item.get_closest_marker("slow") is not None:
        yield
        return
    real = subprocess.Popen

    class Guarded(real):
        def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
            argv = [args] if isinstance(args, (str, bytes, pathlib.Path)) else args
            program = str(list(argv)[0]) if argv else ""
            if program == sys.executable or pathlib.Path(program).name.startswith(
                "python"
            ):
                pytest.fail(
                    f"{item.nodeid} starts a Python process: mark it "
                    "@pytest.mark.slow (see docs/development.md)",
                    pytrace=False,
                )
            super().__init__(args, *rest, **kwargs)

    subprocess.Popen = Guarded
    try:
        yield
    finally:
        subprocess.Popen = real


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    # Setup too: module-scoped fixtures start processes there.
    with _python_processes_need_slow_mark(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _python_processes_need_slow_mark(item):
        yield
