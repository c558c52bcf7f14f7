"""Every W^l and b^l is a view of one aligned buffer, and an element-wise optimiser updates
that buffer in one call: the same numbers as one call per array."""

import copy
import pickle

import numpy as np
import pytest

from deltaprop import Network
from deltaprop.io import load_model, save_model
from deltaprop.network import ALIGNMENT_BYTES, aligned_zeros, buffer_size, joined, views_of
from deltaprop.optimisers import SGD, Adam, GD, get_optimiser, is_elementwise
from deltaprop.sklearn import DeltapropClassifier

SIZES = [5, 7, 3, 2]  # sizes whose W^l and b^l are not multiples of 64 bytes: the gaps matter


def address(a):
    return a.__array_interface__["data"][0]


def assert_packed(net):
    whole = net.parameter_buffer()
    params = net.parameters()
    assert whole.ndim == 1 and whole.dtype == net.dtype and whole.size == buffer_size([p.shape for p in params], net.dtype)
    assert whole.size >= net.n_parameters
    covered = np.zeros(whole.size, dtype=bool)
    for p in params:
        assert np.shares_memory(p, whole) and p.flags.c_contiguous and p.flags.writeable
        assert address(p) % ALIGNMENT_BYTES == 0, "each W^l and b^l starts on a cache line"
        first = (address(p) - address(whole)) // whole.itemsize
        covered[first : first + p.size] = True
    assert covered.sum() == net.n_parameters
    np.testing.assert_array_equal(whole[~covered], 0)  # the gaps hold zeros


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_new_network_keeps_its_parameters_in_one_aligned_buffer(dtype):
    net = Network(SIZES, seed=0, dtype=dtype)
    assert_packed(net)
    whole = net.parameter_buffer()
    whole[:] = 0  # a change to the buffer is a change to every W^l and b^l
    assert all(not p.any() for p in net.parameters())
    assert address(net.parameter_buffer()) == address(whole), "no copy once packed"


def test_a_replaced_array_is_copied_into_a_new_buffer():
    net = Network(SIZES, seed=0)
    mine = np.arange(21, dtype=np.float64).reshape(3, 7)  # another dtype, an array of the caller's
    net.weights[1] = mine
    assert joined(net.parameters()) is None
    net.parameter_buffer()
    assert_packed(net)
    np.testing.assert_array_equal(net.weights[1], mine.astype(np.float32))
    assert net.weights[1].dtype == np.float32


def test_copies_astype_and_loaded_models_are_packed(tmp_path):
    net = Network(SIZES, seed=0)
    for other in (net.copy(), net.astype("float64")):
        assert_packed(other)
        for p, q in zip(net.parameters(), other.parameters()):
            np.testing.assert_array_equal(p, q)
            assert not np.shares_memory(p, q)
    save_model(net, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors").network
    assert_packed(loaded)
    for p, q in zip(net.parameters(), loaded.parameters()):
        np.testing.assert_array_equal(p, q)


def test_views_of_and_joined_are_inverse():
    shapes = [(3, 5), (3,), (2, 3), (2,)]
    buffer = aligned_zeros(buffer_size(shapes, np.float32), np.float32)
    assert address(buffer) % ALIGNMENT_BYTES == 0
    views = views_of(buffer, shapes)
    assert [v.shape for v in views] == shapes
    whole = joined(views)
    assert whole is not None and address(whole) == address(buffer) and whole.size == buffer.size
    assert joined(views[1:]) is not None  # a tail of the pieces is a buffer too
    assert joined([views[0], views[2]]) is None  # a piece left out
    assert joined([v.copy() for v in views]) is None
    with pytest.raises(ValueError, match="views_of"):
        views_of(buffer[:-1], shapes)


class ArrayByArray:
    """The same rule without ``elementwise``: the training loop calls it once per W^l and b^l."""

    def __init__(self, rule):
        self.rule, self.name, self.calls = rule, rule.name, []

    def init(self, param):
        return self.rule.init(param)

    def update(self, param, grad, state, eta, step):
        self.calls.append(param.shape)
        self.rule.update(param, grad, state, eta, step)


class Counted(ArrayByArray):
    elementwise = True  # declared beside its update, as the protocol asks

    def update(self, param, grad, state, eta, step):
        super().update(param, grad, state, eta, step)


def train(optimiser, name, dtype):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, SIZES[0]))
    y = rng.integers(0, SIZES[-1], size=90)
    net = Network(SIZES, activation="relu", output="softmax", seed=2, dtype=dtype)
    net.fit(X, y, optimiser=optimiser, epochs=3, batch_size=32 if name != "gd" else 90,
            **({"learning_rate": 0.05} if name != "adam" else {}))
    return net


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rule", [Adam(), SGD(momentum=0.9), SGD(momentum=0.9, nesterov=True), SGD(momentum=0.0), GD()],
                         ids=["adam", "momentum", "nesterov", "sgd", "gd"])
