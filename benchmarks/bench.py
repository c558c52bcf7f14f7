"""``make bench``: deltaprop's training speed against the matrix-multiply bound, PyTorch and scikit-learn.

For each network and optimiser, four processes (one per contender, see
``contenders.py``) load Fashion-MNIST and are driven epoch by epoch in turn:
epoch 1 is a warm-up, the later ones are timed (each after a pause of
``SETTLE_S``, so that the last contender's threads are idle), and the best timed epoch of
each contender is its seconds per epoch (the least disturbed by other load on
the machine). Every contender trains the same number of epochs before its
test accuracy is taken. With ``--seeds N`` this is repeated for seeds
0..N-1 (initial weights and shuffling): the accuracy shown is the mean over
the seeds, since after a few epochs one seed's accuracy varies by a point or
two, more than the accuracy target's half point; seconds per epoch are the
best over all seeds. Then the time-to-accuracy recipe runs. The table is
printed and written as JSON to ``bench-results/``.

Usage: ``python benchmarks/bench.py [--quick] [--epochs N] [--seeds N] [--no-recipe]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "bench-results"
NETWORKS = ["784-100-10", "784-512-256-10", "784-1024-1024-10"]
OPTIMISERS = ["adam", "sgd"]
CONTENDERS = ["gemm", "deltaprop", "torch", "sklearn"]
#: The issue's targets, as ratios measured in the same run.
TARGETS = {"bound": 1.25, "torch": 2.0, "sklearn": 3.0, "accuracy_points": 0.5, "memory_extra_mib": 512}
DATASET_MIB = 70000 * 784 * 4 / 2**20  # Fashion-MNIST in float32
#: Pause before each contender's epoch: the previous contender's idle BLAS and OpenMP threads
#: keep spinning for a while after its work (OpenBLAS about 2^28 cycles, ~0.1 s), and on two
#: cores they would take time from the next one's epoch.
SETTLE_S = 0.5


def blas_report() -> dict:
    """Which BLAS NumPy calls and with which kernel (threadpoolctl), plus the OpenBLAS overrides in force."""
    import numpy as np  # noqa: F401  (loads the BLAS so threadpoolctl sees it)
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    info = {
        "numpy": np.__version__,
        "blas": [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "threading_layer")} for i in blas],
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return info


class Contender:
    """One contender's process, answering one JSON line per command."""

    def __init__(self, name: str, network: str, optimiser: str, epochs: int, seed: int) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "contenders.py"), name, network, optimiser, str(epochs), str(seed)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )

    def ask(self, command: str | None = None) -> dict:
        if command is not None:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"contender {self.name} stopped (exit code {self.proc.wait()})")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def measure(network: str, optimiser: str, epochs: int, seed: int = 0) -> dict:
    """Run the four contenders interleaved; return seconds per epoch, accuracy and peak memory of each."""
    procs = [Contender(name, network, optimiser, epochs, seed) for name in CONTENDERS]
    try:
        for p in procs:
            p.ask()  # ready
        seconds = {p.name: [] for p in procs}
        for _ in range(epochs):
            for p in procs:
                time.sleep(SETTLE_S)
                seconds[p.name].append(p.ask("epoch")["seconds"])
        result = {}
        for p in procs:
            final = p.ask("eval")
            timed = seconds[p.name][1:] or seconds[p.name]  # epoch 1 is the warm-up
            result[p.name] = {"seconds_per_epoch": min(timed), "epochs_seconds": seconds[p.name], **final}
        return result
    finally:
        for p in procs:
            p.close()


def combine(per_seed: list[dict]) -> dict:
    """One result per contender from runs with different seeds: the best epoch, the mean accuracy, the largest peak."""
    out = {}
    for name in CONTENDERS:
        runs = [r[name] for r in per_seed]
        accuracies = [run["accuracy"] for run in runs]
        out[name] = {
            "seconds_per_epoch": min(run["seconds_per_epoch"] for run in runs),
            "epochs_seconds": [run["epochs_seconds"] for run in runs],
            "accuracy": None if accuracies[0] is None else sum(accuracies) / len(accuracies),
            "accuracy_per_seed": accuracies,
            "peak_mib": max(run["peak_mib"] for run in runs),
        }
    return out


def ratios(r: dict) -> dict:
    d = r["deltaprop"]["seconds_per_epoch"]
    out = {
        "bound": d / r["gemm"]["seconds_per_epoch"],
        "torch": r["torch"]["seconds_per_epoch"] / d,
        "sklearn": r["sklearn"]["seconds_per_epoch"] / d,
        "accuracy_points_vs_torch": 100 * (r["deltaprop"]["accuracy"] - r["torch"]["accuracy"]),
        "memory_extra_mib": r["deltaprop"]["peak_mib"] - DATASET_MIB,
    }
    out["held"] = {
        "bound": out["bound"] <= TARGETS["bound"],
        "torch": out["torch"] >= TARGETS["torch"],
        "sklearn": out["sklearn"] >= TARGETS["sklearn"],
        "accuracy": out["accuracy_points_vs_torch"] >= -TARGETS["accuracy_points"],
        "memory": out["memory_extra_mib"] <= TARGETS["memory_extra_mib"],
    }
    return out


