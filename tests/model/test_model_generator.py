"""The network against the reference: golden outputs, released key manifests, the two conv forms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gpen_video.model import GPEN, GPENConfig, infer_config, load_gpen

GOLDEN = ["tiny", "small", "mid"]
RELEASED = {256: GPENConfig(256, 512, 8, 1, 0.5), 512: GPENConfig(512, 512, 8, 2, 1),
            1024: GPENConfig(1024, 512, 8, 2, 1), 2048: GPENConfig(2048, 512, 8, 2, 1)}


def relative_l2(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


def golden_io(golden: Path, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.from_numpy(np.load(golden / f"gpen_{name}_input.npy"))
    return x, torch.from_numpy(np.load(golden / f"gpen_{name}_output.npy"))


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_fp32_and_fp64(golden: Path, name: str) -> None:
    model = load_gpen(golden / f"gpen_{name}.pth", device="cpu")
    x, expected = golden_io(golden, name)
    with torch.no_grad():
        out32 = model(x)
        out64 = model.double()(x.double())
    assert out32.dtype == torch.float32 and out32.shape == expected.shape
    assert relative_l2(out32, expected) <= 1e-5
    assert relative_l2(out64, expected) <= 1e-10


@pytest.mark.parametrize("name", GOLDEN)
def test_batched_matches_reference_grouped_form(golden: Path, name: str) -> None:
    model = load_gpen(golden / f"gpen_{name}.pth", device="cpu").double()
    x, expected = golden_io(golden, name)
    with torch.no_grad():
        batched = model(x.double())
        grouped = model.use_grouped_conv()(x.double())
    assert relative_l2(grouped, expected) <= 1e-10
    assert relative_l2(batched, grouped) <= 1e-12


def test_batch_of_one_equals_batch_of_two(golden: Path) -> None:
    model = load_gpen(golden / "gpen_small.pth", device="cpu").double()
    x, _ = golden_io(golden, "small")
    with torch.no_grad():
        both, alone = model(x.double()), model(x[1:].double())
    assert torch.allclose(both[1:], alone, rtol=0, atol=1e-12)


@pytest.mark.parametrize("size", sorted(RELEASED))
def test_released_configs_have_the_reference_keys(golden: Path, size: int) -> None:
    lines = (golden / f"keys_gpen_bfr_{size}.txt").read_text().splitlines()
    expected = [tuple(line.split("\t")) for line in lines]
    with torch.device("meta"):
        state = GPEN(RELEASED[size]).state_dict()
    got = [(key, ",".join(map(str, t.shape)), str(t.dtype).removeprefix("torch.")) for key, t in state.items()]
    assert got == expected
    assert infer_config(state) == RELEASED[size]


@pytest.mark.parametrize("name,config", [("tiny", GPENConfig(32, 64, 2, 1, 0.0625)),
                                         ("small", GPENConfig(64, 128, 3, 2, 0.125)),
                                         ("mid", GPENConfig(128, 64, 2, 2, 0.0625))])
def test_infer_config_reads_the_goldens(golden: Path, name: str, config: GPENConfig) -> None:
    state = torch.load(golden / f"gpen_{name}.pth", weights_only=True)
    assert infer_config(state) == config
    with torch.device("meta"):
        assert infer_config(GPEN(config).state_dict()) == config


def test_output_is_unclamped_and_not_a_tuple(golden: Path) -> None:
    model = load_gpen(golden / "gpen_mid.pth", device="cpu")
    x, expected = golden_io(golden, "mid")
    with torch.no_grad():
        out = model(x)
    assert isinstance(out, torch.Tensor)
    assert out.abs().max() > 1.5 and expected.abs().max() > 1.5  # the golden goes to 3.84


@pytest.mark.parametrize("dtype,bound", [(torch.bfloat16, 3e-2), (torch.float16, 5e-3)])
def test_reduced_precision_keeps_the_latent_path_in_fp32(golden: Path, dtype: torch.dtype,
                                                         bound: float) -> None:
    model = load_gpen(golden / "gpen_mid.pth", device="cpu", dtype=dtype)
    assert model.dtype == dtype
    assert model.final_linear[0].weight.dtype == torch.float32
    assert model.generator.convs[0].conv.modulation.weight.dtype == torch.float32
    assert model.generator.convs[0].conv.weight.dtype == dtype
    x, expected = golden_io(golden, "mid")
    with torch.no_grad():
        out = model(x)
    assert out.dtype == dtype and torch.isfinite(out).all()
    assert relative_l2(out, expected) <= bound


def test_half_precision_survives_a_large_style(golden: Path) -> None:
    """Demodulated convs are blind to the style's scale; the batched form must not overflow fp16 there."""
    state = torch.load(golden / "gpen_mid.pth", weights_only=True)
    for key in [k for k in state if ".conv.modulation." in k and "to_rgb" not in k]:
        state[key] = state[key] * 30000
    config = infer_config(state)
    model = GPEN(config).eval()
    model.load_state_dict(state)
    x, expected = golden_io(golden, "mid")
    with torch.no_grad():
        reference = model.double()(x.double())
        half = model.cast("cpu", torch.float16)(x)
    assert relative_l2(reference, expected) <= 1e-3  # the scale barely matters to the network
    assert torch.isfinite(half).all() and relative_l2(half, reference) <= 5e-3
