"""Model files: the round trip, metadata, atomic writes and clear errors for bad files."""

import json
import re
import struct

import numpy as np
import pytest
from safetensors.numpy import save as st_save

from deltaprop import Network
from deltaprop.data import Scaling
from deltaprop.io import FORMAT_VERSION, load_model, save_model


def trained(dtype="float32", labels=None, seed=0, **kw):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 5)).astype(dtype)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    if labels is not None:
        y = np.asarray(labels)[y]
    net = Network([5, 7, 4, 3], ["tanh", "relu"], seed=seed, dtype=dtype, **kw)
    net.fit(X, y, epochs=3, batch_size=16)
    return net, X


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_gives_identical_predictions(tmp_path, dtype):
    net, X = trained(dtype, l2=1e-3, dropout=[0.1, 0.2])
    path = save_model(net, tmp_path / "m.safetensors")
    saved = load_model(path)
    new = saved.network
    assert new.sizes == net.sizes and new.dtype == net.dtype
    assert [a.name for a in new.activations] == ["tanh", "relu", "softmax"]
    assert new.l2 == net.l2 and new.dropout == net.dropout
    for a, b in zip(new.parameters(), net.parameters()):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(new.predict_output(X), net.predict_output(X))
    np.testing.assert_array_equal(new.predict(X), net.predict(X))
    assert saved.format_version == 1  # (version 2 only for a file with target_scaling, which version 1 would ignore)


def test_string_classes_scaling_and_summary_survive(tmp_path):
    net, X = trained(labels=["ant", "bee", "cow"])
    scaling = Scaling("standard", np.arange(5.0), np.full(5, 0.5))
    path = save_model(net, tmp_path / "m.safetensors", scaling=scaling, training={"epochs": 3, "acc": np.float32(0.5)},
                      class_names=["Ant", "Bee", "Cow"])
    saved = load_model(path)
    assert saved.network.classes_.tolist() == ["ant", "bee", "cow"]
    assert saved.class_names == ["Ant", "Bee", "Cow"]
    assert saved.training == {"epochs": 3, "acc": 0.5}
    assert saved.scaling.method == "standard"
    np.testing.assert_array_equal(saved.scaling.shift, np.arange(5.0))
    raw = X * 2 + np.arange(5.0)  # scaling maps this back to X
    np.testing.assert_array_equal(saved.predict(raw), net.predict(scaling.apply(raw)))


#: Class labels of every dtype fit takes, three each (sorted): a file keeps the dtype, so predict() gives the same labels.
LABELS_OF_EVERY_DTYPE = {
    "int32": np.array([-5, 0, 7], dtype=np.int32),
    "uint8": np.array([0, 1, 255], dtype=np.uint8),
    "uint64 beyond int64": np.array([1, 2**63, 2**64 - 1], dtype=np.uint64),
    "float32": np.array([-0.1, 0.5, 3e38], dtype=np.float32),
    "float16": np.array([0.1, 0.2, 0.3], dtype=np.float16),
    "big-endian int16": np.array([1, 2, 3], dtype=">i2"),
    "text": np.array(["ant", "bee", "émeu"]),
    "bytes": np.array([b"a", b"b\x00c", b"\xff\xfe"]),
    "object text": np.array(["ant", "bee", "cow"], dtype=object),
    "object numbers": np.array([np.int64(3), 4.5, 2**70], dtype=object),
    "object bytes": np.array([b"a", b"b", b"\xff"], dtype=object),
    "dates": np.array(["1969-12-31", "2020-02-29", "2100-01-01"], dtype="datetime64[D]"),
    "durations": np.array([-1, 0, 10**12], dtype="timedelta64[ms]"),
}


@pytest.mark.parametrize("name", LABELS_OF_EVERY_DTYPE)
def test_class_labels_keep_their_dtype_through_a_file(tmp_path, name):
    # before, int32 and float32 labels came back as int64 and float64, and bytes, dates and object booleans
    # could not be saved (or were saved and then refused on loading)
    labels = LABELS_OF_EVERY_DTYPE[name]
    net, X = trained(labels=labels)
    saved = load_model(save_model(net, tmp_path / "m.safetensors")).network
    assert saved.classes_.dtype == labels.dtype
    assert [type(c) for c in saved.classes_] == [type(c) for c in net.classes_] or name == "object numbers"  # (np.int64 -> int)
    assert saved.classes_.tolist() == labels.tolist()
    predictions = saved.predict(X)
    assert predictions.dtype == labels.dtype
    np.testing.assert_array_equal(predictions, net.predict(X))


@pytest.mark.parametrize("labels", [np.array([False, True], dtype=object), np.array([False, True])])
def test_boolean_labels_load_as_they_were_saved(tmp_path, labels):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    net = Network([3, 4, 1], output="sigmoid", loss="binary_cross_entropy", seed=0)
    net.fit(X, labels[(X[:, 0] > 0).astype(int)], epochs=2)
    saved = load_model(save_model(net, tmp_path / "m.safetensors")).network
    assert saved.classes_.dtype == labels.dtype and saved.classes_.tolist() == [False, True]
    np.testing.assert_array_equal(saved.predict(X), net.predict(X))


