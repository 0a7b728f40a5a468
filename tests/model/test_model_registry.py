"""The manifest as data, where the weights folder is, and what a name or path resolves to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpen_video.errors import UsageError, WeightsNotFoundError
from gpen_video.model import GPENConfig, entries, get_entry, registry, resolve_weights, weights_folder

REPO = Path(__file__).resolve().parents[2]


def test_packaged_manifest_is_the_checkout_one() -> None:
    assert registry.MANIFEST.resolve() == (REPO / "weights" / "manifest.json").resolve()
    rows = json.loads(registry.MANIFEST.read_text())["weights"]
    assert [row["name"] for row in rows] == [entry.name for entry in entries()]


def test_manifest_holds_the_released_checkpoints() -> None:
    gpen = {entry.name: entry for entry in entries() if entry.kind == "gpen"}
    assert list(gpen) == ["GPEN-BFR-256", "GPEN-BFR-512", "GPEN-BFR-1024", "GPEN-BFR-2048"]
    assert gpen["GPEN-BFR-512"].sha256 == "f1002c41add95b0decad69604d80455576f7187dd99ca16bd611bcfd44c10b51"
    assert gpen["GPEN-BFR-512"].size == 284085738
    assert gpen["GPEN-BFR-256"].config == GPENConfig(256, 512, 8, 1, 0.5)
    assert all("non-commercial" in entry.licence for entry in gpen.values())
    assert all(entry.urls and entry.file for entry in entries())
    mobile = get_entry("retinaface_mobile0.25")
    assert mobile.file == "detection_mobilenet0.25_Final.pth" and mobile.size == 1789735


def test_weights_folder_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPEN_VIDEO_WEIGHTS", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert weights_folder(tmp_path / "explicit") == tmp_path / "explicit"
    assert weights_folder() == tmp_path / "env"
    monkeypatch.delenv("GPEN_VIDEO_WEIGHTS")
    assert weights_folder() == REPO / "weights"  # a source checkout
    monkeypatch.setattr(registry, "_checkout_weights", lambda: None)  # as if installed from a wheel
    assert weights_folder() == tmp_path / "cache" / "gpen-video"


def test_resolve_names_file_names_and_paths(tmp_path: Path) -> None:
    (tmp_path / "detection_mobilenet0.25_Final.pth").write_bytes(b"x")
    assert resolve_weights("retinaface_mobile0.25", tmp_path) == tmp_path / "detection_mobilenet0.25_Final.pth"
    assert resolve_weights("detection_mobilenet0.25_Final.pth", tmp_path).parent == tmp_path
    mine = tmp_path / "my model.pt"
    mine.write_bytes(b"x")
    assert resolve_weights(mine) == mine
    assert resolve_weights(str(mine), weights_dir=tmp_path / "elsewhere") == mine
    with pytest.raises(WeightsNotFoundError, match="weights fetch retinaface_resnet50"):
        resolve_weights("retinaface_resnet50", tmp_path)
    with pytest.raises(WeightsNotFoundError, match="known name: GPEN-BFR-256"):
        resolve_weights("GPEN-BFR-999", tmp_path)


def test_unknown_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown weights name: nope"):
        get_entry("nope")


def test_a_local_file_named_like_a_manifest_file_is_used_as_it_is(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "GPEN-BFR-512.pth").write_bytes(b"mine")
    folder = tmp_path / "weights"
    assert resolve_weights("GPEN-BFR-512.pth", folder) == Path("GPEN-BFR-512.pth")
    assert registry.registered("GPEN-BFR-512.pth") is None
    assert registry.registered("GPEN-BFR-512") is get_entry("GPEN-BFR-512")
    with pytest.raises(WeightsNotFoundError, match="weights fetch GPEN-BFR-512"):
        resolve_weights("GPEN-BFR-512", folder)
