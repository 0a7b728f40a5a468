"""Loading checkpoints: renamed files, wrappers, dtypes, and one clear error for each way a file goes wrong."""

from __future__ import annotations

import shutil
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from gpen_video.errors import ArchitectureError, ChecksumError, UsageError, WeightsError, WeightsNotFoundError
from gpen_video.model import GPENConfig, load_gpen, resolve_dtype
from gpen_video.model.download import sha256_file
from gpen_video.model.registry import WeightsEntry


def test_renamed_checkpoint_loads_without_flags(golden: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "pytorch_model.pt"
    shutil.copy(golden / "gpen_tiny.pth", renamed)
    model = load_gpen(renamed, device="cpu")
    assert model.size == 32 and model.config == GPENConfig(32, 64, 2, 1, 0.0625)
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert model.dtype == torch.float32


def test_wrapped_and_data_parallel_state_dicts_load(golden: Path, tmp_path: Path) -> None:
    state = torch.load(golden / "gpen_tiny.pth", weights_only=True)
    torch.save({"g_ema": state, "iter": 3}, tmp_path / "train.pth")
    torch.save(OrderedDict((f"module.{k}", v) for k, v in state.items()), tmp_path / "dp.pth")
    assert load_gpen(tmp_path / "train.pth", device="cpu").size == 32
    assert load_gpen(tmp_path / "dp.pth", device="cpu").size == 32


def test_registry_name_is_checked_against_the_manifest(golden: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    source = golden / "gpen_tiny.pth"
    good = WeightsEntry("GPEN-TEST", "gpen", "GPEN-TEST.pth", (), source.stat().st_size, sha256_file(source),
                        config=GPENConfig(32, 64, 2, 1, 0.0625))
    entries = {"GPEN-TEST": good}
    monkeypatch.setattr("gpen_video.model.registry.find_entry", entries.get)
    shutil.copy(source, tmp_path / "GPEN-TEST.pth")
    assert load_gpen("GPEN-TEST", device="cpu", weights_dir=tmp_path).size == 32
    entries["GPEN-TEST"] = WeightsEntry("GPEN-TEST", "gpen", "GPEN-TEST.pth", (), good.size, "0" * 64)
    with pytest.raises(ChecksumError, match="is not GPEN-TEST: its sha256 differs"):
        load_gpen("GPEN-TEST", device="cpu", weights_dir=tmp_path)
    entries["GPEN-TEST"] = WeightsEntry("GPEN-TEST", "gpen", "GPEN-TEST.pth", (), None, None,
                                        config=GPENConfig(64, 64, 2, 1, 0.0625))
    with pytest.raises(ArchitectureError, match="but GPEN-TEST is"):
        load_gpen("GPEN-TEST", device="cpu", weights_dir=tmp_path)


def test_missing_file_names_the_path_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(WeightsNotFoundError, match="weights fetch GPEN-BFR-512") as caught:
        load_gpen("GPEN-BFR-512", weights_dir=tmp_path)
    assert str(tmp_path / "GPEN-BFR-512.pth") in str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)
    with pytest.raises(WeightsNotFoundError, match="nowhere.pth"):
        load_gpen(tmp_path / "nowhere.pth")


def test_truncated_file(golden: Path, tmp_path: Path) -> None:
    data = (golden / "gpen_tiny.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="truncated or corrupt: .*cut.pth"):
        load_gpen(tmp_path / "cut.pth")
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(WeightsError, match="truncated or corrupt"):
        load_gpen(tmp_path / "empty.pth")


class Pickled:
    """Any class: weights_only loading refuses to build it."""


def test_pickled_object_is_not_a_state_dict(tmp_path: Path) -> None:
    torch.save({"model": Pickled()}, tmp_path / "object.pth")
    with pytest.raises(WeightsError, match="not a plain state_dict"):
        load_gpen(tmp_path / "object.pth")
    torch.save({"epoch": 3, "lr": 0.1}, tmp_path / "numbers.pth")
    with pytest.raises(WeightsError, match="not a mapping of names to tensors"):
        load_gpen(tmp_path / "numbers.pth")


def test_wrong_architecture_names_the_keys(golden: Path, tmp_path: Path) -> None:
    state = torch.load(golden / "gpen_mid.pth", weights_only=True)
    del state["generator.convs.3.noise.weight"]
    state["extra.weight"] = torch.zeros(2)
    state["generator.to_rgbs.0.bias"] = torch.zeros(1, 4, 1, 1)
    torch.save(state, tmp_path / "odd.pth")
    with pytest.raises(ArchitectureError) as caught:
        load_gpen(tmp_path / "odd.pth")
    message = str(caught.value)
    assert "missing keys generator.convs.3.noise.weight" in message
    assert "unexpected keys extra.weight" in message
    assert "generator.to_rgbs.0.bias is [1, 4, 1, 1], expected [1, 3, 1, 1]" in message
    assert "\n" not in message


def test_not_gpen_at_all(tmp_path: Path) -> None:
    torch.save({"conv.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    with pytest.raises(ArchitectureError, match="not a GPEN generator state_dict"):
        load_gpen(tmp_path / "other.pth")


def test_dtype_names() -> None:
    assert resolve_dtype("auto", "cpu") == torch.float32
    assert resolve_dtype(None, "cuda") == torch.float32  # unmeasured on GPUs so far: see weights/README.md
    assert resolve_dtype("bf16", "cpu") == torch.bfloat16
    assert resolve_dtype("fp16", "cuda") == torch.float16
    assert resolve_dtype(torch.float64, "cpu") == torch.float64
    with pytest.raises(UsageError, match="unknown dtype: fp8"):
        resolve_dtype("fp8", "cpu")