@pytest.mark.parametrize("labels, message", [
    (np.array([1 + 1j, 2, 3j]), r"net: a model file stores the network's class labels, and labels of dtype complex128 .* cannot be stored"),
    (np.array([(1, 2), (3,), (4, 5, 6)], dtype=object), r"labels of dtype object .* cannot be stored; expected text, booleans, numbers"),
])
def test_labels_no_file_holds_are_refused_before_writing(tmp_path, labels, message):
    net = Network([5, 3], seed=0)
    net.classes_ = labels[np.argsort([str(v) for v in labels])] if labels.dtype == object else np.sort(labels)
    with pytest.raises(ValueError, match=message):
        save_model(net, tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.parametrize("method", ["standard", "none"])
def test_a_saved_model_predicts_sparse_and_pandas_inputs_as_dense_ones(tmp_path, method):
    # Before: a model file with input scaling refused a SciPy sparse matrix ("expected numbers; got dtype object")
    import pandas as pd
    import scipy.sparse as sp

    net, X = trained()
    scaling = Scaling("standard", np.arange(5.0), np.full(5, 0.5)) if method == "standard" else None
    saved = load_model(save_model(net, tmp_path / "m.safetensors", scaling=scaling))
    raw = X * 2 + np.arange(5.0)
    for given in (sp.csr_matrix(raw), pd.DataFrame(raw)):
        np.testing.assert_array_equal(saved.predict(given), saved.predict(raw))
        np.testing.assert_array_equal(saved.predict_proba(given), saved.predict_proba(raw))


def test_loaded_network_can_train_further(tmp_path):
    net, X = trained()
    saved = load_model(save_model(net, tmp_path / "m.safetensors"))
    before = saved.network.weights[0].copy()
    saved.network.fit(X, net.predict(X), epochs=1)
    assert not np.array_equal(before, saved.network.weights[0])


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    net, X = trained()
    path = save_model(net, tmp_path / "m.safetensors")
    good = path.read_bytes()
    other, _ = trained(seed=1)

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr("deltaprop.files.os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        save_model(other, path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # no temporary file left


def test_saved_file_is_readable_by_others(tmp_path):
    net, _ = trained()
    path = save_model(net, tmp_path / "m.safetensors")
    assert path.stat().st_mode & 0o044  # not mkstemp's 0600


def good_file(tmp_path):
    net, _ = trained()
    return save_model(net, tmp_path / "m.safetensors")


def rewrite_header(path, change):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    change(header)
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + raw[8 + n :])


@pytest.mark.parametrize("cut", [0, 5, 40, -3])
def test_truncated_files_are_rejected(tmp_path, cut):
    path = good_file(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[:cut])
    with pytest.raises(ValueError, match="truncated") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_garbage_and_foreign_files_are_rejected(tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(struct.pack("<Q", 4) + b"{{{{")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_model(junk)
    foreign = tmp_path / "foreign.safetensors"
    foreign.write_bytes(st_save({"W1": np.zeros((2, 2), np.float32)}))
    with pytest.raises(ValueError, match="not a deltaprop model"):
        load_model(foreign)
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_model(tmp_path / "absent.safetensors")


def test_wrong_shapes_dtypes_and_tensors_are_rejected(tmp_path):
    path = good_file(tmp_path)
    original = path.read_bytes()

    def sizes(h):
        meta = json.loads(h["__metadata__"]["model"])
        meta["sizes"] = [5, 8, 4, 3]
        h["__metadata__"]["model"] = json.dumps(meta)

    rewrite_header(path, sizes)
    with pytest.raises(ValueError, match=r"tensor W1 has shape \(7, 5\); expected \(8, 5\)"):
        load_model(path)

    path.write_bytes(original)
    rewrite_header(path, lambda h: h["W2"].update(dtype="F64"))
    with pytest.raises(ValueError, match="tensor W2 has dtype 'F64'; expected float32"):
        load_model(path)

    path.write_bytes(original)
    rewrite_header(path, lambda h: h.update(b3=h.pop("b3")) or h.update(extra=h.pop("b3")))
    with pytest.raises(ValueError, match=r"missing \['b3'\], unexpected \['extra'\]"):
        load_model(path)

    path.write_bytes(original)
    rewrite_header(path, lambda h: h["__metadata__"].update(format_version=str(FORMAT_VERSION + 1)))
    with pytest.raises(ValueError, match=rf"format_version {FORMAT_VERSION + 1} is newer than this deltaprop reads \({FORMAT_VERSION}\)"):
        load_model(path)

    path.write_bytes(original)
    rewrite_header(path, lambda h: h["__metadata__"].update(format_version="0"))
    with pytest.raises(ValueError, match=rf"format_version 0 is older than this deltaprop reads \(1 to {FORMAT_VERSION}\)"):
        load_model(path)

    path.write_bytes(original)
    rewrite_header(path, lambda h: h["__metadata__"].update(model=json.dumps({"sizes": [5, 3]})))
    with pytest.raises(ValueError, match="metadata lacks"):
        load_model(path)


def test_trailing_bytes_and_nan_weights_are_rejected(tmp_path):
    path = good_file(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw + b"\x00" * 4)
    with pytest.raises(ValueError, match="unexpected bytes after the tensors"):
        load_model(path)
    path.write_bytes(raw[:-4] + np.float32(np.nan).tobytes())
    with pytest.raises(ValueError, match="NaN or infinite"):
        load_model(path)


def test_save_rejects_non_networks(tmp_path):
    with pytest.raises(TypeError, match="net: expected a deltaprop Network"):
        save_model({"W1": 1}, tmp_path / "x.safetensors")


def change_model(change):
    """A rewrite_header change that edits the model metadata (a dict) in place."""

    def rewrite(header):
        model = json.loads(header["__metadata__"]["model"])
        change(model)
        header["__metadata__"]["model"] = json.dumps(model)

    return rewrite


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(training=[1, 2]), r"training summary \[1, 2\]; expected a JSON object"),
    (lambda m: m.update(training="abc"), "training summary 'abc'; expected a JSON object"),
    (lambda m: m["classes"].update(values=[0, 1]), "2 classes for N_L = 3 output units; expected 3"),
    (lambda m: m["classes"].update(values=[[0, 1], [2], 3]), r"classes .* of dtype '<i8'; expected labels of that dtype"),
    (lambda m: m["classes"].update(values=[2, 1, 0]), "expected distinct labels in sorted order"),
    (lambda m: m["classes"].update(values=[0, 0, 1]), "expected distinct labels in sorted order"),
    (lambda m: m["classes"].update(values=[0, True, 2]), "of dtype '<i8'; expected labels of that dtype"),
    (lambda m: m["classes"].update(dtype="x"), "of dtype 'x'"),
    (lambda m: m["classes"].update(dtype="<c16"), "of dtype '<c16'"),
    (lambda m: m["classes"].update(dtype="i4,i4"), "of dtype 'i4,i4'"),
    (lambda m: m["classes"].update(dtype="<u8", values=[-1, 0, 1]), "do not fit dtype uint64"),
    (lambda m: m["classes"].update(dtype="|i1", values=[0, 1, 300]), "do not fit dtype int8"),
    (lambda m: m["classes"].update(dtype="<f4", values=[0.1, 0.2, 0.3]), "do not fit dtype float32"),  # not float32 values
    (lambda m: m["classes"].update(dtype="<U2", values=["a", "b", "abc"]), "do not fit dtype <U2"),
    (lambda m: m["classes"].update(dtype="|S1", values=["a", "b", "\u0100"]), "do not fit dtype |S1"),
    (lambda m: m["classes"].update(dtype="|O", values=["a", "b", 3]), "do not fit dtype object"),  # unsortable
    (lambda m: m["classes"].update(dtype="|O", values=[0, 1, 2], elements="bytes"), "of dtype '|O'; expected labels"),
    (lambda m: m["classes"].update(dtype="<M8[D]", values=[0, 1, 2.5]), "of dtype '<M8\\[D\\]'; expected labels"),
    # files written before the dtype was stored: only its kind
    (lambda m: [m["classes"].pop("dtype"), m["classes"].update(values=[[0, 1], [2], 3])], "classes .* of kind 'i'; expected one label per class"),
    (lambda m: [m["classes"].pop("dtype"), m["classes"].update(values=[2, 1, 0])], "expected distinct labels in sorted order"),
    (lambda m: [m["classes"].pop("dtype"), m["classes"].update(kind="x")], "of kind 'x'"),
    (lambda m: [m["classes"].pop("dtype"), m["classes"].update(kind="u", values=[-1, 0, 1])], "do not fit kind 'u'"),
    (lambda m: m.update(class_names=5), "class_names 5; expected a list of 3 strings"),
    (lambda m: m.update(class_names=["a", "b"]), "expected a list of 3 strings, one per class"),
    (lambda m: m.update(class_names=["a", "b", 3]), "expected a list of 3 strings"),
    (lambda m: m.update(classes=None, class_names=["a", "b", "c"]), "class_names .* for a model without classes"),
    (lambda m: m.update(multilabel="yes"), "multilabel 'yes'; expected true or false"),
    (lambda m: m.update(image_shape=[-1, -5]), r"image_shape \[-1, -5\]; expected \(height, width\), two integers >= 1"),
    (lambda m: m.update(image_shape=[1.0, 5.0]), "two integers >= 1"),
    (lambda m: m.update(scaling={"method": "unit", "shift": float("nan"), "factor": 1.0}), "scaling shift holds NaN or infinite"),
    (lambda m: m.update(scaling={"method": "standard", "shift": [0.0] * 5, "factor": [1.0] * 4 + [float("inf")]}),
     "scaling factor holds NaN or infinite"),
])
def test_metadata_of_the_wrong_kind_is_refused_naming_the_file(tmp_path, change, message):
    # each of these loaded before, then crashed `info`, `evaluate` or `predict` (or blamed the user's input)
    path = good_file(tmp_path)
    rewrite_header(path, change_model(change))
    with pytest.raises(ValueError, match=message) as info:
        load_model(path)
    assert str(info.value).startswith(f"model file {path}: ")


