"""Fuzzing every file reader: random and mutated files never hang, stay within a memory
bound, and raise only the documented errors (ValueError naming the file).

The normal run tries a few hundred cases per reader; ``make fuzz`` sets
DELTAPROP_FUZZ_EXAMPLES=10000 (and runs the atheris harnesses in fuzz/).
"""

import gzip
import io
import os
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import deltaprop as dp
from deltaprop.checkpoint import load_checkpoint
from deltaprop.data import load_table, read_idx, read_inputs
from deltaprop.io import load_model, save_model

EXAMPLES = int(os.environ.get("DELTAPROP_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=2000,  # milliseconds: a reader that hangs fails here
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
MEMORY_BOUND = 32 * 2**20  # bytes a reader may allocate for a file of a few kB


def _valid_files(tmp_dir):
    """One small valid file per reader, as bytes."""
    images = np.arange(3 * 4 * 4, dtype=np.uint8).reshape(3, 4, 4)
    idx = bytes([0, 0, 0x08, 3]) + b"".join(int(s).to_bytes(4, "big") for s in images.shape) + images.tobytes()
    net = dp.Network([4, 3, 2], seed=0)
    net.fit(np.eye(4), [0, 1, 0, 1], epochs=1, checkpoint=os.path.join(tmp_dir, "c.ckpt"))
    model_path = os.path.join(tmp_dir, "m.safetensors")
    save_model(net, model_path)
    npy, npz = io.BytesIO(), io.BytesIO()
    np.save(npy, np.hstack([np.eye(4), np.arange(4)[:, None]]))
    np.savez(npz, X=np.eye(4), y=np.arange(4))
    return {
        "idx": idx,
        "idx.gz": gzip.compress(idx),
        "model": open(model_path, "rb").read(),
        "checkpoint": open(os.path.join(tmp_dir, "c.ckpt"), "rb").read(),
        "csv": b"a,b,label\n1,2,0\n3,4,1\n",
        "npy": npy.getvalue(),
        "npz": npz.getvalue(),
        "inputs.csv": b"a,b\n1,2\n3,4\n",
        "inputs.npy": npy.getvalue(),
        "inputs.npz": npz.getvalue(),
    }


READERS = {
    "idx": (lambda p: read_idx(p), ".idx"),
    "idx.gz": (lambda p: read_idx(p), ".idx.gz"),
    "model": (lambda p: load_model(p), ".safetensors"),
    "checkpoint": (lambda p: load_checkpoint(p), ".ckpt"),
    "csv": (lambda p: load_table(p), ".csv"),
    "npy": (lambda p: load_table(p), ".npy"),
    "npz": (lambda p: load_table(p), ".npz"),
    # the inputs of `deltaprop predict`
    "inputs.csv": (lambda p: read_inputs(p), ".csv"),
    "inputs.npy": (lambda p: read_inputs(p), ".npy"),
    "inputs.npz": (lambda p: read_inputs(p), ".npz"),
}


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    return _valid_files(str(tmp_path_factory.mktemp("valid")))


@st.composite
def mutated(draw, original: bytes):
    """A valid file with some bytes flipped, cut, inserted or overwritten by large integers."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "big", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[pos:]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "big" and len(data) >= pos + 4:
            data[pos : pos + 4] = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x00\x00\x01\x00"]))
        elif kind == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 8))]
    return bytes(data)


def _run_reader(name, data, directory):
    read, suffix = READERS[name]
    path = os.path.join(directory, "fuzzed" + suffix)
    with open(path, "wb") as f:
        f.write(data)
    tracemalloc.start()
    try:
        read(path)
    except ValueError as exc:
        assert "fuzzed" in str(exc), f"{name}: the error does not name the file: {exc}"
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"{name}: {peak:,} bytes allocated for a {len(data):,}-byte file"


@pytest.mark.parametrize("name", list(READERS))
def test_valid_files_read(name, valid, tmp_path):
    read, suffix = READERS[name]
    path = tmp_path / ("ok" + suffix)
    path.write_bytes(valid[name])
    read(path)  # no error


@pytest.mark.parametrize("name", list(READERS))
def test_mutated_files_raise_only_documented_errors(name, valid, tmp_path):
    @FUZZ
    @given(data=mutated(valid[name]))
    def check(data):
        _run_reader(name, data, str(tmp_path))

    check()


@pytest.mark.parametrize("name", list(READERS))
def test_random_files_raise_only_documented_errors(name, tmp_path):
    @FUZZ
    @given(data=st.binary(max_size=512))
    def check(data):
        _run_reader(name, data, str(tmp_path))

    check()
