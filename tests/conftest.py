import pathlib

import numpy as np
import pytest

from keras_embedding._compat import IS_KERAS3, keras

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


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
    np.random.seed(0)
    yield


@pytest.fixture
def fixtures_dir() -> pathlib.Path:
    return FIXTURES