@pytest.mark.parametrize("huge_shapes", [False, True])
def test_a_tiny_file_claiming_huge_sizes_is_refused_before_building_the_network(tmp_path, monkeypatch, huge_shapes):
    # The Network (every W^l allocated and initialised) is built only once the file is known to hold
    # the tensors the sizes claim: these sizes would take 3.6 GB.
    path = good_file(tmp_path)
    sizes = [5, 30000, 30000, 3]

    def claim(header):
        change_model(lambda m: m.update(sizes=sizes))(header)
        if huge_shapes:  # the header agrees with the sizes; the data are not there
            for l in range(1, len(sizes)):
                header[f"W{l}"]["shape"] = [sizes[l], sizes[l - 1]]
                header[f"b{l}"]["shape"] = [sizes[l]]

    rewrite_header(path, claim)
    assert path.stat().st_size < 4096

    def no_network(*args, **kwargs):
        raise AssertionError("a Network was built from unchecked sizes")

    monkeypatch.setattr(Network, "__init__", no_network)
    message = "tensor W1 has 140 data bytes; expected 600000" if huge_shapes else r"tensor W1 has shape \(7, 5\); expected \(30000, 5\)"
    with pytest.raises(ValueError, match=message) as info:
        load_model(path)
    assert str(info.value).startswith(f"model file {path}: ")


