"""Manage checkpoints: list the known ones, fetch (download and verify) them, verify those present.

Files live in the weights folder: --weights-dir, else $GPEN_VIDEO_WEIGHTS, else weights/ of a source
checkout, else $XDG_CACHE_HOME/gpen-video (~/.cache/gpen-video).
The GPEN weights were published for academic and non-commercial use only.

examples:
  gpen-video weights list
  gpen-video weights fetch GPEN-BFR-512 retinaface_resnet50
  gpen-video weights verify
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gpen_video.errors import ChecksumError, UsageError, WeightsNotFoundError
from gpen_video.model.download import download, file_state
from gpen_video.model.registry import NON_COMMERCIAL, WeightsEntry, entries, get_entry, weights_folder

WEIGHTS_DIR_HELP = "the weights folder (default: $GPEN_VIDEO_WEIGHTS, a checkout's weights/, or the cache)"


def build_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights-dir", metavar="DIR", help=WEIGHTS_DIR_HELP)
    # Also accepted after the action; SUPPRESS keeps a sub-parser default from hiding the one given before.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--weights-dir", metavar="DIR", default=argparse.SUPPRESS, help=WEIGHTS_DIR_HELP)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", parents=[common], help="every known checkpoint, its size, state and licence")
    fetch = actions.add_parser("fetch", parents=[common], help="download and verify checkpoints")
    fetch.add_argument("names", nargs="*", metavar="NAME", help="names as 'list' shows them")
    fetch.add_argument("--all", action="store_true", help="fetch every known checkpoint")
    verify = actions.add_parser("verify", parents=[common], help="check size and sha256 of files present")
    verify.add_argument("names", nargs="*", metavar="NAME", help="default: every file present")


def run(args: argparse.Namespace) -> int:
    folder = weights_folder(args.weights_dir)
    return {"list": _list, "fetch": _fetch, "verify": _verify}[args.action](args, folder)


def _human(size: int | None) -> str:
    return "?" if size is None else f"{size / 1e6:.1f} MB"


def _list(args: argparse.Namespace, folder: Path) -> int:
    print(f"weights folder: {folder}")
    rows = [("NAME", "KIND", "SIZE", "STATE", "LICENCE")]
    for entry in entries():
        path = folder / entry.file
        size = entry.size if entry.size is not None or not path.is_file() else path.stat().st_size
        rows.append((entry.name, entry.kind, _human(size), file_state(entry, path), entry.licence))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4])
    return 0


def _fetch(args: argparse.Namespace, folder: Path) -> int:
    if not args.names and not args.all:
        raise UsageError("name at least one checkpoint to fetch (see 'gpen-video weights list'), or --all")
    chosen = list(entries()) if args.all else [get_entry(name) for name in args.names]
    if any(entry.kind == "gpen" for entry in chosen):
        print(f"note: {NON_COMMERCIAL}", file=sys.stderr)
    for entry in chosen:
        path = folder / entry.file
        if file_state(entry, path) in ("verified", "unverified"):
            print(f"{entry.name}: {path} (already present)")
            continue
        print(f"{entry.name}: {download(entry, folder)}")
    return 0


def _verify(args: argparse.Namespace, folder: Path) -> int:
    chosen = [get_entry(name) for name in args.names] or [
        entry for entry in entries() if (folder / entry.file).is_file()]
    if not chosen:
        print(f"no known weights are present in {folder}")
        return 0
    states = {entry.name: file_state(entry, folder / entry.file) for entry in chosen}
    for entry in chosen:
        print(f"{entry.name}: {states[entry.name]} ({folder / entry.file})")
    _raise_for(states, chosen, folder)
    return 0


def _raise_for(states: dict[str, str], chosen: list[WeightsEntry], folder: Path) -> None:
    missing = [name for name, state in states.items() if state == "missing"]
    corrupt = [name for name, state in states.items() if state == "corrupt"]
    if corrupt:
        raise ChecksumError(f"{', '.join(corrupt)} failed verification in {folder} (size or sha256 differs; "
                            f"run 'gpen-video weights fetch {' '.join(corrupt)}' to replace them)")
    if missing:
        raise WeightsNotFoundError(f"not present in {folder}: {', '.join(missing)} "
                                   f"(run 'gpen-video weights fetch {' '.join(missing)}')")
