"""Keeps the package's own commands free of TensorFlow's start-up log lines.

TensorFlow 2.21 writes several lines (oneDNN, CUDA drivers, CPU features) to
standard error while it is imported, before any setting can stop them, and
even with `TF_CPP_MIN_LOG_LEVEL=3`. A command such as `python -m
keras_embedding.legacy convert` prints for people, so while it starts,
TensorFlow is imported with standard error pointed at the null device. Only
`python -m keras_embedding...` does this: `sys.orig_argv` tells which module
runs; importing the package from any other program changes nothing.
"""

from __future__ import annotations

import os
import sys


def running_own_command() -> bool:
    """Whether this process is `python -m keras_embedding...`."""
    argv = list(getattr(sys, "orig_argv", []))
    if "-m" not in argv[:-1]:
        return False
    return argv[argv.index("-m") + 1].split(".", 1)[0] == "keras_embedding"


def import_tensorflow_quietly() -> None:
    """Imports TensorFlow with its start-up logging silenced."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
