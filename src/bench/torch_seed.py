"""The seed's own PyTorch training loop, timed for `npm run bench` (never run in CI).

What it trains is the seed question's network, as sweeps/seed-baseline.yaml describes it:
log of the five raw inputs -> Linear(5,16) -> Linear(16,16) -> exp -> Linear(16,1), Adam
(lr 0.01), batch 1000, the loss |pred - y| / (x5/x2), ReduceLROnPlateau(factor 0.1,
patience 1000) stepped with the loss read back every step (`loss.item()`, as the seed does).
One thread (torch.set_num_threads(1)), float32 training.

Fairness with sweepdeck's trainer, which times data generation too: the data is generated
inside the timed loop here as well, the way sweepdeck does it (float64 sampling of blocks of
16 batches, features/target/scale computed in float64, handed to float32), but vectorised
with torch instead of the seed's per-sample Python loop, which would dominate the time.
`train_only` times the same loop with the data generated beforehand.

Usage: python3 torch_seed.py [--width 16] [--steps 1500] [--seconds 3] [--repeats 3] [--warmup 1]
Prints one JSON object: {"torch": version, "threads": 1, "width": w, "with_data": [steps/s...], "train_only": [...]}.
Each measurement ends after --steps steps or --seconds seconds, whichever comes first.
"""

import argparse
import json
import math
import time

import torch

BATCH = 1000
BLOCK_BATCHES = 16  # sweepdeck generates 16384 samples at a time: 16 batches of 1000


def sample_block(generator: torch.Generator, n: int):
    """n samples of the seed's variables in float64 -> (float32 log-features, float32 target, float32 scale)."""
    u = lambda: torch.rand(n, dtype=torch.float64, generator=generator)
    x1 = 500 + 500 * u()
    x2 = 1 + (x1 - 2) * u()
    x3 = 1 + 9999 * u()
    x4 = 1e-6 + (1e-3 - 1e-6) * u()
    x5 = torch.floor(1000 + 49000 * u())
    target = x5 / x2 - (x1 - x2) / (2 * x3 * x4) * x2 / x1
    scale = x5 / x2
    features = torch.log(torch.stack([x1, x2, x3, x4, x5], dim=1))
    return features.float(), target.float(), scale.float()


class SeedNet(torch.nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.hidden = torch.nn.Sequential(torch.nn.Linear(5, width), torch.nn.Linear(width, width))
        self.out = torch.nn.Linear(width, 1)

    def forward(self, x):
        return self.out(torch.exp(self.hidden(x)))


def measure(width: int, steps: int, seconds: float, with_data: bool, seed: int) -> float:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    net = SeedNet(width)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.1, patience=1000)
    pregenerated = None if with_data else sample_block(generator, BATCH * BLOCK_BATCHES)
    block = pregenerated
    started = time.perf_counter()
    done = 0
    while done < steps:
        offset = (done % BLOCK_BATCHES) * BATCH
        if offset == 0 and with_data:
            block = sample_block(generator, BATCH * BLOCK_BATCHES)
        x, y, s = (t[offset : offset + BATCH] for t in block)
        optimizer.zero_grad()
        pred = net(x)[:, 0]
        loss = torch.mean(torch.abs(pred - y) / s)
        loss.backward()
        optimizer.step()
        value = loss.item()
        if not math.isfinite(value):
            raise SystemExit(f"diverged at step {done}")
        scheduler.step(value)
        done += 1
        if time.perf_counter() - started > seconds:
            break
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of training before measuring")
    args = parser.parse_args()
    torch.set_num_threads(1)
    # Warm-up: allocator, kernels' first-call costs.
    if args.warmup > 0:
        measure(args.width, 1_000_000, args.warmup, True, 0)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "width": args.width, "with_data": [], "train_only": []}
    for repeat in range(args.repeats):
        result["with_data"].append(measure(args.width, args.steps, args.seconds, True, repeat + 1))
        result["train_only"].append(measure(args.width, args.steps, args.seconds, False, repeat + 1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
