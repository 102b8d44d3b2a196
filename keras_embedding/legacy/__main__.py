"""`python -m keras_embedding.legacy convert OLD.h5 NEW.keras`.

Converts a Keras 1 model file into a `.keras` file that
`keras.models.load_model` reads after `import keras_embedding`, and prints
what each Keras 1 layer became. On failure it prints the error and exits
with status 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence

from keras_embedding.legacy.files import convert


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m keras_embedding.legacy",
        description="Port Keras 1 model files to today's Keras.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "convert",
        help="convert a Keras 1 model file (model.save) into a .keras file",
        description=(
            "Convert a Keras 1 model file (written by model.save) into a .keras "
            "file that keras.models.load_model reads after `import "
            "keras_embedding`. Prints what each Keras 1 layer became."
        ),
    )
    command.add_argument("source", help="the Keras 1 .h5 file")
    command.add_argument("target", help="the .keras file to write")
    command.add_argument(
        "--no-compile",
        dest="compile",
        action="store_false",
        help="leave out the loss, metrics and optimizer (and its state)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    quiet = [logging.getLogger(name) for name in ("tensorflow", "absl", "h5py")]
    levels = [logger.level for logger in quiet]
    try:
        for logger in quiet:
            logger.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lines = convert(args.source, args.target, compile=args.compile)
    except (OSError, ValueError, TypeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
