"""Flicker benchmark of the temporal blend (DESIGN.md, "How we measure": Flicker).

    .venv/bin/python bench/flicker.py [--frames 40] [--crop 256]

A made clip: a drawn face (skin, eyes that blink, a mouth that opens and closes every 10 frames) moves
along a known smooth path (shift, scale, rotation) through 320x240 yuv420p 8-bit frames, optionally
with per-frame grain. The real path is used: planes -> RGB -> aligned crops (true transforms) -> a
stand-in restorer -> temporal blend -> paste-back into the planes. Measured in aligned-crop space (the
output frames warped back with the true transforms, which removes the known motion), inside the mask
(> 0.5):

- flicker: mean |X_t - X_(t-1)| of the output against that of the input, in 8-bit codes;
- texture kept: with a stand-in restorer that returns the grain-free crop plus fresh per-frame texture
  (as a GAN invents it), the share of the texture's own frame-to-frame change that still reaches the
  output (1 = all of it, as per-frame);
- ghost (an upper bound): with a perfect restorer (the grain-free crop), the largest and the
  99.9th-percentile change the blend makes over the moving eyes and mouth, in 8-bit codes. It also
  counts the blend smoothing the frame's own sub-pixel aliasing of features too thin for the frame;
- err_moving: mean |output - true drawn face| over the eyes and mouth (codes), so a bound that is
  mostly anti-aliasing shows as no loss here;
- motion kept: mean |dX/dt| over the mouth with the blend against per-frame (1 = followed fully).
"""

from __future__ import annotations

import argparse
import functools
import math
from types import SimpleNamespace

import torch

from gpen_video import colour
from gpen_video.restore.align import sampling_grid, template, warp_crops
from gpen_video.restore.blend import temporal_blend
from gpen_video.restore.composite import composite
from gpen_video.restore.mask import face_mask, gaussian_blur, gaussian_kernel

H, W = 240, 320
CANON = 512  # the drawn face, in template space
LAYOUT = SimpleNamespace(family="yuv", bit_depth=8, subsampling=(1, 1), has_alpha=False)
MATRIX, RANGE = "bt601", "tv"
TEXTURE = 0.04  # std of the stand-in restorer's invented texture, in [0,1]
RADIUS = 2  # blend_radius


def _ellipse(yy: torch.Tensor, xx: torch.Tensor, cx: float, cy: float, rx: float, ry: float) -> torch.Tensor:
    """A soft-edged filled ellipse (1 inside, 0 outside, ~1.5 px ramp)."""
    r = torch.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)
    return ((1.0 - r) * min(rx, ry) / 1.5).clamp(0.0, 1.0)


@functools.cache
def draw_face(t: int) -> torch.Tensor:
    """The face at frame t in template space (3, CANON, CANON): the mouth opens, the eyes blink.

    Cached; callers must not modify the tensor.
    """
    yy, xx = torch.meshgrid(torch.arange(CANON).float() + 0.5, torch.arange(CANON).float() + 0.5,
                            indexing="ij")
    pts = template("gpen") * CANON
    img = torch.stack([0.25 + 0.1 * yy / CANON, 0.3 + 0.0 * xx, 0.35 + 0.1 * xx / CANON])
    skin = _ellipse(yy, xx, CANON / 2, CANON * 0.56, CANON * 0.27, CANON * 0.36)
    img = img * (1 - skin) + torch.tensor([0.80, 0.62, 0.52]).view(3, 1, 1) * skin
    img = img * (1 - 0.08 * torch.sin(xx / 11) * torch.cos(yy / 17) * skin)  # gentle shading
    blink = 0.15 if t % 16 in (7, 8) else 1.0
    for ex, ey in pts[:2].tolist():
        eye = _ellipse(yy, xx, ex, ey, CANON * 0.045, CANON * 0.022 * blink)
        img = img * (1 - eye) + 0.12 * eye
    opening = 4 + 22 * max(0.0, math.sin(2 * math.pi * t / 10))
    mx, my = pts[3:].mean(0).tolist()
    mouth = _ellipse(yy, xx, mx, my, CANON * 0.09, opening / 2 + 2)
    return img * (1 - mouth) + torch.tensor([0.45, 0.12, 0.15]).view(3, 1, 1) * mouth


def true_affine(t: int, crop: int) -> torch.Tensor:
    """Frame px -> crop px of the face at frame t: a smooth path with a turn and a zoom."""
    cx, cy = 160 + 40 * math.sin(2 * math.pi * t / 40), 120 + 12 * math.cos(2 * math.pi * t / 30)
    face_px = 120 * (1 + 0.1 * math.sin(2 * math.pi * t / 25))
    a = math.radians(8 * math.sin(2 * math.pi * t / 35))
    s = crop / face_px
    lin = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=torch.float64) * s
    shift = torch.tensor([crop / 2, crop / 2], dtype=torch.float64) - lin @ torch.tensor([cx, cy],
                                                                                          dtype=torch.float64)
    return torch.cat([lin, shift[:, None]], dim=1).float()


def _optics(canon: torch.Tensor, canon_affine: torch.Tensor) -> torch.Tensor:
    """Blur the drawing as a lens would before the sensor samples it, so frames are not aliased."""
    shrink = float(torch.linalg.det(canon_affine[0, :, :2].double()).sqrt())  # canon px per frame px
    sigma = 0.5 * shrink
    kernel = gaussian_kernel(2 * math.ceil(3 * sigma) + 1, sigma)
    return gaussian_blur(canon.unsqueeze(1), kernel).transpose(0, 1)