def test_one_call_for_the_whole_buffer_gives_the_same_bits_as_one_call_per_array(rule, dtype):
    per_array, whole = ArrayByArray(rule), Counted(rule)
    a, b = train(per_array, rule.name, dtype), train(whole, rule.name, dtype)
    steps = 3 if rule.name == "gd" else 3 * 3
    n_params = 2 * (len(SIZES) - 1)
    assert len(per_array.calls) == steps * n_params
    assert whole.calls == [(buffer_size([p.shape for p in b.parameters()], dtype),)] * steps
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)
    assert_packed(b)  # the gaps stayed zero: their gradient is zero


def test_the_optimiser_state_of_a_fit_continues_in_the_next():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(64, SIZES[0])), rng.integers(0, SIZES[-1], size=64)
    once = Network(SIZES, activation="relu", output="softmax", seed=5)
    once.fit(X, y, optimiser="adam", epochs=2, batch_size=16, shuffle=False)
    twice = Network(SIZES, activation="relu", output="softmax", seed=5)
    twice.fit(X, y, optimiser="adam", epochs=1, batch_size=16, shuffle=False)
    state = twice.history.optimiser_state
    mine = twice.weights[0] = twice.weights[0].copy()  # replaced between the fits
    twice.fit(X, y, epochs=1, batch_size=16, shuffle=False, optimiser_state=state)
    assert twice.weights[0] is mine, "fit trains a replaced array in place, not a copy of it"
    for p, q in zip(once.parameters(), twice.parameters()):
        np.testing.assert_array_equal(p, q)


def test_the_registry_rules_are_elementwise():
    assert all(is_elementwise(get_optimiser(name)) for name in ("gd", "sgd", "adam"))


class WeightDecaySGD(SGD):
    """Decays the weights only: not element-wise, though SGD is. Counts its calls."""

    def update(self, param, grad, state, eta, step):
        self.calls = getattr(self, "calls", 0) + 1
        if param.ndim == 2:
            param *= param.dtype.type(0.5)
        super().update(param, grad, state, eta, step)


class ClippedAdam(Adam):
    elementwise = True  # declared again beside its own update: clipping each entry is element-wise

    def update(self, param, grad, state, eta, step):
        self.calls = getattr(self, "calls", 0) + 1
        super().update(param, np.clip(grad, -1, 1), state, eta, step)


