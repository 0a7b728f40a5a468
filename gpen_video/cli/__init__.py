"""The ``gpen-video`` command: parse, dispatch to a subcommand, turn errors into one line and an exit code.

``gpen-video IN OUT`` restores faces; ``gpen-video weights ...`` manages checkpoints;
``gpen-video track ...`` writes the face tracks for inspection.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from gpen_video.errors import GpenVideoError, UsageError

# subcommand name -> module under gpen_video.cli with build_parser(parser) and run(args) -> int
SUBCOMMANDS = {"weights": "weights", "track": "track"}
DEFAULT = "restore"


def _parser_for(command: str) -> tuple[argparse.ArgumentParser, object]:
    module = importlib.import_module(f"gpen_video.cli.{SUBCOMMANDS.get(command, DEFAULT)}")
    prog = "gpen-video" if command == DEFAULT else f"gpen-video {command}"
    parser = argparse.ArgumentParser(prog=prog, description=module.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    module.build_parser(parser)
    return parser, module


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else DEFAULT
    parser, module = _parser_for(command)
    args = parser.parse_args(argv[1:] if command != DEFAULT else argv)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("gpen-video: interrupted; nothing was written under the output name", file=sys.stderr)
        return 130
    except GpenVideoError as error:
        if args.debug:
            raise
        print(f"gpen-video: {error}", file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1


if __name__ == "__main__":
    sys.exit(main())
