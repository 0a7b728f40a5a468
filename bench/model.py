"""GPEN speed, memory and precision, measured in one run so the ratios hold on a shared, noisy machine.

For each released size x batch x dtype: faces/s and the peak memory one forward adds, beside the
baseline (the reference per-sample grouped-conv form, fp32, batch 1) and the FLOP floor (FLOPs per face,
counted by torch's FlopCounterMode, over this device's measured matmul rate in that dtype). Then
fp16/bf16 against fp32 on a real face crop (scikit-image's astronaut) with randomly initialised weights
of the released configurations (or trained ones, --checkpoint): relative L2 and the largest error in
8-bit levels.

    python bench/model.py                       # cuda when present, else a ~2 minute cpu run
    python bench/model.py --sizes 512 --batches 1 8 32 --dtypes fp32 fp16 bf16

Timings are taken round-robin over all configurations (median of --repeats rounds after a warm-up),
so a change in a shared machine's load hits them alike. Peak memory is what one forward adds beyond
weights and input: torch.cuda.max_memory_allocated on cuda; on the cpu the peak-RSS growth of a fresh
process running that one configuration.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gpen_video.model import GPEN, GPENConfig, entries, load_gpen  # noqa: E402
from gpen_video.model.load import DTYPES  # noqa: E402

RELEASED = {e.config.size: e.config for e in entries() if e.kind == "gpen" and e.config is not None}
_MODELS: dict[int, GPEN] = {}


def random_gpen(size: int, seed: int = 0) -> GPEN:
    """The released configuration with the goldens' recipe: official init plus 0.1 N(0,1), so every
    parameter (the encoder-skip scales, zero at init, included) is live."""
    if size not in _MODELS:
        torch.manual_seed(seed)
        model = GPEN(RELEASED[size])
        with torch.no_grad():
            for param in model.parameters():
                param.add_(0.1 * torch.randn_like(param))
        _MODELS[size] = model.eval().requires_grad_(False)
    return _MODELS[size]


def flops_per_face(config: GPENConfig) -> float:
    with torch.device("meta"), FlopCounterMode(display=False) as counter:
        GPEN(config)(torch.zeros(1, 3, config.size, config.size))
    return float(counter.get_total_flops())


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_rate(device: torch.device, dtype: torch.dtype, seconds: float = 0.5) -> float:
    """FLOP/s of a large square matmul in ``dtype``: the device's practical ceiling."""
    n = 8192 if device.type == "cuda" else 1024
    a, b = (torch.randn(n, n, device=device).to(dtype) for _ in range(2))
    a @ b
    synchronize(device)
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or runs < 3:
        a @ b
        synchronize(device)
        runs += 1
    return 2 * n**3 * runs / (time.perf_counter() - start)


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


_CAST: dict[tuple[int, str, str], GPEN] = {}


def prepared(job: dict) -> tuple[GPEN, torch.Tensor]:
    """The job's network (shared by jobs of one size and dtype) and a random input batch."""
    device = torch.device(job["device"])
    key = (job["size"], job["dtype"], job["device"])
    if key not in _CAST:
        _CAST[key] = copy.deepcopy(random_gpen(job["size"])).cast(device, DTYPES[job["dtype"]])
    model = _CAST[key].use_grouped_conv(job["form"] == "grouped")
    return model, torch.rand(job["batch"], 3, job["size"], job["size"], device=device) * 2 - 1


def forward_seconds(job: dict) -> float:
    model, x = prepared(job)
    device = x.device
    synchronize(device)
    start = time.perf_counter()
    with torch.inference_mode():
        model(x)
    synchronize(device)
    return time.perf_counter() - start


def peak_mb(job: dict) -> float:
    """Memory one forward adds beyond weights and input: cuda's allocator peak, or the cpu's peak RSS
    growth in a fresh process (so no earlier job's high-water mark hides it)."""
    if job["device"] == "cpu" and not job.get("probe"):
        probe = json.dumps({**job, "probe": True})
        done = subprocess.run([sys.executable, __file__, "--job", probe], capture_output=True, text=True,
                              check=True)
        return float(done.stdout.split()[-1])
    prepared(job)
    device = torch.device(job["device"])
    if device.type == "cuda":
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        forward_seconds(job)
        return (torch.cuda.max_memory_allocated(device) - base) / 1e6
    base = rss_bytes()
    forward_seconds(job)
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base, 0) / 1e6


def measure(jobs: list[dict], repeats: int) -> tuple[list[dict], dict[str, float]]:
    """Memory per job, then timings taken round-robin (one warm-up round), the matmul rates included,
    so a change in the machine's load hits every number alike; each is the median over the rounds.
    Out-of-memory and crashes are results."""
    results = []
    for job in jobs:
        try:
            results.append({**job, "peak_mb": peak_mb(job), "times": []})
        except (torch.OutOfMemoryError, subprocess.CalledProcessError) as error:
            results.append({**job, "error": "out of memory" if "memory" in str(error).lower() else "failed"})
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        print(f"  memory {describe(results[-1])}", file=sys.stderr)
    device = torch.device(jobs[0]["device"])
    rates: dict[str, list[float]] = {dtype: [] for dtype in dict.fromkeys(job["dtype"] for job in jobs)}
    for round_ in range(repeats + 1):
        for result in (r for r in results if "error" not in r):
            seconds = forward_seconds(result)
            if round_:
                result["times"].append(seconds)
        for dtype, measured in rates.items():
            measured.append(matmul_rate(device, DTYPES[dtype]))
        print(f"  timing round {round_}/{repeats} done", file=sys.stderr)
    for result in (r for r in results if "error" not in r):
        result["faces_per_s"] = result["batch"] / statistics.median(result["times"])
    return results, {dtype: statistics.median(measured[1:]) for dtype, measured in rates.items()}


