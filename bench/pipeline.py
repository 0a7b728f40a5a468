"""Pipeline efficiency, end-to-end fps, and flicker of the real pipeline with and without the blend.

Efficiency (DESIGN.md) = end-to-end fps / min(transcode-only fps with the same codec settings,
model-only fps for the same number of faces); 1.0 means the pipeline hides all its own overhead.
All three are measured in this one run, on the same made clip: a 1080p frame with one or four copies
of a real face (scikit-image's astronaut) drifting slowly, with fresh sensor noise on every frame.

Flicker: mean absolute frame-to-frame difference inside the faces' boxes, output over input, on a
clip whose faces stand still (so every difference is noise or invented texture, not motion), for
--temporal 0 (per-frame), 0.5 and 1.

    python bench/pipeline.py                          # CPU: golden GPEN-mid (128 px), 1080p, 16 frames
    python bench/pipeline.py --model GPEN-BFR-512 --frames 240 --device cuda   # on a GPU
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import av
import cv2
import numpy as np
import torch
from skimage.data import astronaut

from gpen_video.io import open_video, open_writer
from gpen_video.model import load_gpen
from gpen_video.options import DetectOptions, EncodeOptions, ModelOptions, Options, RestoreOptions
from gpen_video.pipeline import restore_video
from gpen_video.restore.runner import FaceRestorer

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FACE_BOX = (150, 40, 310, 200)  # x0, y0, x1, y1 of the astronaut's head in her 512x512 photo


def make_clip(path: Path, faces: int, frames: int, size: tuple[int, int], still: bool, seed: int = 0) -> None:
    """A yuv420p x264 clip with ``faces`` copies of a real face on a plain background."""
    w, h = size
    head = astronaut()[FACE_BOX[1]:FACE_BOX[3], FACE_BOX[0]:FACE_BOX[2]]
    head = cv2.resize(head, (h // 3, h // 3), interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(seed)
    spots = [((i % 2) * w // 2 + w // 8, (i // 2) * h // 2 + h // 12) for i in range(faces)] if faces > 1 \
        else [(w // 2 - head.shape[1] // 2, h // 3)]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"crf": "12", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for t in range(frames):
            canvas = np.full((h, w, 3), 96, np.uint8)
            for x, y in spots:
                dx = 0 if still else round(6 * np.sin(t / 9))
                canvas[y:y + head.shape[0], x + dx:x + dx + head.shape[1]] = head
            noisy = np.clip(canvas + rng.normal(0, 4, canvas.shape), 0, 255).astype(np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(noisy, format="rgb24")))
        container.mux(stream.encode())


def transcode_fps(source: Path, target: Path, encode: EncodeOptions) -> float:
    start, n = time.perf_counter(), 0
    with open_video(source) as reader, open_writer(target, reader.info, encode, source=source) as writer:
        for frame in reader:
            writer.write(frame)
            n += 1
    return n / (time.perf_counter() - start)


def model_fps(options: Options, faces_per_frame: int, frames: int) -> float:
    """Frames per second GPEN alone manages for this many faces per frame, at the run's batch size."""
    model = load_gpen(options.model.model, device=options.model.device, dtype=options.model.dtype,
                      weights_dir=options.model.weights_dir)
    runner = FaceRestorer(model, options.model.batch_size)
    crops = torch.rand(faces_per_frame * frames, 3, model.size, model.size, device=options.model.device)
    runner.restore(crops[: runner.batch_size])  # warm-up
    _sync(options.model.device)
    start = time.perf_counter()
    runner.restore(crops)
    _sync(options.model.device)
    return frames / (time.perf_counter() - start)


def end_to_end_fps(source: Path, target: Path, options: Options) -> float:
    report = restore_video(source, target, options, progress=False)
    return report.frames / report.seconds


def flicker(source: Path, output: Path, boxes: list[tuple[int, int, int, int]]) -> float:
    """Mean |frame t - frame t-1| of the output inside the face boxes, over the same for the input."""
    def mean_diff(path: Path) -> float:
        with av.open(str(path)) as container:
            luma = [f.to_ndarray(format="gray").astype(np.float32) for f in container.decode(video=0)]
        diffs = [np.mean([np.abs(b[y0:y1, x0:x1] - a[y0:y1, x0:x1]).mean() for x0, y0, x1, y1 in boxes])
                 for a, b in zip(luma, luma[1:], strict=False)]
        return float(np.mean(diffs))

    return mean_diff(output) / mean_diff(source)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(SHARED / "golden" / "gpen_mid.pth"))
    parser.add_argument("--detector", default="retinaface_mobile0.25")
    parser.add_argument("--weights-dir", default=str(SHARED / "weights"))
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--codec", default="libx264")
    parser.add_argument("--preset", default="veryfast")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    encode = EncodeOptions(codec=args.codec, preset=args.preset, crf=18, overwrite=True)
    options = Options(model=ModelOptions(model=args.model, weights_dir=args.weights_dir, device=args.device),
                      detect=DetectOptions(detector=args.detector), encode=encode)
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"device {args.device}{' ' + torch.cuda.get_device_name() if args.device.startswith('cuda') else ''}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        print(f"\n| faces | transcode fps | model fps | end-to-end fps | efficiency |  ({args.size}, "
              f"{args.frames} frames, {args.codec} {args.preset})\n|---|---|---|---|---|")
        for faces in (1, 4):
            clip = work / f"faces{faces}.mp4"
            make_clip(clip, faces, args.frames, size, still=False)
            transcode = transcode_fps(clip, work / "transcode.mp4", encode)
            model = model_fps(options, faces, args.frames)
            e2e = end_to_end_fps(clip, work / "restored.mp4", options)
            print(f"| {faces} | {transcode:.2f} | {model:.2f} | {e2e:.2f} | {e2e / min(transcode, model):.2f} |")
        still = work / "still.mp4"
        make_clip(still, 1, args.frames, size, still=True)
        h = size[1] // 3
        boxes = [(size[0] // 2 - h // 2, size[1] // 3, size[0] // 2 + h // 2, size[1] // 3 + h)]
        print("\n| --temporal | flicker, output / input |\n|---|---|")
        for temporal in (0.0, 0.5, 1.0):
            out = work / f"still_{temporal}.mp4"
            run = replace(options, restore=RestoreOptions(temporal=temporal))
            restore_video(still, out, run, progress=False)
            print(f"| {temporal} | {flicker(still, out, boxes):.3f} |")


if __name__ == "__main__":
    main()
