"""Fashion-MNIST for the benchmark: float32 pixels in [0, 1], one image per row, int labels."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

DATA_DIR = Path(os.environ.get("DELTAPROP_DATA", "/usr/share/datasets")) / "fashion-mnist"
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _read_idx(path: Path) -> np.ndarray:
    try:
        from deltaprop.data import read_idx  # the project's reader, when present
    except ImportError:  # a tiny one of our own: unsigned-byte IDX only
        with gzip.open(path, "rb") as f:
            raw = f.read()
        ndim = raw[3]
        shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
        return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    return read_idx(path)


def load_fashion_mnist(directory: Path = DATA_DIR):
    """Return X (60000, 784) float32, y (60000,) int64, X_test (10000, 784), y_test (10000,)."""
    missing = [name for name in FILES if not (directory / name).exists()]
    if missing:
        raise SystemExit(f"Fashion-MNIST: missing {missing} in {directory}; install dataset-fashion-mnist or set DELTAPROP_DATA")
    images, labels, test_images, test_labels = (_read_idx(directory / name) for name in FILES)

    def pixels(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a.reshape(len(a), -1), dtype=np.float32) / np.float32(255)

    return pixels(images), labels.astype(np.int64), pixels(test_images), test_labels.astype(np.int64)
