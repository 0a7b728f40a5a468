"""Running GPEN over aligned crops in fixed-size batches, so a face's pixels never depend on its batch-mates.

Rule 1 asks for the same pixels whatever order frames are requested in, which decides which faces
share a batch. Convolution kernels are free to pick a different algorithm (and summation order) for a
different batch size: on a 2-core CPU a conv gave bit-identical results for a sample at any position in
batches of one size, but differed by ~5e-8 between batch 1 and larger batches; cuDNN chooses
algorithms by shape too. So every batch is padded to the same ``batch_size`` (with zero crops, whose
results are dropped); the last, partial batch costs a full one.

The batch size is fixed when first needed: ``batch_size`` if given, else on CUDA from a probe of one
face's peak memory and the free memory (rounded down to a power of two, at most 32, so that two runs on
the same card almost always agree), else 4 on the CPU. An out-of-memory error halves it and retries
rather than failing; results after a halving may differ from earlier ones in the last float bit.
Keep ``torch.backends.cudnn.benchmark`` off for the same reason (timed algorithm choice differs run to run).
"""

from __future__ import annotations

import torch
from torch import nn

CPU_BATCH = 4
MAX_AUTO_BATCH = 32
_MEMORY_SHARE = 0.6  # of free memory that GPEN batches may use; the rest is frames, crops, the encoder


class FaceRestorer:
    """GPEN on aligned RGB crops: ``restore((N,3,S,S) float [0,1]) -> (N,3,S,S) float32 [0,1]``."""

    def __init__(self, model: nn.Module, batch_size: int = 0, channels_last: bool = False):
        if batch_size < 0:
            raise ValueError(f"batch_size must be >= 0, got {batch_size}")
        first = next(model.parameters())
        self.model = model.eval()
        self.device, self.dtype = first.device, first.dtype
        self.size = int(getattr(model, "size", 0)) or None
        self.channels_last = channels_last
        if channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self._batch = batch_size

    @property
    def batch_size(self) -> int:
        """The fixed batch size, chosen on first use when 0 was asked for."""
        if self._batch == 0:
            self._batch = self._auto_batch()
        return self._batch

    @torch.no_grad()  # not inference_mode: callers may still update the results in place
    def restore(self, crops: torch.Tensor) -> torch.Tensor:
        """Restore aligned crops in fixed-size batches; output is on the model's device, float32."""
        if crops.dim() != 4 or crops.shape[1] != 3:
            raise ValueError(f"crops must be (N,3,S,S), got {tuple(crops.shape)}")
        if self.size is not None and crops.shape[-2:] != (self.size, self.size):
            raise ValueError(f"crops must be {self.size}x{self.size} for this model, got {tuple(crops.shape[-2:])}")
        out = torch.empty(crops.shape, dtype=torch.float32, device=self.device)
        start = 0
        while start < len(crops):
            size = self.batch_size
            chunk = crops[start : start + size]
            try:
                out[start : start + len(chunk)] = self._run(chunk, size)
            except torch.OutOfMemoryError:
                if size == 1:
                    raise
                self._batch = size // 2
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                continue
            start += len(chunk)
        return out

    def _run(self, chunk: torch.Tensor, size: int) -> torch.Tensor:
        """One padded batch through the network; returns the real crops' results, clamped to [0,1]."""
        x = torch.zeros((size, *chunk.shape[1:]), dtype=self.dtype, device=self.device)
        x[: len(chunk)] = chunk.to(device=self.device, dtype=self.dtype)
        x = (x - 0.5) / 0.5
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = self.model(x)
        if isinstance(y, (tuple, list)):  # the reference generator returns (image, latents)
            y = y[0]
        return (y[: len(chunk)].float() * 0.5 + 0.5).clamp_(0.0, 1.0)

    def _auto_batch(self) -> int:
        if self.device.type != "cuda" or self.size is None:
            return CPU_BATCH
        torch.cuda.synchronize(self.device)
        base = torch.cuda.memory_allocated(self.device)
        torch.cuda.reset_peak_memory_stats(self.device)
        with torch.no_grad():
            self._run(torch.zeros((1, 3, self.size, self.size), device=self.device), 1)
        per_face = max(torch.cuda.max_memory_allocated(self.device) - base, 1)
        free, _ = torch.cuda.mem_get_info(self.device)
        fits = int(_MEMORY_SHARE * free // per_face)
        return max(1, min(MAX_AUTO_BATCH, 1 << max(fits, 1).bit_length() - 1))