def test_save_refuses_what_load_would_refuse(tmp_path):
    net, _ = trained()
    with pytest.raises(ValueError, match=r"class_names: expected 3 strings, one per class in net.classes_; got \['a', 'b'\]"):
        save_model(net, tmp_path / "m.safetensors", class_names=["a", "b"])
    with pytest.raises(ValueError, match="class_names: expected 3 strings"):
        save_model(net, tmp_path / "m.safetensors", class_names=[0, 1, 2])
    with pytest.raises(ValueError, match="class_names: expected none: the network has no classes"):
        save_model(Network([5, 3], seed=0), tmp_path / "m.safetensors", class_names=["a", "b", "c"])
    with pytest.raises(TypeError, match="training: expected a dict"):
        save_model(net, tmp_path / "m.safetensors", training=["epochs", 3])
    with pytest.raises(ValueError, match="image_shape: expected"):
        save_model(net, tmp_path / "m.safetensors", image_shape=(-1, -5))
    assert not (tmp_path / "m.safetensors").exists()


def test_a_name_per_label_of_the_data_set_gives_the_trained_classes_their_names(tmp_path):
    # written by deltaprop train --limit before the names followed the classes: all ten names, three classes
    net, _ = trained(labels=[1, 3, 4])
    path = save_model(net, tmp_path / "m.safetensors", class_names=["one", "three", "four"])
    rewrite_header(path, change_model(lambda m: m.update(class_names=[f"name {k}" for k in range(10)])))
    assert load_model(path).class_names == ["name 1", "name 3", "name 4"]


def test_a_network_with_an_activation_of_ones_own_is_not_saved_under_a_registry_name(tmp_path):
    # Before: the file named it "sigmoid", and loading it gave the registry's sigmoid: another network
    import deltaprop as dp
    from deltaprop.activations import Activation

    steep = Activation("sigmoid", lambda z: 1 / (1 + np.exp(-2 * z)), lambda z, a: 2 * a * (1 - a))
    net = dp.Network([3, 4, 2], activation=steep, seed=0)
    message = r"stores activations and losses by name, and the activation of layer 1 \('sigmoid'\) is of your own"
    with pytest.raises(ValueError, match=r"^net: a model file " + message):
        dp.save_model(net, tmp_path / "m.safetensors")
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    with pytest.raises(ValueError, match=r"^checkpoint: a checkpoint " + message):
        net.fit(X, y, epochs=1, checkpoint=tmp_path / "c.ckpt")
    assert not (tmp_path / "m.safetensors").exists() and not (tmp_path / "c.ckpt").exists()


