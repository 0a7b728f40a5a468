"""``python -m vsgpen [NAME ...]``: fetch the checkpoints ``gpen()`` needs (as ``gpen-video weights fetch``).

With no names it fetches what ``gpen()`` uses with its defaults (the default GPEN model and face
detector). Files already present and matching the manifest are kept. Each file's path goes to stdout,
notes and progress to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gpen_video.errors import GpenVideoError, UsageError
from gpen_video.model.download import download, file_state
from gpen_video.model.registry import NON_COMMERCIAL, entries, get_entry, weights_folder
from gpen_video.options import DetectOptions, ModelOptions

DEFAULT_NAMES = (ModelOptions.model, DetectOptions.detector)


def fetch(name: str, weights_dir: str | None = None, progress: bool | None = None) -> str:
    """The checked local file of registry entry ``name``, downloaded into the weights folder if needed."""
    entry = get_entry(name)
    path = weights_folder(weights_dir) / entry.file
    state = file_state(entry, path)
    if state in ("verified", "unverified"):
        print(f"vsgpen: {entry.name} is already there ({state})", file=sys.stderr)
        return str(path)
    if entry.kind == "gpen":
        print(f"vsgpen: note: {NON_COMMERCIAL}", file=sys.stderr)
    print(f"vsgpen: fetching {entry.name}{' (replacing a corrupt copy)' if state == 'corrupt' else ''}",
          file=sys.stderr)
    return str(download(entry, weights_dir, progress=progress))


def main(argv: Sequence[str] | None = None) -> int:
    names = ", ".join(entry.name for entry in entries())
    parser = argparse.ArgumentParser(
        prog="python -m vsgpen",
        description="Fetch the checkpoints vsgpen.gpen needs into the weights folder and check them "
                    "against the manifest (as 'gpen-video weights fetch'); files already there are kept.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"checkpoints to fetch (default: {' and '.join(DEFAULT_NAMES)}; known: {names})")
    parser.add_argument("--weights-dir", metavar="DIR",
                        help="weights folder (default: $GPEN_VIDEO_WEIGHTS, a checkout's weights/, "
                             "else ~/.cache/gpen-video); pass the same folder as gpen(weights=...)")
    args = parser.parse_args(argv)
    try:
        for name in args.names or DEFAULT_NAMES:
            print(fetch(name, args.weights_dir))
    except GpenVideoError as error:
        print(f"vsgpen: {error}", file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
    except KeyboardInterrupt:
        print("vsgpen: interrupted; a partial download is kept as .part and resumes next time",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