def print_row(network: str, optimiser: str, r: dict, q: dict) -> None:
    s = {k: r[k]["seconds_per_epoch"] for k in CONTENDERS}
    acc = {k: r[k]["accuracy"] for k in CONTENDERS if r[k]["accuracy"] is not None}
    mark = lambda ok: "" if ok else "!"  # noqa: E731
    print(
        f"| {network} | {optimiser} | {s['gemm']:.2f} | {s['deltaprop']:.2f} | {s['torch']:.2f} | {s['sklearn']:.2f} "
        f"| {q['bound']:.2f}x{mark(q['held']['bound'])} | {q['torch']:.2f}x{mark(q['held']['torch'])} "
        f"| {q['sklearn']:.2f}x{mark(q['held']['sklearn'])} "
        f"| {acc['deltaprop']:.4f} / {acc['torch']:.4f} / {acc['sklearn']:.4f}{mark(q['held']['accuracy'])} "
        f"| {r['deltaprop']['peak_mib']:.0f} / {r['torch']['peak_mib']:.0f} / {r['sklearn']['peak_mib']:.0f} |",
        flush=True,
    )


def run_recipe() -> dict:
    proc = subprocess.Popen([sys.executable, str(HERE / "contenders.py"), "recipe"], stdout=subprocess.PIPE, text=True)
    final = {}
    for line in proc.stdout:
        message = json.loads(line)
        if message.get("done"):
            final = message
        else:
            print(f"  recipe epoch {message['epoch']}: {message['seconds']:.1f} s trained, test accuracy {message['accuracy']:.4f}", flush=True)
    proc.wait()
    return final


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="Adam only, 2 epochs (1 warm-up + 1 timed): a few minutes")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per contender, the first a warm-up (default 4; quick 2)")
    parser.add_argument("--seeds", type=int, default=1, help="run each comparison with seeds 0..N-1 and average the accuracy (default 1)")
    parser.add_argument("--no-recipe", action="store_true", help="skip the time-to-accuracy run")
    parser.add_argument("--networks", nargs="+", choices=NETWORKS, default=NETWORKS, metavar="SIZES", help=f"subset of {NETWORKS}")
    parser.add_argument("--optimisers", nargs="+", choices=OPTIMISERS, default=None, help="adam and/or sgd (default both; quick: adam)")
    args = parser.parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 4)
    if epochs < 1:
        parser.error(f"--epochs: expected an integer >= 1; got {epochs}")
    if args.seeds < 1:
        parser.error(f"--seeds: expected an integer >= 1; got {args.seeds}")
    optimisers = args.optimisers or (["adam"] if args.quick else OPTIMISERS)

    info = blas_report()
    print(f"machine: {info['cpu']}, {info['cpus']} CPUs; numpy {info['numpy']}")
    for b in info["blas"]:
        print(f"BLAS: {b['internal_api']} {b['version']}, kernel {b['architecture']}, {b['num_threads']} threads ({b['threading_layer']})")
    if info["OPENBLAS_CORETYPE"]:
        print(f"WARNING: OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']} forces OpenBLAS's {info['OPENBLAS_CORETYPE']} kernel, "
              "possibly older than this CPU's; unset it (make bench does) for the real bound.")
    if info["OPENBLAS_L2_SIZE"]:
        print(f"WARNING: OPENBLAS_L2_SIZE={info['OPENBLAS_L2_SIZE']} overrides OpenBLAS's blocking for this CPU.")
    print(f"Fashion-MNIST, batch 200, float32, ReLU MLP; {epochs} epochs each (the first a warm-up; best timed epoch shown); "
          f"{'seed 0' if args.seeds == 1 else f'seeds 0-{args.seeds - 1}, mean accuracy'}; "
          f"load average at start {os.getloadavg()[0]:.2f}\n")
    print("| network | optimiser | GEMM bound s/epoch | deltaprop | PyTorch | scikit-learn | deltaprop / bound "
          "| PyTorch / deltaprop | sklearn / deltaprop | test accuracy dp / torch / sklearn | peak MiB dp / torch / sklearn |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for network in args.networks:
        for optimiser in optimisers:
            r = combine([measure(network, optimiser, epochs, seed) for seed in range(args.seeds)])
            q = ratios(r)
            print_row(network, optimiser, r, q)
            rows.append({"network": network, "optimiser": optimiser, "results": r, "ratios": q})
    print(f"('!' marks a target missed: deltaprop <= {TARGETS['bound']}x the bound, >= {TARGETS['torch']}x faster than PyTorch, "
          f">= {TARGETS['sklearn']}x faster than scikit-learn, accuracy within {TARGETS['accuracy_points']} points of PyTorch, "
          f"peak memory <= data set ({DATASET_MIB:.0f} MiB) + {TARGETS['memory_extra_mib']} MiB)")

    recipe = None
    if not args.no_recipe:
        print("\ntime to accuracy (>= 0.90 test accuracy, < 60 s of training):")
        recipe = run_recipe()
        if recipe:
            verdict = "reached" if recipe["reached"] else "NOT reached"
            print(f"  {verdict}: {recipe['accuracy']:.4f} after {recipe['epochs']} epochs, {recipe['seconds']:.1f} s of training; recipe {recipe['recipe']}")

    report = {"machine": info, "epochs": epochs, "seeds": args.seeds, "quick": args.quick, "load_average_end": os.getloadavg(), "rows": rows,
              "recipe": recipe, "targets": TARGETS, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}{'-quick' if args.quick else ''}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2))
    os.replace(tmp, path)  # atomic: a reader never sees half a file
    print(f"\nwritten to {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