def test_save_model_refuses_what_load_model_would_refuse_and_keeps_the_old_file(tmp_path):
    # Before: these were written (over any good file at that path), and load_model refused them
    import deltaprop as dp
    from deltaprop.data import Scaling

    net = dp.Network([4, 2], seed=0)
    path = tmp_path / "m.safetensors"
    dp.save_model(net, path)
    good = path.read_bytes()
    for options, error, message in [
        (dict(scaling=Scaling("standard", np.zeros(3), np.ones(3))), ValueError, r"^scaling shift: expected 4 values; got shape \(3,\)"),
        (dict(scaling=Scaling("unit", float("nan"), 1.0)), ValueError, r"^scaling: expected finite shift and factor"),
        (dict(scaling={"method": "unit"}), TypeError, r"^scaling: expected a deltaprop.data.Scaling or None; got dict"),
        (dict(image_shape=(2.5, 1.6)), ValueError, r"^image_shape: expected \(height, width\) with height \* width = N_0 = 4; got \(2.5, 1.6\)"),
        (dict(image_shape=8), ValueError, r"^image_shape: expected \(height, width\)"),
        (dict(training={"path": tmp_path}), TypeError, r"^training: expected a dict of JSON values"),
    ]:
        with pytest.raises(error, match=message):
            dp.save_model(net, path, **options)
        assert path.read_bytes() == good
    dp.save_model(net, path, training={"loss": np.array([1.0, np.nan]), "best": np.float64("nan")})  # NaN in NumPy values: null
    assert dp.load_model(path).training == {"loss": [1.0, None], "best": None}


def test_deeply_nested_json_in_a_file_is_a_corrupt_file_not_a_recursion_error(tmp_path):
    import struct

    import deltaprop as dp
    from deltaprop.checkpoint import load_checkpoint
    from safetensors.numpy import save_file

    deep = b"[" * 100000 + b"]" * 100000
    (tmp_path / "deep.safetensors").write_bytes(struct.pack("<Q", len(deep)) + deep)
    with pytest.raises(ValueError, match=r"deep.safetensors: corrupt header, not valid JSON"):
        dp.load_model(tmp_path / "deep.safetensors")
    save_file({"W1": np.zeros((2, 2), np.float32)}, tmp_path / "meta.safetensors",
              metadata={"format": "deltaprop", "format_version": "1", "model": "[" * 100000})
    with pytest.raises(ValueError, match=r"meta.safetensors: corrupt model metadata"):
        dp.load_model(tmp_path / "meta.safetensors")
    save_file({"theta.0": np.zeros((2, 2), np.float32)}, tmp_path / "deep.ckpt", metadata={"deltaprop": "[" * 100000})
    with pytest.raises(ValueError, match=r"deep.ckpt is not a readable safetensors file"):
        load_checkpoint(tmp_path / "deep.ckpt")


def test_a_saved_model_without_scaling_predicts_a_float64_network_on_unrounded_inputs(tmp_path):
    # Before: SavedModel.predict rounded the inputs to float32 even for a float64 network without scaling
    import deltaprop as dp

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * 1e3
    net = dp.Network([3, 4, 1], output="identity", loss="quadratic", seed=0, dtype="float64")
    net.fit(X, X[:, 0] * 1e-3, epochs=2)
    dp.save_model(net, tmp_path / "m.safetensors")
    np.testing.assert_array_equal(dp.load_model(tmp_path / "m.safetensors").predict(X), net.predict(X))


@pytest.mark.parametrize("change", [
    lambda h: h["b1"].update(data_offsets=[0, h["b1"]["data_offsets"][1] - h["b1"]["data_offsets"][0]]),  # inside W1
    lambda h: h.update(W1=dict(h["W1"], data_offsets=[4, h["W1"]["data_offsets"][1] + 4])),  # a gap before W1
])
def test_overlapping_or_gapped_tensors_are_refused(tmp_path, change):
    # Before: b1 given bytes inside W1 loaded, b1 == W1[0] (the safetensors library refuses such a file)
    path = good_file(tmp_path)
    rewrite_header(path, change)
    with pytest.raises(ValueError, match=r"tensor \w+ starts at byte \d+ of the data; expected \d+, where the tensor "
                                         r"before it ends \(overlapping or gapped tensors: corrupt\)") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_feature_names_round_trip_and_match_a_dataframes_columns(tmp_path):
    import pandas as pd

    net = Network([3, 4, 2], seed=0)
    path = tmp_path / "m.safetensors"
    save_model(net, path, scaling=Scaling("standard", np.array([0.0, 10.0, -5.0]), np.array([1.0, 0.1, 2.0])),
               feature_names=("a", "b", "c"))
    saved = load_model(path)
    assert saved.feature_names == ["a", "b", "c"]
    assert load_model(save_model(net, tmp_path / "plain.safetensors")).feature_names is None
    X = np.random.default_rng(0).normal(size=(5, 3)) * [1, 10, 2]
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    expected = saved.predict_proba(X)
    np.testing.assert_array_equal(saved.predict_proba(frame[["c", "a", "b"]]), expected)  # by name, not position
    with pytest.raises(ValueError, match=r"X: expected the columns the model was trained on, by name \(in any order\): "
                                         r"\['a', 'b', 'c'\]; got \['a', 'b', 'd'\] \(missing \['c'\]; not the model's \['d'\]\)"):
        saved.predict(frame.rename(columns={"c": "d"}))
    for bad in (["a", "a", "b"], ["a", "b"], "abc", [1, 2, 3]):
        with pytest.raises(ValueError, match=r"feature_names: expected N_0 = 3 distinct strings, one per input"):
            save_model(net, path, feature_names=bad)


