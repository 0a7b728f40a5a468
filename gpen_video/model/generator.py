"""The GPEN generator (the reference ``FullGenerator``): an encoder to 4x4, a latent, a StyleGAN2 decoder.

The module tree mirrors the released checkpoints key for key (``generator.*``, ``ecd0..``,
``final_linear``), so their state_dicts load strictly. ``forward`` returns the image tensor itself,
unclamped (roughly [-1, 1]), not the reference's ``(image, None)`` tuple.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from gpen_video.model._layers import (
    ConstantInput,
    ConvLayer,
    EqualLinear,
    ModulatedConv2d,
    PixelNorm,
    StyledConv,
    ToRGB,
)
from gpen_video.model.config import GPENConfig

LR_MLP = 0.01


@contextmanager
def _ieee_fp32_convs(active: bool) -> Iterator[None]:
    """cuDNN runs fp32 convs as TF32 by default (~1e-3 relative error); here fp32 means fp32.

    TF32 is a precision choice like fp16 and bf16, to be measured before it is used (weights/README.md).
    """
    if not active:
        yield
        return
    conv = torch.backends.cudnn.conv
    saved, conv.fp32_precision = conv.fp32_precision, "ieee"
    try:
        yield
    finally:
        conv.fp32_precision = saved


class Generator(nn.Module):
    """The StyleGAN2 synthesis half, with each styled conv concatenating the encoder map of its size."""

    def __init__(self, config: GPENConfig) -> None:
        super().__init__()
        channels, style_dim = config.channels, config.style_dim
        self.style = nn.Sequential(PixelNorm(), *(
            EqualLinear(style_dim, style_dim, lr_mul=LR_MLP, activation=True) for _ in range(config.n_mlp)))
        self.input = ConstantInput(channels[4])
        self.conv1 = StyledConv(channels[4], channels[4], style_dim)
        self.to_rgb1 = ToRGB(channels[4] * 2, style_dim, upsample=False)
        self.convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        in_channel = channels[4]
        for level in range(3, config.log_size + 1):
            out_channel = channels[2**level]
            self.convs.append(StyledConv(in_channel * 2, out_channel, style_dim, upsample=True))
            self.convs.append(StyledConv(out_channel * 2, out_channel, style_dim))
            self.to_rgbs.append(ToRGB(out_channel * 2, style_dim))
            in_channel = out_channel

    def forward(self, w: Tensor, features: list[Tensor]) -> Tensor:
        """Synthesise from latent ``w`` (B, style_dim); ``features[j]`` is the encoder map at 4 * 2**j."""
        out = self.conv1(self.input(w.shape[0]), w, features[0])
        skip = self.to_rgb1(out, w)
        for j, to_rgb in enumerate(self.to_rgbs):
            out = self.convs[2 * j](out, w, features[j + 1])
            out = self.convs[2 * j + 1](out, w, features[j + 1])
            skip = to_rgb(out, w, skip)
        return skip


class GPEN(nn.Module):
    """GPEN FullGenerator: RGB NCHW in [-1, 1] at ``size`` -> restored RGB, same size, unclamped."""

    def __init__(self, config: GPENConfig) -> None:
        super().__init__()
        self.config = config
        self.size = config.size
        channels = config.channels
        self.generator = Generator(config)
        # ecd0 sees the input resolution; ecdK halves it K times (reference numbering, so keys differ by size).
        self.ecd0 = nn.Sequential(ConvLayer(3, channels[config.size], 1))
        for k in range(1, config.log_size - 1):
            resolution = config.size >> k
            encoder = ConvLayer(channels[resolution * 2], channels[resolution], 3, downsample=True)
            setattr(self, f"ecd{k}", nn.Sequential(encoder))
        self.final_linear = nn.Sequential(EqualLinear(channels[4] * 16, config.style_dim, activation=True))

    @property
    def dtype(self) -> torch.dtype:
        """The dtype the convolutions run in (the latent path may be wider, see ``cast``)."""
        return self.generator.input.input.dtype

    def encoders(self) -> list[nn.Module]:
        return [getattr(self, f"ecd{k}") for k in range(self.config.log_size - 1)]

    def forward(self, x: Tensor) -> Tensor:
        x = x.to(self.dtype)
        with _ieee_fp32_convs(x.is_cuda and x.dtype == torch.float32):
            features = []
            for encoder in self.encoders():
                x = encoder(x)
                features.append(x)
            w = self.generator.style(self.final_linear(x.flatten(1)))
            return self.generator(w, features[::-1])

    def cast(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> GPEN:
        """Move to ``device`` and ``dtype``, but keep every EqualLinear (the latent path) in fp32 or wider.

        The mapping MLP and the modulations are a rounding error of the cost, and their output sets the
        scale of every channel of every layer, so narrowing them buys nothing and costs accuracy.
        """
        narrow = dtype is not None and dtype.itemsize < 4
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, EqualLinear):  # straight to fp32, never through the narrow dtype
                    module.to(device=device, dtype=torch.float32 if narrow else dtype)
                    continue
                for param in module.parameters(recurse=False):
                    param.data = param.data.to(device=device, dtype=dtype)
                for name, buffer in module.named_buffers(recurse=False):
                    module.register_buffer(name, buffer.to(device=device, dtype=dtype))
        return self

    def use_grouped_conv(self, enabled: bool = True) -> GPEN:
        """Switch every modulated conv to the reference per-sample grouped form (the slow baseline)."""
        for module in self.modules():
            if isinstance(module, ModulatedConv2d):
                module.grouped = enabled
        return self