def describe(result: dict) -> str:
    head = f"{result['size']} {result['dtype']} batch {result['batch']} {result['form']}"
    return f"{head}: {result.get('error') or format(result['peak_mb'], '.0f') + ' MB'}"


def plan(args: argparse.Namespace) -> list[dict]:
    jobs = []
    for size in args.sizes:
        common = {"device": args.device, "size": size, "threads": args.threads}
        jobs.append({**common, "batch": 1, "dtype": "fp32", "form": "grouped"})
        jobs += [{**common, "batch": b, "dtype": d, "form": "batched"} for d in args.dtypes for b in args.batches]
    return jobs


def speed_table(results: list[dict], flops: dict[int, float], rates: dict[str, float]) -> list[str]:
    rows = ["| size | dtype | batch | form | faces/s | x baseline | % of FLOP floor | peak MB |",
            "|---|---|---|---|---|---|---|---|"]
    baseline = {r["size"]: r["faces_per_s"] for r in results if r["form"] == "grouped" and "error" not in r}
    for r in results:
        head = f"| {r['size']} | {r['dtype']} | {r['batch']} | {r['form']} |"
        if "error" in r:
            rows.append(f"{head} {r['error']} | | | |")
            continue
        floor = rates[r["dtype"]] / flops[r["size"]]
        ratio = r["faces_per_s"] / baseline[r["size"]] if baseline.get(r["size"]) else float("nan")
        rows.append(f"{head} {r['faces_per_s']:.3g} | {ratio:.2f} | {100 * r['faces_per_s'] / floor:.0f}% "
                    f"| {r['peak_mb']:.0f} |")
    return rows


def astronaut_face(size: int) -> torch.Tensor:
    """The astronaut's face, cropped roughly to GPEN's alignment template, as a [-1, 1] NCHW batch of 1."""
    from skimage.data import astronaut

    # Eyes at about (204, 103) and (245, 104): the template puts them 0.21 of the crop apart, 0.47 down.
    crop = torch.from_numpy(astronaut()[11:207, 127:323].copy()).permute(2, 0, 1)[None].float() / 127.5 - 1
    return F.interpolate(crop, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


def precision_rows(device: torch.device, sizes: list[int], dtypes: list[str],
                   checkpoint: str | None = None) -> list[str]:
    """Each dtype against fp32 (and fp32 against fp64) on the face; real weights when ``checkpoint``."""
    rows = ["| size | compared | relative L2 | max error, 8-bit levels |", "|---|---|---|---|"]
    trained = load_gpen(checkpoint, device="cpu") if checkpoint else None
    for size in [trained.size] if trained is not None else sizes:
        x = astronaut_face(size).to(device)
        source = trained if trained is not None else random_gpen(size)

        def run(dtype: torch.dtype, source: GPEN = source, x: torch.Tensor = x) -> torch.Tensor:
            with torch.inference_mode():
                return copy.deepcopy(source).cast(device, dtype)(x).double()

        fp32 = run(torch.float32)
        pairs = [("fp32 vs fp64", fp32, run(torch.float64))]
        pairs += [(f"{name} vs fp32", run(DTYPES[name]), fp32) for name in dtypes if name != "fp32"]
        for label, out, base in pairs:
            rel = ((out - base).norm() / base.norm()).item()
            worst = (out.clamp(-1, 1) - base.clamp(-1, 1)).abs().max().item() * 127.5
            rows.append(f"| {size} | {label} | {rel:.2e} | {worst:.2f} |")
    return rows


def machine(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}"
    return (f"{platform.processor() or platform.machine()} cpu, {torch.get_num_threads()} threads, "
            f"torch {torch.__version__}, load average {os.getloadavg()[0]:.1f}")


def parse(argv: list[str] | None) -> argparse.Namespace:
    cuda = torch.cuda.is_available()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if cuda else "cpu")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048] if cuda else [256, 512])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 16] if cuda else [1, 2])
    parser.add_argument("--dtypes", nargs="+", default=["fp32", "fp16", "bf16"] if cuda else ["fp32", "bf16"],
                        help="fp16 on the cpu is emulated and ~50x slower than fp32; left out by default")
    parser.add_argument("--repeats", type=int, default=10 if cuda else 2)
    parser.add_argument("--checkpoint", metavar="NAME_OR_PATH",
                        help="measure precision with these trained weights instead of random ones")
    parser.add_argument("--threads", type=int, help="torch cpu threads (default: torch's choice)")
    parser.add_argument("--job", help=argparse.SUPPRESS)  # probe one configuration's cpu memory (JSON)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.job:
        job = json.loads(args.job)
        torch.set_num_threads(job.get("threads") or torch.get_num_threads())
        print(peak_mb(job))
        return 0
    device = torch.device(args.device)
    flops = {size: flops_per_face(RELEASED[size]) for size in args.sizes}
    print(f"machine: {machine(device)}")
    print("FLOPs per face: " + ", ".join(f"{s}: {f / 1e9:.1f} G" for s, f in flops.items()))
    results, rates = measure(plan(args), args.repeats)
    print("matmul rate: " + ", ".join(f"{d}: {r / 1e12:.3g} TFLOP/s" for d, r in rates.items()) + "\n")
    print("\n".join(speed_table(results, flops, rates)) + "\n")
    print("\n".join(precision_rows(device, args.sizes, args.dtypes, args.checkpoint)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