def test_a_dataframe_without_names_goes_by_position_and_names_are_stripped(tmp_path):
    import pandas as pd

    net = Network([3, 2], seed=0)
    saved = load_model(save_model(net, tmp_path / "m.safetensors", feature_names=["a", "b", "c"]))
    X = np.random.default_rng(0).normal(size=(4, 3))
    expected = saved.predict_proba(X)
    np.testing.assert_array_equal(saved.predict_proba(pd.DataFrame(X)), expected)  # columns 0, 1, 2: by position
    np.testing.assert_array_equal(saved.predict_proba(pd.DataFrame(X[:, ::-1], columns=[" c", " b", "a"])), expected)
    years = load_model(save_model(net, tmp_path / "y.safetensors", feature_names=["1990", "2000", "2010"]))
    np.testing.assert_array_equal(years.predict_proba(pd.DataFrame(X[:, ::-1], columns=[2010, 2000, 1990])), expected)
    with pytest.raises(ValueError, match=r"got \['7', '8', '9'\]"):  # integer labels are names, not positions
        years.predict(pd.DataFrame(X, columns=[7, 8, 9]))


def test_target_scaling_is_stored_undone_by_predict_and_refused_for_a_classifier(tmp_path):
    # A regression trained on (t - shift) * factor: the file records it (format_version 2, which a reader of
    # version 1 refuses instead of predicting standardised targets) and SavedModel.predict gives t's units.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    net = Network([2, 4, 1], "tanh", output="identity", loss="quadratic", seed=0)
    net.fit(X, rng.normal(size=30), epochs=2)
    target = Scaling("standard", 100.0, 0.05)
    path = save_model(net, tmp_path / "r.safetensors", target_scaling=target)
    saved = load_model(path)
    assert saved.format_version == 2 and saved.target_scaling == target
    raw = net.predict(X)
    np.testing.assert_allclose(saved.predict(X), raw / 0.05 + 100, rtol=1e-6)
    assert saved.predict(X).dtype == raw.dtype
    np.testing.assert_allclose(saved.scale_targets(saved.predict(X)), raw, rtol=1e-5, atol=1e-5)
    assert load_model(save_model(net, tmp_path / "plain.safetensors")).predict(X).tolist() == raw.tolist()
    classifier, _ = trained()
    with pytest.raises(ValueError, match="target_scaling: scales regression targets; the network is a classifier"):
        save_model(classifier, tmp_path / "c.safetensors", target_scaling=target)
    with pytest.raises(ValueError, match="target_scaling: expected a finite shift and a finite, nonzero factor"):
        save_model(net, tmp_path / "z.safetensors", target_scaling=Scaling("standard", 0.0, 0.0))
    rewrite_header(path, lambda h: h["__metadata__"].update(
        model=h["__metadata__"]["model"].replace('"factor": 0.05', '"factor": 0.0')))
    with pytest.raises(ValueError, match="target_scaling factor 0 \\(corrupt\\)"):
        load_model(path)


def test_a_loaded_network_has_the_saved_ones_config_initialisers_included(tmp_path):
    # From a review: load_model rebuilt the network without init, so a relu network (he_normal) came back as
    # glorot_uniform: its config differed, and a checkpoint of the saved network was refused for the loaded one
    net = Network([3, 4, 2], activation="relu", init=["he_uniform", "lecun_normal"], seed=0)
    loaded = load_model(save_model(net, tmp_path / "m.safetensors")).network
    assert loaded.config() == net.config() and loaded.init_names == ["he_uniform", "lecun_normal"]

    def my_init(rng, n_out, n_in, dtype):
        return np.zeros((n_out, n_in), dtype)

    own = Network([3, 4, 2], init=my_init, seed=0)  # (one of the user's own: only a name in the file)
    assert load_model(save_model(own, tmp_path / "own.safetensors")).network.init_names == ["glorot_uniform"] * 2