def make_clip(frames: int, grain: float) -> list[list[torch.Tensor]]:
    """yuv420p 8-bit planes of each frame: the face warped in over a plain background, plus grain."""
    g = torch.Generator().manual_seed(7)
    clip = []
    for t in range(frames):
        canon_affine = true_affine(t, CANON)[None]
        grid = sampling_grid(canon_affine, (H, W), (CANON, CANON))
        face = torch.nn.functional.grid_sample(_optics(draw_face(t), canon_affine), grid,
                                               padding_mode="border", align_corners=False)[0]
        rgb = (face + grain * torch.randn(3, H, W, generator=g)).clamp(0, 1)
        clip.append([colour.quantise(p, 8).to(torch.uint8) for p in
                     colour.rgb_to_planes(rgb, LAYOUT, MATRIX, RANGE)])
    return clip


def run(clip: list[list[torch.Tensor]], clean: list[list[torch.Tensor]], crop: int, temporal: float,
        texture: float) -> torch.Tensor:
    """The restore path over ``clip``; returns the output's aligned crops (F - 2B, 3, S, S).

    The blend is guided by ``clip``'s crops; the stand-in restorer returns ``clean``'s crops (a GPEN
    removes grain) plus ``texture`` of fresh per-frame noise.
    """
    frames = len(clip)
    affines = torch.stack([true_affine(t, crop) for t in range(frames)])

    def crops(planes: list[list[torch.Tensor]]) -> torch.Tensor:
        rgb = torch.stack([colour.planes_to_rgb(p, LAYOUT, MATRIX, RANGE) for p in planes])
        return warp_crops(rgb, torch.arange(frames), affines, crop)

    source = crops(clip)
    g = torch.Generator().manual_seed(11)
    invented = torch.nn.functional.avg_pool2d(torch.randn(frames, 3, crop, crop, generator=g), 3, 1, 1)
    restored = (crops(clean) + texture * 3.0 * invented).clamp(0, 1)  # avg_pool of 9 divides the std by 3
    out = []
    valid = torch.ones(1, 2 * RADIUS + 1, dtype=torch.bool)
    for t in range(RADIUS, frames - RADIUS):
        window = slice(t - RADIUS, t + RADIUS + 1)
        face = temporal_blend(restored[None, window], source[None, window], valid, temporal)
        planes = composite(clip[t], LAYOUT, MATRIX, RANGE, face, affines[t : t + 1], torch.tensor([1.0]))
        out.append(colour.planes_to_rgb(planes, LAYOUT, MATRIX, RANGE))
    return warp_crops(torch.stack(out), torch.arange(len(out)), affines[RADIUS : frames - RADIUS], crop)


def _temporal_diff(x: torch.Tensor, region: torch.Tensor) -> float:
    return float((x[1:] - x[:-1]).abs()[:, :, region].mean() * 255)


def _regions(crop: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inside the mask; the moving parts (eyes and mouth, with margin); the mouth alone."""
    inside = face_mask(crop)[0, 0] > 0.5
    pts = (template("gpen") * crop).tolist()
    centres = pts[:2] + [[(pts[3][0] + pts[4][0]) / 2, (pts[3][1] + pts[4][1]) / 2]]
    boxes = []
    for x, y in centres:
        box = torch.zeros(crop, crop, dtype=torch.bool)
        r = int(0.12 * crop)
        box[max(0, int(y) - r) : int(y) + r, max(0, int(x) - r) : int(x) + r] = True
        boxes.append(box)
    return inside, boxes[0] | boxes[1] | boxes[2], boxes[2]


def measure(frames: int, crop: int, grain: float) -> list[dict[str, float]]:
    clean = make_clip(frames, 0.0)
    clip = make_clip(frames, grain) if grain else clean
    inside, moving, mouth = _regions(crop)
    truth = torch.stack([torch.nn.functional.avg_pool2d(draw_face(t)[None], CANON // crop)[0]
                         for t in range(RADIUS, frames - RADIUS)])
    source = run(clip, clip, crop, 0.0, 0.0)
    per_frame = run(clip, clean, crop, 0.0, TEXTURE)
    perfect_0 = run(clip, clean, crop, 0.0, 0.0)
    rows = []
    for temporal in (0.0, 0.5, 1.0):
        out = run(clip, clean, crop, temporal, TEXTURE) if temporal else per_frame
        perfect = run(clip, clean, crop, temporal, 0.0) if temporal else perfect_0
        change = (perfect - perfect_0)[:, :, moving].abs().flatten() * 255
        rows.append({
            "grain": grain, "temporal": temporal,
            "flicker_in": _temporal_diff(source, inside), "flicker_out": _temporal_diff(out, inside),
            "texture_kept": _temporal_diff(out - perfect, inside) / _temporal_diff(per_frame - perfect_0, inside),
            "ghost_max": float(change.max()), "ghost_p999": float(change.quantile(0.999)),
            "err_moving": float((perfect - truth)[:, :, moving].abs().mean() * 255),
            "motion_kept": _temporal_diff(perfect, mouth) / _temporal_diff(perfect_0, mouth),
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--crop", type=int, default=256)
    args = parser.parse_args()
    print(f"clip {W}x{H} yuv420p 8-bit, {args.frames} frames, crop {args.crop}, blend radius {RADIUS}, "
          f"texture std {TEXTURE}; codes are 8-bit")
    header = ("grain", "temporal", "flicker_in", "flicker_out", "texture_kept", "ghost_max", "ghost_p999",
              "err_moving", "motion_kept")
    print(" | ".join(f"{h:>12}" for h in header))
    for grain in (0.0, 0.02):
        for row in measure(args.frames, args.crop, grain):
            print(" | ".join(f"{row[h]:>12.3f}" for h in header))


if __name__ == "__main__":
    main()
