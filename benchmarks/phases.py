"""Where one training epoch's time goes: the phases of deltaprop's mini-batch loop, timed apart.

``make bench`` says how far an epoch is from the matrix-product bound; this says what
the rest is. It runs the loop of ``training._fit_steps`` for Fashion-MNIST (gather the
shuffled batch, then ``Workspace``'s forward pass, output layer and backward pass, then
the optimiser's update) with a clock around each phase, beside the bound's matrix products
alone, and prints milliseconds per epoch for each: the best of ``--epochs`` epochs after a
warm-up, interleaved with the bound's so that load from elsewhere hits both alike.

Usage: ``python benchmarks/phases.py [--network 784-100-10] [--optimiser adam] [--epochs 5]``
(``make bench`` unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE; do the same here.)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contenders import BATCH, LEARNING_RATE, MOMENTUM  # noqa: E402
from fmnist import load_fashion_mnist  # noqa: E402

PHASES = ("gather", "forward", "output layer", "backward", "update")


def gemm_epoch(X, W, A, D, G) -> float:
    """The bound: the same matrix products as benchmarks/contenders.py's ``gemm``, nothing else."""
    L = len(W)
    start = time.perf_counter()
    for lo in range(0, len(X) - BATCH + 1, BATCH):
        a = X[lo : lo + BATCH]
        for l in range(L):
            a = np.matmul(a, W[l].T, out=A[l])
        for l in range(L - 1, 0, -1):
            np.matmul(D[l], W[l], out=D[l - 1])
        prev = X[lo : lo + BATCH]
        for l in range(L):
            np.matmul(D[l].T, prev, out=G[l])
            prev = A[l]
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--network", default="784-100-10", help="layer sizes N_0-...-N_L (default 784-100-10)")
    parser.add_argument("--optimiser", choices=sorted(LEARNING_RATE), default="adam")
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs after one warm-up (default 5)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs: expected an integer >= 1; got {args.epochs}")
    sizes = [int(s) for s in args.network.split("-")]

    from deltaprop import Network
    from deltaprop.fastpath import Workspace
    from deltaprop.optimisers import apply_update, get_optimiser
    from deltaprop.training import _initial_states, _whole_update

    X, y, _, _ = load_fashion_mnist()
    net = Network(sizes, activation="relu", seed=0, dtype="float32")
    T = np.eye(sizes[-1], dtype=np.float32)[y]  # one-hot targets, as training encodes them
    options = {"momentum": MOMENTUM} if args.optimiser == "sgd" else {}
    optimiser = get_optimiser(args.optimiser, **options)
    params = net.parameters()
    states = _initial_states(optimiser, net)
    workspace = Workspace.for_network(net, BATCH)
    if workspace is None:
        raise SystemExit("phases: the fast path is unavailable here (is Numba installed?)")
    whole = _whole_update(optimiser, params, workspace.grad, states)  # all of theta in one call, as fit does
    rng = np.random.default_rng(0)
    xbuf, tbuf = np.empty((BATCH, X.shape[1]), np.float32), np.empty((BATCH, T.shape[1]), np.float32)
    W = [w.copy() for w in net.weights]
    A = [np.empty((BATCH, s), np.float32) for s in sizes[1:]]
    D = [rng.standard_normal((BATCH, s)).astype(np.float32) for s in sizes[1:]]
    G = [np.empty_like(w) for w in W]
    step = 0

    def deltaprop_epoch() -> dict:
        nonlocal step
        spent = dict.fromkeys(PHASES, 0.0)
        clock = time.perf_counter
        order = rng.permutation(len(X))
        for lo in range(0, len(X), BATCH):
            t0 = clock()
            idx = order[lo : lo + BATCH]
            xb = np.take(X, idx, axis=0, out=xbuf[: len(idx)], mode="clip")
            tb = np.take(T, idx, axis=0, out=tbuf[: len(idx)], mode="clip")
            t1 = clock()
            acts, zL = workspace._forward(xb, True, rng)
            t2 = clock()
            workspace._output_layer(zL, tb, None, True)
            t3 = clock()
            workspace._backward(acts, len(idx))
            t4 = clock()
            step += 1
            grads = [g for dW, db in zip(workspace.dW, workspace.db) for g in (dW, db)]
            apply_update(optimiser, params, grads, states, LEARNING_RATE[args.optimiser], step, whole)
            t5 = clock()
            for phase, seconds in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                spent[phase] += seconds
        return spent

    deltaprop_epoch(), gemm_epoch(X, W, A, D, G)  # warm-up: compilation, page faults, BLAS threads
    runs, bounds = [], []
    for _ in range(args.epochs):
        time.sleep(0.3)  # let the other's idle BLAS threads stop spinning
        runs.append(deltaprop_epoch())
        time.sleep(0.3)
        bounds.append(gemm_epoch(X, W, A, D, G))
    best = min(runs, key=lambda spent: sum(spent.values()))
    total, bound = sum(best.values()), min(bounds)
    print(f"{args.network}, {args.optimiser}, batch {BATCH}, float32: best of {args.epochs} epochs, ms per epoch")
    for phase in PHASES:
        print(f"  {phase:13s} {best[phase] * 1e3:7.1f}")
    print(f"  {'deltaprop':13s} {total * 1e3:7.1f}   ({total / bound:.2f}x the bound)")
    print(f"  {'GEMMs alone':13s} {bound * 1e3:7.1f}   (forward + backward of deltaprop: {(best['forward'] + best['output layer'] + best['backward']) / bound:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
