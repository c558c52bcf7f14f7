"""The buffered training step (deltaprop.fastpath) and fused optimiser kernels agree with the literal path."""

import itertools

import numpy as np
import pytest

import deltaprop.training as training
from deltaprop import Network, kernels
from deltaprop.activations import Activation, hidden_activations
from deltaprop.losses import LOSSES, Loss
from deltaprop.fastpath import Workspace
from deltaprop.optimisers import SGD, Adam, AdamW, RMSprop

from conftest import PAIRINGS, targets_for

SIZES = [7, 6, 5, 4]
# The hidden activations the workspace computes in compiled loops (by name); every other hidden activation of the
# registry, one added there included, takes the reference path (Workspace.for_network gives None).
COMPILED = sorted(kernels.HIDDEN_KINDS)
NOT_COMPILED = [name for name in hidden_activations() if name not in kernels.HIDDEN_KINDS]


def literal_gradients(net, X, T, w, rng, fused):
    fp = net._forward(X, True, rng)
    g = net._backward(fp, T, w, fused)
    return fp.output, g.dW, g.db


def assert_close(fast, literal):
    for f, l in zip(fast, literal):
        np.testing.assert_allclose(f, l, rtol=1e-10, atol=1e-13)


CASES = [
    (hidden, output, loss, dropout, weighted, l2, fused)
    for hidden, (output, loss) in itertools.product(COMPILED, PAIRINGS)
    for dropout, weighted, l2, fused in [(0.0, False, 0.0, True), (0.3, True, 0.01, True), (0.5, False, 0.0, False)]
]


@pytest.mark.parametrize("hidden,output,loss,dropout,weighted,l2,fused", CASES)
def test_step_matches_literal_gradients(hidden, output, loss, dropout, weighted, l2, fused):
    data = np.random.default_rng(7)
    net = Network(SIZES, activation=hidden, output=output, loss=loss, dropout=dropout, l2=l2, seed=3, dtype="float64")
    for W in net.weights[:-1]:  # biases nonzero too, so every term of z^l matters
        W += 0.1
    net.biases = [data.normal(size=b.shape) for b in net.biases]
    workspace = Workspace.for_network(net, batch_size=16, fused=fused)
    for m in (16, 5):  # a full batch, then a shorter last one in the same buffers
        X = data.normal(size=(m, SIZES[0]))
        T = targets_for(loss, output, m, SIZES[-1], data)
        w = data.uniform(0.2, 2.0, size=m) if weighted else None
        step = workspace.step(X, T, w, np.random.default_rng(11), count_correct=net.is_classifier)
        y_ref, dW_ref, db_ref = literal_gradients(net, X, T, w, np.random.default_rng(11), fused)
        assert_close([step.output], [y_ref])
        assert_close(step.dW, dW_ref)
        assert_close(step.db, db_ref)
        np.testing.assert_allclose(step.cost, net.cost_of(y_ref, T, w), rtol=1e-12)
        if net.is_classifier:
            assert step.correct == net.count_correct(y_ref, T)


def test_a_wrong_derivative_is_caught(monkeypatch):
    # The comparison above can fail: hand the backward pass tanh's derivative (the forward pass
    # still computes sigmoid) and the gradients must differ.
    net = Network(SIZES, activation="sigmoid", seed=3, dtype="float64")
    data = np.random.default_rng(0)
    X, T = data.normal(size=(8, SIZES[0])), np.eye(SIZES[-1])[data.integers(0, SIZES[-1], 8)]
    workspace = Workspace.for_network(net, 8)
    right = kernels.times_derivative
    monkeypatch.setattr(kernels, "times_derivative", lambda g, a, kind, slope, db: right(g, a, kernels.HIDDEN_KINDS["tanh"], slope, db))
    step = workspace.step(X, T, None, np.random.default_rng(0))
    y_ref, dW_ref, _ = literal_gradients(net, X, T, None, np.random.default_rng(0), True)
    np.testing.assert_allclose(step.output, y_ref, rtol=1e-12)  # the forward pass is untouched
    assert not np.allclose(step.dW[0], dW_ref[0])


def test_custom_hidden_activation_falls_back_to_the_literal_path():
    # An Activation object of its own (here a steeper sigmoid under the same name) is not the registry's.
    steep = Activation("sigmoid", lambda z: 1 / (1 + np.exp(-2 * z)), lambda z, a: 2 * a * (1 - a))
    net = Network([3, 4, 2], activation=steep, seed=0)
    assert Workspace.for_network(net, 10) is None
    net.fit(np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2, epochs=1)  # still trains