def test_a_subclass_that_overrides_update_is_element_wise_only_if_it_says_so():
    assert not is_elementwise(WeightDecaySGD()) and is_elementwise(ClippedAdam())
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(32, SIZES[0])), rng.integers(0, SIZES[-1], size=32)
    net = Network(SIZES, activation="relu", output="softmax", seed=8)
    before = [W.copy() for W in net.weights]
    decay = WeightDecaySGD(momentum=0.0)
    net.fit(X, y, optimiser=decay, learning_rate=1e-12, epochs=1, batch_size=32)
    assert decay.calls == 2 * (len(SIZES) - 1), "one call per W^l and b^l"
    for W, W0 in zip(net.weights, before):
        np.testing.assert_allclose(W, 0.5 * W0, rtol=1e-6)  # every W^l decayed once
    clipped = ClippedAdam()
    Network(SIZES, activation="relu", output="softmax", seed=8).fit(X, y, optimiser=clipped, epochs=1, batch_size=32)
    assert clipped.calls == 1


def test_pickled_and_deep_copied_networks_and_estimators_keep_one_buffer():
    net = Network(SIZES, seed=0)
    for other in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        assert_packed(other)
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(40, SIZES[0])), rng.integers(0, 3, size=40)
    est = DeltapropClassifier(hidden_layer_sizes=(6,), max_iter=2, random_state=0).fit(X, y)
    est = pickle.loads(pickle.dumps(est))
    assert_packed(est._network)
    held = est.weights_[0]
    before = held.copy()
    est.partial_fit(X, y)
    assert est.weights_[0] is held and not np.array_equal(held, before), "the arrays a user holds are the ones trained"


# From an adversarial review: a read-only W^l or b^l (np.load(mmap_mode="r"), np.broadcast_to) gave a 1,380-character
# Numba error half-way through the first update, with W^1, b^1 and W^2 updated and b^2 not; and a callback that
# replaced W^1 (a Keras-style max-norm constraint) froze it, the updates going to the array it had replaced.

@pytest.mark.parametrize("optimiser", ["adam", "sgd", "gd", "lbfgs"])
def test_read_only_parameters_are_trained_as_copies_and_left_as_given(optimiser):
    X = np.random.default_rng(0).random((50, 3))
    y = np.arange(50) % 2
    net = Network([3, 4, 2], seed=0)
    mine = net.biases[1].copy()
    mine.flags.writeable = False
    net.biases[1] = mine
    view = net.weights[0]
    view.flags.writeable = False  # (a read-only view of a writable buffer)
    kept = mine.copy()
    net.fit(X, y, epochs=3, optimiser=optimiser)
    assert net.history.epochs == 3 and all(p.flags.writeable for p in net.parameters())
    assert_packed(net)
    assert np.array_equal(mine, kept) and not np.array_equal(net.biases[1], kept)  # (b^2 trained, the array given not)


def test_a_callback_that_replaces_a_parameter_has_its_values_trained_on():
    from deltaprop import Callback

    X = np.random.default_rng(0).random((50, 3))
    y = np.arange(50) % 2

    class MaxNorm(Callback):  # Keras's max-norm constraint, written by replacing W^1
        def __init__(self):
            self.seen = []

        def on_epoch_end(self, run, epoch, logs):
            W = run.net.weights[0]
            run.net.weights[0] = W / max(1.0, float(np.linalg.norm(W)))
            self.seen.append(run.net.weights[0].copy())

    net = Network([3, 4, 2], seed=0)
    cb = MaxNorm()
    net.fit(X, y, epochs=4, learning_rate=0.1, callbacks=[cb])
    assert all(not np.array_equal(a, b) for a, b in zip(cb.seen, cb.seen[1:]))  # (W^1 still trains: it was frozen)
    np.testing.assert_array_equal(net.weights[0], cb.seen[-1])  # (the constrained values are the network's)
    assert_packed(net)

    class Widen(Callback):
        def on_batch_end(self, run, batch, loss):
            run.net.biases[1] = np.zeros(5)

    with pytest.raises(ValueError, match=r"^run\.net\.biases\[1\] \(b\^2\): a callback replaced it by a ndarray of shape "
                                         r"\(5,\); expected an array of numbers of shape \(2,\)$"):
        Network([3, 4, 2], seed=0).fit(X, y, epochs=1, callbacks=[Widen()])