def test_an_odd_init_field_in_a_model_file_never_refuses_it(tmp_path):
    # From a review: an unknown name dropped every layer's initialiser, a list of another length refused the model;
    # initialisers do not change a loaded model (its weights are the file's), so neither is refused now
    net, X = trained()  # (layers 1..3: tanh, relu, softmax)
    path = save_model(net, tmp_path / "m.safetensors")
    for init, expected in ((["he_normal", "bogus", "lecun_normal"], ["he_normal", "he_normal", "lecun_normal"]),
                           (["he_normal"], net.init_names), ([], net.init_names), ("he_normal", net.init_names),
                           ([None, 3, {}], net.init_names)):
        rewrite_header(path, lambda h: h["__metadata__"].update(
            model=json.dumps(json.loads(h["__metadata__"]["model"]) | {"init": init})))
        loaded = load_model(path).network
        assert loaded.init_names == expected, init
        np.testing.assert_array_equal(loaded.predict(X), net.predict(X))


def test_a_model_file_whose_activation_is_one_name_keeps_its_initialisers(tmp_path):
    # From a review: the loader went through the letters of "relu" and dropped every stored initialiser
    net = Network([3, 4, 4, 2], activation="relu", init="lecun_normal", seed=0)
    path = save_model(net, tmp_path / "m.safetensors")
    rewrite_header(path, lambda h: h["__metadata__"].update(
        model=json.dumps(json.loads(h["__metadata__"]["model"]) | {"activation": "relu"})))
    assert load_model(path).network.init_names == ["lecun_normal"] * 3


# ---------------------------------------------------------------------- from a review of file handling (session 20)


@pytest.mark.parametrize("dtype", ["|S200000000", "<U50000000"])
def test_a_tiny_file_cannot_make_its_class_labels_megabytes_wide(tmp_path, dtype):
    # A 757-byte file whose labels claimed dtype |S200000000 loaded to 1 GB, and each predicted label took 200 MB;
    # a model saved from labels of dtype <U2000 (its own) loads too, as does its checkpoint
    import tracemalloc

    path = save_model(trained(labels=np.array(["ant", "bee", "cow"]))[0], tmp_path / "m.safetensors")
    rewrite_header(path, change_model(lambda m: m["classes"].update(dtype=dtype)))
    assert path.stat().st_size < 4096
    tracemalloc.start()
    try:
        saved = load_model(path)  # (narrowed to the longest label's width: the same labels; deltaprop itself
        predicted = saved.network.predict(np.zeros((100, 5)))  # saves the wider dtypes a user's labels may have)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 32 * 2**20
    assert saved.network.classes_.dtype == np.dtype(dtype[:2] + "3") and predicted.dtype == saved.network.classes_.dtype
    assert saved.network.classes_.tolist() == ([b"ant", b"bee", b"cow"] if dtype[1] == "S" else ["ant", "bee", "cow"])
    for width in ("<U3", "<U1024"):  # the longest label's width, or one made wider on purpose up to 1024: read
        rewrite_header(path, change_model(lambda m, w=width: m["classes"].update(dtype=w)))
        assert load_model(path).network.classes_.dtype == np.dtype(width)
    wide = np.array(["ant", "bee", "cow"], dtype="U2000")
    net, X = trained(labels=wide)
    assert net.classes_.dtype == np.dtype("U2000")
    save_model(net, tmp_path / "wide.safetensors")
    assert load_model(tmp_path / "wide.safetensors").network.predict(X).tolist() == net.predict(X).tolist()
    net.fit(X, wide[np.arange(60) % 3], epochs=1, checkpoint=tmp_path / "w.ckpt")
    net.fit(X, wide[np.arange(60) % 3], epochs=2, resume=tmp_path / "w.ckpt")  # (refused as "corrupt" before)


def test_an_integer_of_thousands_of_digits_in_a_header_is_a_corrupt_file_named(tmp_path):
    # Python's int() limit (4300 digits) raised a ValueError that named no file and suggested a setting
    path = good_file(tmp_path)
    rewrite_header(path, lambda header: header["__metadata__"].update(model=header["__metadata__"]["model"].replace(
        '"l2": 0.0', '"l2": ' + "9" * 5000)))
    with pytest.raises(ValueError, match=rf"^model file {path}: corrupt model metadata"):
        load_model(path)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = raw[8 : 8 + n].replace(b'"data_offsets": [0,', b'"data_offsets": [' + b"1" * 5000 + b",", 1)
    path.write_bytes(struct.pack("<Q", len(header)) + header + raw[8 + n :])
    with pytest.raises(ValueError, match=rf"^model file {path}: corrupt header, not valid JSON"):
        load_model(path)


def test_a_large_file_that_is_no_model_is_told_from_its_first_bytes_without_reading_it_whole(tmp_path, monkeypatch):
    # A 1 GB CSV given as a model was read whole (5 s, 1.1 GB) before its first bytes said what it was
    big = tmp_path / "data.csv"
    with open(big, "wb") as f:
        f.write(b"a,b,c\n1,2,3\n4,5,6\n7,8,9\n")
        f.truncate(200 * 2**20)  # (sparse: 200 MB on paper)
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=rf"^model file {big}: not a safetensors file; it starts like text"):
            load_model(big)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 2**20, peak