@pytest.mark.parametrize("hidden", NOT_COMPILED)
def test_a_registry_hidden_activation_without_a_compiled_loop_takes_the_reference_path(hidden):
    # (the module docstring of deltaprop.fastpath: an activation added to the registry needs no kernel)
    net = Network(SIZES, activation=hidden, seed=3, dtype="float64")
    assert Workspace.for_network(net, batch_size=16) is None


def fit(fast, monkeypatch, **network):
    data = np.random.default_rng(5)
    X, y = data.normal(size=(130, 12)), data.integers(0, 3, 130)
    net = Network([12, 10, 8, 3], seed=2, **network)
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(training.Workspace, "for_network", classmethod(lambda cls, *a, **k: None))
        net.fit(X, y, epochs=3, batch_size=32, sample_weight=data.uniform(0.5, 1.5, 130))
    return net


@pytest.mark.parametrize("network", [dict(activation="relu", dropout=0.2, l2=1e-3), dict(activation="tanh")])
def test_training_through_the_fast_path_matches_the_literal_path(monkeypatch, network):
    fast = fit(True, monkeypatch, dtype="float64", **network)
    literal = fit(False, monkeypatch, dtype="float64", **network)
    for p, q in zip(fast.parameters(), literal.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast.history.loss, literal.history.loss, rtol=1e-10)


def test_training_is_bit_for_bit_reproducible_from_a_seed(monkeypatch):
    a = fit(True, monkeypatch, activation="relu", dropout=0.3, dtype="float32")
    b = fit(True, monkeypatch, activation="relu", dropout=0.3, dtype="float32")
    for p, q in zip(a.parameters(), b.parameters()):
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p, q)
    c = fit(True, monkeypatch, activation="relu", dropout=0.3, dtype="float32", l2=1e-6)
    assert not np.array_equal(a.weights[0], c.weights[0])  # and the comparison can see a difference


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("optimiser", [Adam(), SGD(momentum=0.9), SGD(momentum=0.8, nesterov=True), RMSprop(rho=0.8),
                                       AdamW(weight_decay=0.1)])
def test_fused_optimiser_kernels_give_the_numpy_bits(optimiser, dtype):
    data = np.random.default_rng(1)
    theta = data.normal(size=(9, 7)).astype(dtype)
    fused_theta, numpy_theta = theta.copy(), np.asfortranarray(theta)  # Fortran order takes the NumPy lines
    fused_state, numpy_state = optimiser.init(fused_theta), optimiser.init(numpy_theta)
    numpy_state = tuple(np.asfortranarray(s) for s in numpy_state)
    for step in range(1, 6):
        g = data.normal(size=theta.shape).astype(dtype)
        optimiser.update(fused_theta, g, fused_state, 0.01, step)
        optimiser.update(numpy_theta, np.asfortranarray(g), numpy_state, 0.01, step)
    assert kernels.fusable(fused_theta, g) and not kernels.fusable(numpy_theta, np.asfortranarray(g))
    np.testing.assert_array_equal(fused_theta, numpy_theta)
    assert not np.array_equal(fused_theta, theta)


def test_add_scaled():
    y, x = np.arange(6, dtype=np.float32), np.ones(6, dtype=np.float32)
    kernels.add_scaled(y, x, 0.5)
    np.testing.assert_array_equal(y, np.arange(6) + 0.5)


@pytest.mark.parametrize("hidden", COMPILED)
def test_float32_step_matches_the_literal_path_to_float32_precision(hidden):
    # The kernels take their constants typed as the arrays; a float64 constant would still pass the
    # float64 tests above but change the float32 arithmetic (and its speed).
    data = np.random.default_rng(4)
    net = Network([30, 20, 10, 5], activation=hidden, seed=1, dtype="float32")
    X, labels = data.normal(size=(40, 30)).astype(np.float32), data.integers(0, 5, 40)
    T = net.encode_targets(labels, remember=True)
    workspace = Workspace.for_network(net, 40)
    assert workspace._softmax_cross_entropy  # the compiled output layer is the one under test
    step = workspace.step(X, T, None, np.random.default_rng(0), count_correct=True)
    y_ref, dW_ref, db_ref = literal_gradients(net, X, T, None, np.random.default_rng(0), True)
    for fast, ref in zip([step.output, *step.dW, *step.db], [y_ref, *dW_ref, *db_ref]):
        assert fast.dtype == np.float32
        np.testing.assert_allclose(fast, ref, rtol=2e-5, atol=1e-6)
    assert step.correct == net.count_correct(y_ref, T)
    np.testing.assert_allclose(step.cost, net.cost_of(y_ref, T), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(kernels.HIDDEN_KINDS))
