"""Coverage-guided fuzzing of deltaprop's file readers with atheris (``make fuzz``).

usage: python fuzz/fuzz_readers.py READER [atheris/libFuzzer options, e.g. -runs=10000]
READER is one of: idx, model, checkpoint, csv, npy, npz, inputs.csv, inputs.npy, inputs.npz.

Each input is written to a file and read; any exception other than the
documented ValueError (naming the file) is a crash that atheris reports
with the input that caused it.
"""

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from deltaprop.checkpoint import load_checkpoint
    from deltaprop.data import load_table, read_idx, read_inputs
    from deltaprop.io import load_model

READERS = {
    "idx": (read_idx, ".idx"),
    "model": (load_model, ".safetensors"),
    "checkpoint": (load_checkpoint, ".ckpt"),
    "csv": (load_table, ".csv"),
    "npy": (load_table, ".npy"),
    "npz": (load_table, ".npz"),
    "inputs.csv": (read_inputs, ".csv"),
    "inputs.npy": (read_inputs, ".npy"),
    "inputs.npz": (read_inputs, ".npz"),
}


def main() -> None:
    name = sys.argv.pop(1) if len(sys.argv) > 1 and sys.argv[1] in READERS else None
    if name is None:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(READERS)}}} [-runs=N]")
    read, suffix = READERS[name]
    path = os.path.join(tempfile.mkdtemp(prefix="deltaprop-fuzz-"), "fuzzed" + suffix)

    def test_one_input(data: bytes) -> None:
        with open(path, "wb") as f:
            f.write(data)
        try:
            read(path)
        except ValueError as exc:
            if "fuzzed" not in str(exc):
                raise AssertionError(f"error does not name the file: {exc}") from exc

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
