"""Keras 1 files: bad input, other Keras versions, Theano files, the command."""

import os
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from keras_embedding._compat import keras
from keras_embedding.legacy import load_model, load_weights, model_from_json
from keras_embedding.legacy.__main__ import main
from keras_embedding.legacy.hdf5 import read

ROOT = pathlib.Path(__file__).parents[2]
DIR = ROOT / "tests" / "fixtures" / "keras1_models"
NCF = ROOT / "tests" / "fixtures" / "wild" / "ncf_ml-1m_GMF_8.h5"


def _copy(tmp_path, name="p02_gru_mask_softmax.h5"):
    path = tmp_path / name
    shutil.copy(DIR / name, path)
    return path


def _predict(model, data):
    x = data["x"] if "x" in data else [data["x0"], data["x1"]]
    return model.predict(x, verbose=0)


# Wrong file contents: every error names the file.


def test_a_weights_only_file_points_to_load_weights():
    path = DIR / "p02_gru_mask_softmax_weights.h5"
    with pytest.raises(ValueError, match="weights only.*load_weights") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_a_file_that_is_not_hdf5(tmp_path):
    path = tmp_path / "model.h5"
    path.write_text("not a model")
    for call in (load_model, read, lambda p: load_weights(keras.Sequential(), p)):
        with pytest.raises(ValueError, match="is not an HDF5 file") as info:
            call(path)
        assert str(path) in str(info.value)


def test_a_keras_archive_gets_a_hint(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    path = tmp_path / "model.keras"
    model.save(path)
    with pytest.raises(ValueError, match="zip archive.*keras.models.load_model"):
        load_model(path)


def test_a_missing_file(tmp_path):
    path = tmp_path / "absent.h5"
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        load_model(path)


def test_a_truncated_file(tmp_path):
    path = tmp_path / "truncated.h5"
    data = (DIR / "p02_gru_mask_softmax.h5").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="damaged or truncated") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_a_missing_layer_group(tmp_path):
    path = _copy(tmp_path)
    with h5py.File(path, "r+") as file:
        del file["model_weights/gru_1"]
    with pytest.raises(ValueError, match="names 'gru_1'.*model_weights/gru_1") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_a_missing_weight_dataset(tmp_path):
    path = _copy(tmp_path)
    with h5py.File(path, "r+") as file:
        del file["model_weights/gru_1/gru_1_U_r:0"]
    with pytest.raises(ValueError, match="gru_1_U_r:0") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_a_missing_weights_group(tmp_path):
    path = _copy(tmp_path)
    with h5py.File(path, "r+") as file:
        del file["model_weights"]
    with pytest.raises(ValueError, match="no `model_weights` group"):
        load_model(path)


def test_a_keras0_file_is_refused(tmp_path):
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as file:
        file.attrs["nb_layers"] = 1
        file.create_group("layer_0").attrs["nb_params"] = 0
    with pytest.raises(ValueError, match="Keras 0.x"):
        load_model(path)


def test_weights_that_do_not_fit_name_the_layer_and_both_shapes(tmp_path):
    path = _copy(tmp_path, "p02_gru_mask_softmax_weights.h5")
    with h5py.File(path, "r+") as file:
        del file["dense_1/dense_1_b:0"]
        file["dense_1/dense_1_b:0"] = np.zeros(4, np.float32)
    model = model_from_json((DIR / "p02_gru_mask_softmax.json").read_text())
    with pytest.raises(ValueError, match=r"dense_1.*\(4,\).*\(3,\)") as info:
        load_weights(model, path)
    assert str(path) in str(info.value)


def test_a_model_with_other_layers_lists_both_sides():
    model = model_from_json((DIR / "p08_fasttext_global_average.json").read_text())
    with pytest.raises(ValueError, match="3 layer.*embedding_1, gru_1, dense_1"):
        load_weights(model, DIR / "p02_gru_mask_softmax_weights.h5")


def test_by_name_loads_the_layers_whose_names_match():
    model = model_from_json((DIR / "p08_fasttext_global_average.json").read_text())
    before = [w.copy() for w in model.get_weights()]
    # p11 also has an `embedding_1` (40 x 6) and a `dense_1`, of other shapes.
    with pytest.raises(ValueError, match="embedding_1"):
        load_weights(model, DIR / "p11_batchnorm_dense_weights.h5", by_name=True)
    model = model_from_json((DIR / "p08_fasttext_global_average.json").read_text())
    load_weights(model, DIR / "p08_fasttext_global_average.h5", by_name=True)
    assert any(np.any(a != b) for a, b in zip(model.get_weights(), before, strict=True))


# Other Keras versions go to the running Keras's own loaders.


def test_a_file_of_the_running_keras_goes_to_its_loader(tmp_path):
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, name="d", activation="tanh")]
    )
    path = str(tmp_path / "modern.h5")
    model.save(path)
    saved = read(path)
    assert saved.modern
    again = load_model(path, compile=False)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))
    weights_path = str(tmp_path / "modern.weights.h5")
    model.save_weights(weights_path)
    target = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, name="d", activation="tanh")]
    )
    load_weights(target, weights_path)
    np.testing.assert_allclose(target.get_weights()[0], model.get_weights()[0])


