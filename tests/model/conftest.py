"""Fixtures for the model tests: the shared golden data (skipped cleanly where it is absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """$GPEN_VIDEO_SHARED, else the shared/ folder beside the checkout, else one inside it."""
    if os.environ.get("GPEN_VIDEO_SHARED"):
        return Path(os.environ["GPEN_VIDEO_SHARED"])
    beside = REPO.parent / "shared"
    return beside if beside.is_dir() else REPO / "shared"


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """These nets are small; on a busy 2-core runner one thread is 3-4x faster than spinning on two."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def golden() -> Path:
    folder = shared_dir() / "golden"
    if not (folder / "gpen_tiny.pth").is_file():
        pytest.skip(f"golden data not found in {folder} (set GPEN_VIDEO_SHARED)")
    return folder


@pytest.fixture(scope="session")
def shared_weights() -> Path:
    folder = shared_dir() / "weights"
    if not (folder / "detection_mobilenet0.25_Final.pth").is_file():
        pytest.skip(f"shared detector weights not found in {folder}")
    return folder