def test_hidden_kernels_give_numpys_float32_bits(name):
    # Bit for bit against the same float32 operations in NumPy: a constant that promoted the
    # arithmetic to float64 would round differently somewhere among these 6,000 values.
    data = np.random.default_rng(2)
    f32, slope = np.float32, np.float32(0.01)
    z, b, g = (data.normal(size=s).astype(f32) for s in [(200, 30), (30,), (200, 30)])
    z = z * f32(3)
    fast = z.copy()
    kernels.bias_activation(fast, b, kernels.HIDDEN_KINDS[name], 0.01)
    zb = z + b
    expected = {"relu": np.maximum(zb, f32(0)), "leaky_relu": np.where(zb < 0, zb * slope, zb)}.get(name, zb)
    np.testing.assert_array_equal(fast, expected)  # sigmoid and tanh: only z + b here (NumPy does the rest)
    a = {"sigmoid": f32(1) / (f32(1) + np.exp(-zb)), "tanh": np.tanh(zb)}.get(name, expected)
    sigma_prime = {
        "identity": np.ones_like(a),
        "relu": (a > 0).astype(f32),
        "leaky_relu": np.where(a > 0, f32(1), slope),
        "sigmoid": (f32(1) - a) * a,
        "tanh": f32(1) - a * a,
    }[name]
    fast_g, db = g.copy(), np.empty(30, f32)
    kernels.times_derivative(fast_g, a, kernels.HIDDEN_KINDS[name], 0.01, db)
    np.testing.assert_array_equal(fast_g, g * sigma_prime)
    np.testing.assert_allclose(db, (g * sigma_prime).sum(axis=0), rtol=1e-5, atol=1e-5)  # another order of sums


def _softmax_network(dtype):
    net = Network([6, 5, 4], activation="relu", seed=0, dtype=dtype)
    data = np.random.default_rng(8)
    X = data.normal(size=(12, 6)).astype(dtype)
    T = net.encode_targets(data.integers(0, 4, 12), remember=True)
    return net, X, T


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_kernel_cost_is_the_exact_cost_of_confident_outputs(dtype):
    # Outputs so confident that some y_k underflow to 0: log y_k must come from z^L (the loss's
    # logit_cost), not from a floor under y, in the kernel as in the literal path.
    net, X, T = _softmax_network(dtype)
    net.weights[-1] *= 1e4
    step = Workspace.for_network(net, 12).step(X, T, None, np.random.default_rng(0))
    fp = net._forward(X, False, np.random.default_rng(0))
    z = fp.z[net.n_layers - 1].astype(np.float64)
    exact = np.mean(np.sum(T * (np.log(np.sum(np.exp(z - z.max(1, keepdims=True)), 1, keepdims=True)) + z.max(1, keepdims=True) - z), 1))
    assert (fp.output == 0).any() and exact > -np.log(np.finfo(dtype).tiny)  # beyond any floor under y
    np.testing.assert_allclose(net.cost_of(fp.output, T, z=fp.z[net.n_layers - 1]), exact, rtol=1e-5)
    np.testing.assert_allclose(step.cost, exact, rtol=1e-5)


@pytest.mark.parametrize("poison", ["nan weight", "inf input"])
def test_softmax_kernel_cost_is_not_finite_when_the_outputs_are_not(poison):
    # Divergence is detected through the cost; the kernel must not hide a NaN behind its floor.
    net, X, T = _softmax_network("float64")
    if poison == "nan weight":
        net.weights[-1][0, 0] = np.nan
    else:
        X[3, 2] = np.inf
    step = Workspace.for_network(net, 12).step(X, T, None, np.random.default_rng(0))
    assert not np.isfinite(step.cost)


def test_softmax_cross_entropy_training_that_diverges_raises():
    data = np.random.default_rng(3)
    X, y = data.normal(size=(60, 5)) * 1e3, data.integers(0, 3, 60)
    net = Network([5, 8, 3], activation="relu", seed=0)
    assert Workspace.for_network(net, 20)._softmax_cross_entropy  # the kernel is on this path
    with pytest.raises(training.DivergenceError):
        net.fit(X, y, optimiser="sgd", learning_rate=1e6, momentum=0.0, batch_size=20, epochs=5)