@pytest.mark.parametrize("version", ["2.0.8", "2.2.4"])
def test_a_keras2_version_attribute_marks_a_modern_file(tmp_path, version):
    path = _copy(tmp_path)
    with h5py.File(path, "r+") as file:
        file.attrs["keras_version"] = np.bytes_(version.encode())
    assert read(path).modern
    with h5py.File(path, "r+") as file:
        file.attrs["keras_version"] = np.bytes_(b"1.2.2")
        file.attrs["backend"] = np.bytes_(b"tensorflow")
    assert read(path).modern


# Theano files: weight names without ':0', convolution kernels flipped.


def _theano_copy(source, target, flip):
    """A copy of a TensorFlow-backend Keras 1 file as Theano would have
    written it: names without `:0` and, if `flip`, convolution kernels
    flipped along their spatial axes (Theano convolved; TensorFlow
    correlates)."""
    shutil.copy(source, target)
    with h5py.File(target, "r+") as file:
        root = file.get("model_weights", file)
        for layer in root.attrs["layer_names"]:
            group = root[layer.decode()]
            names = group.attrs["weight_names"]
            if names.dtype.kind == "f":
                continue
            new_names = []
            for name in names:
                array = group[name.decode()][()]
                del group[name.decode()]
                plain = name.decode().split(":")[0]
                if flip and array.ndim == 4:  # Keras 1.2 Conv1D: (length, 1, in, out)
                    array = array[::-1, ::-1]
                group[plain] = array
                new_names.append(plain.encode())
            group.attrs["weight_names"] = np.array(new_names)


def test_a_theano_file_is_detected_and_its_kernels_flipped(tmp_path):
    data = np.load(DIR / "p04_conv1d_maxpool.npz")
    path = tmp_path / "theano.h5"
    _theano_copy(DIR / "p04_conv1d_maxpool.h5", path, flip=True)
    assert read(path).backend == "theano"
    model = load_model(path, compile=False)
    np.testing.assert_allclose(_predict(model, data), data["y_pred"], atol=1e-5)
    # The same file without flipped kernels predicts something else: the
    # flip is applied, not skipped.
    unflipped = tmp_path / "unflipped.h5"
    _theano_copy(DIR / "p04_conv1d_maxpool.h5", unflipped, flip=False)
    other = load_model(unflipped, compile=False)
    assert np.abs(_predict(other, data) - data["y_pred"]).max() > 1e-4


def test_a_theano_weights_file_loads_by_order():
    saved = read(NCF)
    assert saved.backend == "theano" and saved.model_config is None
    assert [layer.name for layer in saved.with_weights] == [
        "item_embedding",
        "user_embedding",
        "prediction",
    ]


def test_mixed_backend_names_are_refused(tmp_path):
    path = _copy(tmp_path)
    with h5py.File(path, "r+") as file:
        group = file["model_weights/dense_1"]
        group["dense_1_b"] = group["dense_1_b:0"][()]
        del group["dense_1_b:0"]
        group.attrs["weight_names"] = np.array([b"dense_1_W:0", b"dense_1_b"])
    with pytest.raises(ValueError, match="mixes TensorFlow weight names"):
        load_model(path)


# The command line.


def test_convert_failure_exits_1_with_the_message(tmp_path, capsys):
    source = DIR / "p02_gru_mask_softmax_weights.h5"
    assert main(["convert", str(source), str(tmp_path / "out.keras")]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and "load_weights" in captured.err
    assert not (tmp_path / "out.keras").exists()


def test_convert_wants_a_keras_target(tmp_path, capsys):
    source = DIR / "p02_gru_mask_softmax.h5"
    assert main(["convert", str(source), str(tmp_path / "out.h5")]) == 1
    assert "must end in `.keras`" in capsys.readouterr().err


@pytest.mark.slow  # three Python processes
def test_the_command_in_a_fresh_process(tmp_path):
    # The real command line: people read its output, so no TensorFlow log
    # lines; the .keras file loads after `import keras_embedding` alone.
    target = tmp_path / "p02.keras"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    source = str(DIR / "p02_gru_mask_softmax.h5")
    command = [sys.executable, "-m", "keras_embedding.legacy", "convert", source]
    done = subprocess.run(
        [*command, str(target)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "gru_1" in done.stdout and "GRU" in done.stdout
    check = (
        "import sys, numpy as np, keras_embedding\n"
        "from keras_embedding._compat import keras\n"
        "m = keras.models.load_model(sys.argv[1])\n"
        "d = np.load(sys.argv[2])\n"
        "print(np.abs(m.predict(d['x'], verbose=0) - d['y_pred']).max())\n"
    )
    npz = str(DIR / "p02_gru_mask_softmax.npz")
    loaded = subprocess.run(
        [sys.executable, "-c", check, str(target), npz],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert float(loaded.stdout.strip().splitlines()[-1]) < 1e-5
    failed = subprocess.run(
        [*command, str(tmp_path / "x.h5")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: ")


def test_convert_without_the_training_configuration(tmp_path, capsys):
    source = DIR / "p11_batchnorm_dense.h5"
    target = tmp_path / "plain.keras"
    assert main(["convert", str(source), str(target), "--no-compile"]) == 0
    assert "optimizer" not in capsys.readouterr().out
    model = keras.models.load_model(str(target))
    assert getattr(model, "optimizer", None) is None
