"""The same parity on a CUDA device (run with ``-m gpu`` where there is one)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gpen_video.model import load_gpen

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


@pytest.mark.parametrize("dtype,bound", [("fp32", 1e-5), ("bf16", 3e-2), ("fp16", 5e-3)])
def test_golden_on_cuda(golden: Path, dtype: str, bound: float) -> None:
    model = load_gpen(golden / "gpen_mid.pth", device="cuda", dtype=dtype)
    x = torch.from_numpy(np.load(golden / "gpen_mid_input.npy")).cuda()
    expected = torch.from_numpy(np.load(golden / "gpen_mid_output.npy"))
    with torch.inference_mode():
        out = model(x).double().cpu()
    assert torch.isfinite(out).all()
    assert ((out - expected).norm() / expected.norm()).item() <= bound
