"""FaceRestorer: a face's result never depends on its batch-mates; out-of-memory halves the batch."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from gpen_video.restore.runner import FaceRestorer

GOLDEN_TINY = Path(__file__).resolve().parents[3] / "shared" / "golden" / "gpen_tiny.pth"


class StandIn(nn.Module):
    """A few convolutions standing in for GPEN: NCHW in [-1, 1] -> same shape, unclamped."""

    def __init__(self, size: int = 32):
        super().__init__()
        torch.manual_seed(0)
        self.size = size
        self.net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
                                 nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.Conv2d(16, 3, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 2.0 * self.net(x)


class RefusesBigBatches(StandIn):
    """Raises the CUDA out-of-memory error for batches above ``limit``, like a full card."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit, self.seen = limit, []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(len(x))
        if len(x) > self.limit:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return super().forward(x)


def models() -> list[nn.Module]:
    found = [StandIn()]
    if GOLDEN_TINY.exists():
        try:
            from gpen_video.model import load_gpen
        except ImportError:
            return found
        found.append(load_gpen(str(GOLDEN_TINY), "cpu"))
    return found


@pytest.mark.parametrize("model", models(), ids=lambda m: type(m).__name__)
def test_a_face_does_not_depend_on_its_batch(model: nn.Module) -> None:
    crops = torch.rand(9, 3, model.size, model.size, generator=torch.Generator().manual_seed(1))
    restorer = FaceRestorer(model, batch_size=4)
    everything = restorer.restore(crops)
    assert everything.shape == crops.shape and everything.dtype == torch.float32
    assert 0.0 <= everything.min() and everything.max() <= 1.0
    for order in ([8], [3, 0], [5, 8, 2, 1, 7], [8, 7, 6, 5, 4, 3, 2, 1, 0]):
        again = restorer.restore(crops[order])
        assert torch.equal(again, everything[order]), order


def test_output_is_the_clamped_rescaled_network_output() -> None:
    model = StandIn()
    crops = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        padded = torch.cat([(crops - 0.5) / 0.5, torch.full((2, 3, 32, 32), -1.0)])
        expected = (model(padded)[:2] * 0.5 + 0.5).clamp(0, 1)
    assert torch.equal(FaceRestorer(model, batch_size=4).restore(crops), expected)


def test_out_of_memory_halves_the_batch_and_keeps_going() -> None:
    model = RefusesBigBatches(limit=2)
    restorer = FaceRestorer(model, batch_size=8)
    out = restorer.restore(torch.rand(5, 3, 32, 32))
    assert out.shape == (5, 3, 32, 32)
    assert restorer.batch_size == 2 and model.seen[:3] == [8, 4, 2]


def test_a_crop_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="32x32"):
        FaceRestorer(StandIn(), batch_size=2).restore(torch.rand(1, 3, 16, 16))


def test_cpu_default_batch_is_fixed() -> None:
    assert FaceRestorer(StandIn()).batch_size == 4