def test_a_model_file_is_the_same_bytes_for_the_same_network_in_any_process(tmp_path):
    # safetensors' own save wrote the metadata keys in a Rust HashMap's order, which changes from process to process:
    # a content-hashing pipeline (DVC, Make) saw every identical model file as changed
    import subprocess
    import sys

    from safetensors import safe_open
    from safetensors.numpy import load_file

    script = ("import sys, numpy as np, deltaprop as dp\n"
              "net = dp.Network([5, 7, 3], ['tanh'], seed=0, dtype=sys.argv[2])\n"
              "net.fit(np.random.default_rng(0).normal(size=(30, 5)), np.arange(30) % 3, epochs=2)\n"
              "dp.save_model(net, sys.argv[1], class_names=['ant', 'bee', 'caf\\u00e9'], feature_names=list('abcde'))\n")
    for dtype in ("float32", "float64"):
        paths = [tmp_path / f"{dtype}-{k}.safetensors" for k in range(3)]
        for path in paths:
            subprocess.run([sys.executable, "-c", script, str(path), dtype], check=True)
        assert paths[0].read_bytes() == paths[1].read_bytes() == paths[2].read_bytes()
        raw = paths[0].read_bytes()  # (and the reason, which holds in one process too: every key of the header sorted)
        header = json.loads(raw[8 : 8 + struct.unpack("<Q", raw[:8])[0]])
        assert list(header) == sorted(header) and list(header["__metadata__"]) == sorted(header["__metadata__"])
        saved = load_model(paths[0])  # (and read by deltaprop and by safetensors itself)
        arrays = load_file(paths[0])
        for l in range(1, 3):
            np.testing.assert_array_equal(arrays[f"W{l}"], saved.network.weights[l - 1])
            np.testing.assert_array_equal(arrays[f"b{l}"], saved.network.biases[l - 1])
        with safe_open(paths[0], "np") as f:
            assert f.metadata()["format"] == "deltaprop" and json.loads(f.metadata()["model"])["class_names"][2] == "café"
        assert (len(paths[0].read_bytes()) - 8 - struct.unpack("<Q", paths[0].read_bytes()[:8])[0]) == sum(
            a.nbytes for a in arrays.values())
        assert struct.unpack("<Q", paths[0].read_bytes()[:8])[0] % 8 == 0  # (the header padded, as safetensors pads it)


# ---------------------------------------------------------------------- from a review of extending the registries (session 21)


def test_a_file_naming_an_activation_or_loss_this_deltaprop_lacks_says_how_to_load_it(tmp_path, capsys):
    # Before: "bad architecture in metadata: activation (layer 1): unknown activation 'swish'", as for a corrupt file
    from deltaprop.activations import ACTIVATIONS, Activation
    from deltaprop.cli import main
    from deltaprop.losses import LOSSES, Loss

    swish = Activation("swish", lambda z: z / (1 + np.exp(-z)), lambda z, a: a + (1 - a) / (1 + np.exp(-z)))
    half = Loss("half_quadratic", lambda y, t: 0.25 * np.sum((y - t) ** 2, axis=1), lambda y, t: 0.5 * (y - t))
    ACTIVATIONS["swish"], LOSSES["half_quadratic"] = swish, half
    try:  # registered in Python before saving, as the protocol has it
        save_model(Network([3, 4, 2], activation="swish", seed=0), tmp_path / "sw.safetensors")
        save_model(Network([3, 4, 1], activation="tanh", output="identity", loss="half_quadratic", seed=0), tmp_path / "hq.safetensors")
    finally:
        del ACTIVATIONS["swish"], LOSSES["half_quadratic"]
    for file, what, name, where, registry, make in (
            ("sw", "activation", "swish", " (layer 1)", r"deltaprop\.activations\.ACTIVATIONS", "Activation"),
            ("hq", "loss", "half_quadratic", "", r"deltaprop\.losses\.LOSSES", "Loss")):
        words = (rf"it uses {what} '{name}'{re.escape(where)}, which this deltaprop lacks: a newer deltaprop's, or one registered "
                 rf"in Python before the file was saved\. To load it, register the same {what} under that name first, "
                 rf"{registry}\['{name}'\] = {make}\('{name}', \.\.\.\), then call load_model")
        with pytest.raises(ValueError, match=rf"^model file .*{file}\.safetensors: {words}$"):
            load_model(tmp_path / f"{file}.safetensors")
        np.save(tmp_path / "x.npy", np.zeros((2, 3)))
        for argv in (["info", str(tmp_path / f"{file}.safetensors")],
                     ["predict", str(tmp_path / f"{file}.safetensors"), str(tmp_path / "x.npy")]):
            assert main(argv) != 0
            assert re.search(words, capsys.readouterr().err)
    ACTIVATIONS["swish"] = swish  # registered again, as the message says: it loads
    try:
        assert load_model(tmp_path / "sw.safetensors").network.activations[0] is swish
    finally:
        del ACTIVATIONS["swish"]
