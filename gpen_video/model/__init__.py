"""The GPEN network and its checkpoints: registry, download and verify, load.

``load_gpen("GPEN-BFR-512")`` gives a ready network; ``resolve_weights`` finds any manifest file (the
face detector's too). The registry and download parts import without torch, so the ``weights`` command
starts fast; the torch-backed names below are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from gpen_video.model.config import GPENConfig, infer_config
from gpen_video.model.registry import (
    WeightsEntry,
    entries,
    find_entry,
    get_entry,
    resolve_weights,
    weights_folder,
)

_LAZY = {
    "GPEN": "gpen_video.model.generator",
    "load_gpen": "gpen_video.model.load",
    "read_state_dict": "gpen_video.model.load",
    "resolve_dtype": "gpen_video.model.load",
}

__all__ = ["GPEN", "GPENConfig", "WeightsEntry", "entries", "find_entry", "get_entry", "infer_config",
           "load_gpen", "read_state_dict", "resolve_dtype", "resolve_weights", "weights_folder"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gpen_video.model' has no attribute {name!r}")
