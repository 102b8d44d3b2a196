"""Helpers for tests on the Keras 1.2.2 model fixtures.

tests/fixtures/keras1_models holds the shared whole models; tests/fixtures/
keras1_layers small models that pin down single layer facts. Each fixture NAME
has NAME.json (`to_json`), NAME_weights.h5 (`save_weights`), NAME.h5 (`save`)
and NAME.npz (inputs and recorded outputs). The Keras 1 code that wrote it is
a function NAME in one of the generator scripts (`make_*.py`) beside it.
"""

from __future__ import annotations

import ast
import inspect
import pathlib
import zlib
from typing import Any

import h5py
import numpy as np

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures"
DIRS = (FIXTURES / "keras1_models", FIXTURES / "keras1_layers")
_FOLDER = {path.stem: folder for folder in DIRS for path in folder.glob("*.json")}
NAMES = sorted(_FOLDER)
GENERATORS = sorted(path for folder in DIRS for path in folder.glob("make_*.py"))


def path(name: str, suffix: str) -> pathlib.Path:
    """The fixture file `NAME<suffix>` (`.json`, `_weights.h5`, ...)."""
    return _FOLDER[name] / f"{name}{suffix}"


def inputs(name: str) -> Any:
    """The recorded input (one array, or a list for several inputs)."""
    data = np.load(path(name, ".npz"))
    if "x" in data:
        return data["x"]
    return [data[f"x{index}"] for index in range(len([k for k in data if k[0] == "x"]))]


def recorded(name: str, key: str = "y_pred") -> Any:
    """A recorded array; for several outputs (`y_pred0`, ...), the list."""
    data = np.load(path(name, ".npz"))
    if key in data:
        return data[key]
    return [
        data[f"{key}{index}"]
        for index in range(
            len([k for k in data if k.startswith(key) and k[len(key) :].isdigit()])
        )
    ]


def max_difference(predicted: Any, expected: Any) -> float:
    """The largest absolute difference, over every output."""
    if isinstance(expected, list):
        return max(
            max_difference(p, e) for p, e in zip(predicted, expected, strict=True)
        )
    return float(np.abs(np.asarray(predicted) - expected).max())


def backend_of(weight_names: list[str]) -> str:
    """Keras 1's TensorFlow backend named weights `..:0`; Theano did not."""
    return "tensorflow" if weight_names[0].endswith(":0") else "theano"


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def weight_groups(name: str) -> list[tuple[str, list[np.ndarray], list[str]]]:
    """The `save_weights` file's layers: (name, arrays, weight names), in order."""
    groups = []
    with h5py.File(path(name, "_weights.h5"), "r") as file:
        for layer in file.attrs["layer_names"]:
            group = file[_text(layer)]
            weight_names = group.attrs["weight_names"]
            names = (
                []
                if weight_names.dtype.kind == "f"
                else [_text(w) for w in weight_names]
            )
            groups.append((_text(layer), [group[w][()] for w in names], names))
    return groups


def predict(model: Any, name: str) -> Any:
    """The model's predictions for the recorded inputs (states reset first)."""
    x = inputs(name)
    batch = len(x[0]) if isinstance(x, list) else len(x)
    for layer in model.layers:
        if getattr(layer, "stateful", False):  # Keras 3: reset_state
            (getattr(layer, "reset_states", None) or layer.reset_state)()
    y = model.predict(x, batch_size=batch, verbose=0)
    return (
        [np.asarray(item) for item in y]
        if isinstance(y, (list, tuple))
        else np.asarray(y)
    )


def base_name(name: str) -> str:
    """The fixture whose Keras 1 code built `name` (`*_theano` files are
    Theano-style copies of TensorFlow-backend ones)."""
    return name[: -len("_theano")] if name.endswith("_theano") else name


def _rewrite(node: ast.ImportFrom) -> ast.ImportFrom:
    module = node.module or ""
    if module == "keras" or module.startswith("keras."):
        node.module = "keras_embedding.legacy" + module[len("keras") :]
    return node


def keras1_code(name: str) -> dict[str, Any]:
    """The namespace of the generator that holds the Keras 1 function `name`,
    with only its `keras` imports changed to `keras_embedding.legacy`.

    The generator's helpers (`ids`, `train`, `N`, ...) come along; its file
    writing (`save`) and `__main__` block do not, nor the imports only they
    use.
    """
    for script in GENERATORS:
        tree = ast.parse(script.read_text())
        if not any(
            isinstance(node, ast.FunctionDef) and node.name == name
            for node in tree.body
        ):
            continue
        code = [
            node
            for node in tree.body
            if isinstance(node, ast.Assign)
            or (isinstance(node, ast.FunctionDef) and node.name != "save")
        ]
        used = {
            item.id
            for node in code
            for item in ast.walk(node)
            if isinstance(item, ast.Name)
        }
        body = []
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                node.names = [
                    alias
                    for alias in node.names
                    if (alias.asname or alias.name).split(".")[0] in used
                    and alias.name not in ("keras", "k1boot")
                ]
                if isinstance(node, ast.ImportFrom):
                    node = _rewrite(node)
                if node.names:
                    body.append(node)
        body += code
        namespace: dict[str, Any] = {"__name__": "keras1_code"}
        exec(compile(ast.Module(body, []), str(script), "exec"), namespace)  # noqa: S102
        return namespace
    raise LookupError(f"no generator defines {name}")


def build_from_code(name: str, train: bool = False) -> Any:
    """The model that the Keras 1 function `name` builds and compiles.

    `make_port_models.py` functions take nothing and return `(model, x, y)`;
    `make_more_models.py` ones take a numpy RandomState seeded from the name
    (numpy's global seed too, as its runner does) and return a dict. Their
    few training steps (the generators' `train` helper, not part of the
    Keras 1 functions) are skipped unless `train`: the weights come from the
    file anyway.
    """
    name = base_name(name)
    namespace = keras1_code(name)
    if not train:
        namespace["train"] = lambda *args, **kwargs: None
    function = namespace[name]
    if inspect.signature(function).parameters:
        seed = zlib.crc32(name.encode()) % 2**31
        np.random.seed(seed)
        built = function(np.random.RandomState(seed))
    else:
        built = function()
    return built["model"] if isinstance(built, dict) else built[0]