def test_a_fused_softmax_loss_of_its_own_takes_the_numpy_output_lines():
    # The compiled output layer is for the registry's cross-entropy only; a Loss object of one's own
    # (here the same functions under another name) that declares delta^L = y - t with softmax takes
    # the NumPy softmax lines and its own cost function.
    xent = LOSSES["cross_entropy"]
    mine = Loss("my_cross_entropy", xent.cost, xent.grad, outputs=("softmax",), fused_output="softmax")
    net = Network([5, 4, 3], activation="tanh", output="softmax", loss=mine, seed=0, dtype="float64")
    data = np.random.default_rng(1)
    X, T = data.normal(size=(10, 5)), np.eye(3)[data.integers(0, 3, 10)]
    workspace = Workspace.for_network(net, 10)
    assert workspace._fused_output and not workspace._softmax_cross_entropy
    step = workspace.step(X, T, None, np.random.default_rng(0), count_correct=True)
    y_ref, dW_ref, db_ref = literal_gradients(net, X, T, None, np.random.default_rng(0), True)
    assert_close([step.output, *step.dW, *step.db], [y_ref, *dW_ref, *db_ref])
    np.testing.assert_allclose(step.cost, net.cost_of(y_ref, T), rtol=1e-12)
    assert step.correct == net.count_correct(y_ref, T)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sum_of_squares_is_the_float64_sum_in_one_pass(dtype):
    # clip_norm's ||g||^2: the kernel (reassociated, vectorised) and the NumPy fallback agree with a float64 sum
    from deltaprop.kernels import sum_of_squares

    x = np.random.default_rng(0).normal(size=100_003).astype(dtype)
    exact = float(np.dot(x.astype(np.float64), x.astype(np.float64)))
    assert sum_of_squares(x) == pytest.approx(exact, rel=1e-12)
    assert sum_of_squares(x[::2]) == pytest.approx(float(np.sum(x[::2].astype(np.float64) ** 2)), rel=1e-12)  # not contiguous
    assert sum_of_squares(x.reshape(-1, 1)[:0]) == 0.0
    big = np.full(10, 1e30, dtype=np.float32)  # squares beyond float32's range: float64 holds them
    assert sum_of_squares(big) == pytest.approx(10 * 1e30**2 * (float(np.float32(1e30)) / 1e30) ** 2, rel=1e-12)


# Cases a mutation audit found unguarded (each test fails with the mutant it names).


def saturated_sigmoid_network():
    """One sigmoid unit with z = 50 for every example (y = 1.0 exactly, float64) and targets 0."""
    net = Network([1, 1], output="sigmoid", loss="binary_cross_entropy", seed=0, dtype="float64")
    net.weights[0][...] = 50.0
    return net, np.ones((4, 1)), np.array([[0.0], [0.0], [0.0], [1.0]])


def test_the_workspace_takes_the_literal_output_delta_when_fused_is_false():
    # the literal delta^L = sigma'(z^L) (.) dc/dy vanishes where y = 1 exactly; the fused y - t does not
    net, X, T = saturated_sigmoid_network()
    assert Workspace.for_network(net, 4, fused=False) is not None  # the compiled path is the one tested
    literal, shortcut = net.copy(), net.copy()
    literal.fit(X, T, optimiser="sgd", momentum=0.0, learning_rate=0.1, epochs=1, batch_size=4, fused=False)
    shortcut.fit(X, T, optimiser="sgd", momentum=0.0, learning_rate=0.1, epochs=1, batch_size=4, fused=True)
    np.testing.assert_array_equal(literal.weights[0], net.weights[0])
    assert not np.array_equal(shortcut.weights[0], net.weights[0])


def test_the_workspace_reports_the_exact_cost_of_a_saturated_sigmoid_from_z():
    # c = softplus(z) - t z = 50 for t = 0, 0 for t = 1; from y = 1.0 it would be the floor's log instead
    net, X, T = saturated_sigmoid_network()
    history = net.fit(X, T, optimiser="sgd", momentum=0.0, learning_rate=1e-300, epochs=1, batch_size=4)
    assert history.loss[0] == pytest.approx(3 * 50 / 4, rel=1e-12)


def test_the_softmax_kernel_breaks_ties_towards_the_first_class_as_argmax():
    net = Network([2, 3], output="softmax", loss="cross_entropy", seed=0)
    net.weights[0][...] = 0.0  # every output 1/3: a three-way tie
    history = net.fit(np.ones((6, 2), np.float32), np.eye(3)[[0] * 6], epochs=1, learning_rate=1e-30)
    assert history.accuracy == [1.0]  # argmax of a tie is class 0, the labels' class
