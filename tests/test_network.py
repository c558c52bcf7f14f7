"""The forward pass and backpropagation against the lecture's equations."""

import math
import warnings

import numpy as np
import pytest
from conftest import HIDDEN, PAIRINGS, targets_for
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import backprop_batch

import deltaprop as dp


def make(sizes, hidden, output, loss, seed=0, **kw):
    net = dp.Network(sizes, activation=hidden, output=output, loss=loss, seed=seed, dtype="float64", **kw)
    # Random biases: with b = 0 a ReLU layer whose inputs are all 0 gives z exactly 0, the kink
    # where no derivative exists and finite differences disagree with any one-sided choice.
    for b in net.biases:
        b[:] = np.random.default_rng(seed + 99).normal(scale=0.1, size=b.shape)
    return net


def sizes_for_depth(L, n_out):
    return [3] + [4, 3, 5][: L - 1] + [n_out]


@pytest.mark.parametrize("L", [1, 2, 3, 4])
@pytest.mark.parametrize("output,loss", PAIRINGS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_gradcheck_every_activation_pairing_and_depth(hidden, output, loss, L, rng):
    net = make(sizes_for_depth(L, 3), hidden, output, loss, seed=L)
    X = rng.normal(size=(5, 3))
    T = targets_for(loss, output, 5, 3, rng)
    result = dp.gradcheck(net, X, T)
    assert len(result.weight_errors) == L
    assert result.max_error < 1e-6, str(result)


@pytest.mark.parametrize("output,loss", PAIRINGS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backward_equals_one_example_at_a_time_reference(hidden, output, loss, rng):
    net = make([4, 5, 4, 3], hidden, output, loss, l2=0.01)
    X = rng.normal(size=(6, 4))
    T = targets_for(loss, output, 6, 3, rng)
    assert_matches_reference(net, X, T)


def assert_matches_reference(net, X, T):
    """delta^l, dC/dW^l and dC/db^l of every layer l = 1..L equal the example-at-a-time oracle's."""
    g = net.backward(net.forward(X), T)
    deltas, dW, db = backprop_batch(net, X, T)
    for l in range(net.n_layers):
        np.testing.assert_allclose(g.delta[l], deltas[l], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(g.dW[l], dW[l], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(g.db[l], db[l], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("output,loss", [("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"), ("exp", "poisson")])
def test_fused_output_delta_equals_literal_path(output, loss, rng):
    net = make([4, 6, 3], "tanh", output, loss)
    X = rng.normal(size=(8, 4))
    T = targets_for(loss, output, 8, 3, rng)
    fp = net.forward(X)
    fused = net.output_delta(fp, T, fused=True)
    literal = net.output_delta(fp, T, fused=False)  # sigma'(z^L) (.) nabla C(y), softmax via its JVP
    np.testing.assert_allclose(fused, fp.output - T, rtol=0, atol=0)
    np.testing.assert_allclose(fused, literal, rtol=1e-10, atol=1e-12)
    g_fused, g_literal = net.backward(fp, T, fused=True), net.backward(fp, T, fused=False)
    for a, b in zip(g_fused.dW + g_fused.db, g_literal.dW + g_literal.db):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@given(st.integers(0, 2**32 - 1), st.sampled_from(["cross_entropy", "binary_cross_entropy", "poisson"]), st.floats(0.1, 3))
@settings(max_examples=60, deadline=None)
def test_logit_cost_is_the_cost_of_the_fused_output(seed, loss_name, scale):
    # logit_cost(z, t) = cost(sigma(z), t) where 1 - y keeps its digits (|z| up to about 10; beyond, the
    # y-form loses them in 1 - y, and the saturated test below checks the logit form alone)
    loss = dp.losses.LOSSES[loss_name]
    sigma = dp.activations.ACTIVATIONS[loss.fused_output]
    data = np.random.default_rng(seed)
    z = data.normal(size=(7, 3)) * scale
    t = data.dirichlet(np.ones(3), size=7) if loss_name == "cross_entropy" else data.random((7, 3))
    if loss_name == "poisson":
        t = data.poisson(2.0, (7, 3)).astype(float)  # counts, 0 among them
    np.testing.assert_allclose(loss.logit_cost(z, t), loss.cost(sigma.forward(z), t), rtol=1e-9)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_cost_of_a_saturated_sigmoid_output_is_exact(dtype):
    # y = sigmoid(40) rounds to 1 in both dtypes: -log(1 - y) would need a floor (87 or 708);
    # from z^L the cost is log(1 + e^40) = 40, and it keeps matching its gradient y - t.
    net = dp.Network([1, 1], seed=0, dtype=dtype)  # sigmoid + binary cross-entropy
    net.weights[0][...], net.biases[0][...] = 1, 0
    X, T = np.array([[40.0], [-40.0], [3.0]]), np.array([[0.0], [1.0], [1.0]])
    np.testing.assert_allclose(net.loss(X, T), (40 + 40 + np.log1p(np.exp(-3.0))) / 3, rtol=1e-6)
    np.testing.assert_allclose(net.cost_of(None, T, z=X), net.loss(X, T), rtol=1e-6)  # cost_of from z^L alone
    y = net.predict_output(X)
    assert y[0, 0] == 1 and net.loss_function.cost(y, T)[0] > 80  # what the y-only form gives: its floor
    history = net.fit(X, T, optimiser="gd", learning_rate=1e-9, epochs=1)
    np.testing.assert_allclose(history.loss[0], net.loss(X, T), rtol=1e-6)  # training reports the same
    assert dp.gradcheck(net, X, T).max_error < 1e-6  # finite differences of the cost agree with y - t


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_poisson_cost_and_its_gradient_stay_exact_where_e_to_the_z_underflows(dtype):
    # Before: the cost and delta^L came from y = e^z floored at the smallest normal number, so at z = -95
    # (float32) an example with t = 1 stopped counting and one with t = 10 made the cost infinite
    net = dp.Network([1, 1], loss="poisson", seed=0, dtype=dtype)
    net.weights[0][...], net.biases[0][...] = 1, 0
    z = -95.0 if dtype == "float32" else -720.0
    X, T = np.array([[z], [z], [0.5]]), np.array([[1.0], [10.0], [0.0]])
    expected = [-z + 0 - 1, -10 * z + 10 * np.log(10) - 10, np.exp(0.5)]  # e^z - t z + t log t - t
    np.testing.assert_allclose(net.loss(X, T), np.mean(expected), rtol=1e-6)
    grads = net.backward(net.forward(X), T)
    np.testing.assert_allclose(grads.db[0], [np.mean([-1.0, -10.0, np.exp(0.5)])], rtol=1e-6)  # mean of y - t
    before = net.loss(X, T)
    history = net.fit(X, T, optimiser="gd", learning_rate=1e-9, epochs=1)
    np.testing.assert_allclose(history.loss[0], before, rtol=1e-6)  # the training loop's cost: the same form


def test_forward_shapes_and_the_lectures_orientation(rng):
    net = dp.Network([5, 4, 3, 2], seed=0)
    assert [W.shape for W in net.weights] == [(4, 5), (3, 4), (2, 3)]  # W^l: (N_l, N_{l-1})
    assert [b.shape for b in net.biases] == [(4,), (3,), (2,)]
    X = rng.normal(size=(7, 5)).astype(np.float32)
    fp = net.forward(X)
    assert len(fp.z) == 3 and len(fp.a) == 4
    assert fp.a[0] is not None and np.array_equal(fp.a[0], X)
    # z^1 = W^1 x + b^1 for one example, as the lecture writes it (column vector)
    np.testing.assert_allclose(fp.z[0][2], net.weights[0] @ X[2] + net.biases[0], rtol=1e-5)
    assert [z.shape for z in fp.z] == [(7, 4), (7, 3), (7, 2)]
    assert all(a.dtype == np.float32 for a in fp.a + fp.z)


def test_loss_is_the_mean_cost_plus_l2_and_backward_is_its_gradient(rng):
    net = make([3, 4, 2], "sigmoid", "sigmoid", "quadratic", l2=0.1)
    X, T = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    y = net.forward(X).output
    expected = np.mean(0.5 * np.sum((y - T) ** 2, axis=1)) + 0.05 * sum(np.sum(W**2) for W in net.weights)
    assert net.loss(X, T) == pytest.approx(expected, rel=1e-12)
    assert dp.gradcheck(net, X, T).max_error < 1e-6


def test_sample_weights_equal_repeating_examples(rng):
    net = make([3, 4, 3], "tanh", "softmax", "cross_entropy")
    X = rng.normal(size=(3, 3))
    T = np.eye(3)
    g_w = net.backward(net.forward(X), T, sample_weight=[2, 1, 1])
    Xr, Tr = np.vstack([X, X[:1]]), np.vstack([T, T[:1]])
    g_r = net.backward(net.forward(Xr), Tr)
    for a, b in zip(g_w.dW + g_w.db, g_r.dW + g_r.db):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert net.loss(X, T, sample_weight=[2, 1, 1]) == pytest.approx(net.loss(Xr, Tr), rel=1e-12)
    assert dp.gradcheck(net, X, T, sample_weight=[0.5, 2.0, 1.0]).max_error < 1e-6


def test_dropout_mask_is_used_in_the_backward_pass(rng):
    net = make([4, 8, 6, 3], "relu", "softmax", "cross_entropy", dropout=[0.5, 0.25])
    X = rng.normal(size=(5, 4))
    T = np.eye(3)[[0, 1, 2, 0, 1]]
    fp = net.forward(X, training=True, rng=np.random.default_rng(0))
    assert fp.masks[0] is not None and fp.masks[1] is not None and fp.masks[2] is None
    assert set(np.unique(fp.masks[0])) <= {0.0, 2.0}  # inverted dropout: kept units scaled by 1/(1-p)
    g = net.backward(fp, T)
    deltas, dW, db = backprop_batch(net, X, T, masks=fp.masks)
    for l in range(3):
        np.testing.assert_allclose(g.dW[l], dW[l], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(g.db[l], db[l], rtol=1e-10, atol=1e-12)
    # dropped units pass no gradient
    assert np.all(g.delta[0][fp.masks[0] == 0] == 0)


def test_dropout_is_off_at_prediction_and_keeps_the_expected_activation(rng):
    net = dp.Network([20, 500, 2], activation="sigmoid", dropout=0.3, seed=0, dtype="float64")
    X = rng.normal(size=(200, 20))
    plain = net.forward(X)
    np.testing.assert_array_equal(net.predict_output(X), plain.output)
    dropped = net.forward(X, training=True, rng=np.random.default_rng(1))
    share_dropped = np.mean(dropped.masks[0] == 0)
    assert 0.28 < share_dropped < 0.32
    # E[mask] = 1, so the mean activation is preserved
    assert np.mean(dropped.a[1]) == pytest.approx(np.mean(plain.a[1]), rel=0.02)


@settings(max_examples=40, deadline=None)
@given(
    widths=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    n=st.integers(1, 6),
    hidden=st.sampled_from(HIDDEN),
    pairing=st.sampled_from(PAIRINGS),
    seed=st.integers(0, 2**16),
)
def test_property_backward_matches_reference_for_any_shape(widths, n, hidden, pairing, seed):
    output, loss = pairing
    n_out = widths[-1]
    if output == "softmax" and n_out < 2:
        n_out = 2
    sizes = widths[:-1] + [n_out]
    if len(sizes) < 2:
        sizes = [widths[0], n_out]
    rng = np.random.default_rng(seed)
    net = make(sizes, hidden, output, loss, seed=seed)
    X = rng.normal(size=(n, sizes[0]))
    T = targets_for(loss, output, n, n_out, rng)
    fp = net.forward(X)
    g = net.backward(fp, T)
    assert [d.shape for d in g.delta] == [(n, s) for s in sizes[1:]]
    assert [w.shape for w in g.dW] == [W.shape for W in net.weights]
    assert [b.shape for b in g.db] == [b.shape for b in net.biases]
    deltas, dW, db = backprop_batch(net, X, T)
    for l in range(len(sizes) - 1):
        np.testing.assert_allclose(g.dW[l], dW[l], rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(g.db[l], db[l], rtol=1e-8, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 8), hidden=st.sampled_from(["sigmoid", "tanh"]))
def test_property_directional_derivative_matches_finite_difference(seed, n, hidden):
    rng = np.random.default_rng(seed)
    net = make([3, 4, 4, 2], hidden, "softmax", "cross_entropy", seed=seed, l2=0.01)
    X = rng.normal(size=(n, 3))
    T = np.eye(2)[rng.integers(0, 2, n)]
    g = net.backward(net.forward(X), T)
    direction = [rng.normal(size=p.shape) for p in net.parameters()]
    grads = [x for dW, db in zip(g.dW, g.db) for x in (dW, db)]
    analytic = sum(np.vdot(gr, d) for gr, d in zip(grads, direction))
    eps = 1e-6
    params = net.parameters()
    for p, d in zip(params, direction):
        p += eps * d
    c_plus = net.loss(X, T)
    for p, d in zip(params, direction):
        p -= 2 * eps * d
    c_minus = net.loss(X, T)
    assert (c_plus - c_minus) / (2 * eps) == pytest.approx(analytic, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_in_is_dtype_out(dtype, rng):
    net = dp.Network([4, 5, 3], seed=0, dtype=dtype)
    assert all(p.dtype == np.dtype(dtype) for p in net.parameters())
    X = rng.normal(size=(6, 4)).astype(dtype)
    fp = net.forward(X)
    g = net.backward(fp, np.eye(3)[[0, 1, 2, 0, 1, 2]])
    assert all(x.dtype == np.dtype(dtype) for x in fp.a + fp.z + g.delta + g.dW + g.db)
    assert net.predict_proba(X).dtype == np.dtype(dtype)


def test_same_seed_same_initial_weights_and_default_initialisers():
    a, b = dp.Network([30, 20, 10], activation="relu", seed=7), dp.Network([30, 20, 10], activation="relu", seed=7)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)
    c = dp.Network([30, 20, 10], activation="relu", seed=8)
    assert not np.array_equal(a.weights[0], c.weights[0])
    assert a.init_names == ["he_normal", "glorot_uniform"]  # He for ReLU, Glorot for softmax
    assert dp.Network([30, 20, 10], activation="tanh").init_names == ["glorot_uniform", "glorot_uniform"]
    big = dp.Network([1000, 1000, 2], activation="relu", seed=0, dtype="float64")
    assert np.std(big.weights[0]) == pytest.approx(np.sqrt(2 / 1000), rel=0.02)  # He: Var = 2 / N_in


def test_an_exp_hidden_layer_matches_the_reference_and_its_gradient(rng):
    # (not in HIDDEN: e^z feeding a softmax saturates it, where the oracle's -t / y is 0 / 0)
    net = make([3, 4, 2], "exp", "identity", "quadratic")
    X, T = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    assert dp.gradcheck(net, X, T).max_error < 1e-6
    assert_matches_reference(net, X, T)


def test_default_output_and_loss_pairing():
    assert (dp.Network([3, 4]).output_activation.name, dp.Network([3, 4]).loss_function.name) == ("softmax", "cross_entropy")
    one = dp.Network([3, 1])
    assert (one.output_activation.name, one.loss_function.name) == ("sigmoid", "binary_cross_entropy")
    reg = dp.Network([3, 2], loss="quadratic")
    assert reg.output_activation.name == "identity"
    lecture = dp.Network([3, 2], output="sigmoid", loss="quadratic")
    assert lecture.output_activation.name == "sigmoid"
    poisson = dp.Network([3, 2], loss="poisson")  # (the loss's own output: e^z, positive)
    assert poisson.output_activation.name == "exp" and not poisson.is_classifier
    with pytest.raises(ValueError, match=r"y: loss 'poisson' is defined for targets >= 0; got -1.0 at \[1, 0\] \(2 in all\)"):
        poisson.fit(np.zeros((3, 3)), np.array([[0.0, 1.0], [-1.0, 2.0], [3.0, -2.0]]), epochs=1)


def test_per_layer_activations():
    net = dp.Network([3, 4, 4, 2], activation=["relu", "tanh"], seed=0)
    assert [a.name for a in net.activations] == ["relu", "tanh", "softmax"]
    assert dp.Network([3, 4, 2], activation="logistic").activations[0].name == "sigmoid"  # scikit-learn's name


def test_pickle_round_trip_keeps_predictions(rng):
    import pickle

    net = dp.Network([3, 5, 4, 2], activation=["relu", "tanh"], seed=0)
    net.encode_targets(np.array([0, 1]), remember=True)
    copy = pickle.loads(pickle.dumps(net))
    X = rng.normal(size=(6, 3)).astype(np.float32)
    np.testing.assert_array_equal(copy.predict_proba(X), net.predict_proba(X))
    assert copy.activations[0] is dp.ACTIVATIONS["relu"]  # registry entries come back by name


def test_count_correct_by_argmax_by_threshold_and_for_multilabel():
    y = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.4, 0.5, 0.1]])
    T = np.eye(3)[[0, 2, 0]]
    assert dp.Network([2, 3]).count_correct(y, T) == 2  # argmax y = argmax t on rows 1 and 2
    binary = dp.Network([2, 1], output="sigmoid", loss="binary_cross_entropy")
    # y > 0.5 is class 1, and exactly 0.5 class 0 (as predict_proba's argmax and scikit-learn; until 2026-11-29, class 1)
    assert binary.count_correct(np.array([[0.8], [0.4], [0.5]]), np.array([[1.0], [1.0], [0.0]])) == 2
    assert binary.count_correct(np.array([[0.8], [0.4], [0.5]]), np.array([[1.0], [1.0], [1.0]])) == 1
    multilabel = dp.Network([2, 3], output="sigmoid", loss="binary_cross_entropy")
    multilabel.multilabel_ = True  # every label must be on its side of 0.5
    assert multilabel.count_correct(np.array([[0.9, 0.1, 0.6], [0.9, 0.6, 0.1]]), np.array([[1, 0, 1], [1, 0, 0.0]])) == 1


def test_the_literal_output_delta_vanishes_where_the_output_saturates():
    # What Network.output_delta's docstring says: y = sigmoid(17) rounds to 1 in float32, so
    # sigma'(z^L) = y (1 - y) = 0 and the literal delta^L is 0 where y - t = 1.
    net = dp.Network([1, 1], seed=0, dtype="float32")
    net.weights[0][...], net.biases[0][...] = 1, 0
    fp = net.forward(np.array([[17.0]]))
    T = np.array([[0.0]])
    assert fp.output[0, 0] == 1
    assert net.output_delta(fp, T, fused=False)[0, 0] == 0
    assert net.output_delta(fp, T, fused=True)[0, 0] == 1


def test_softmax_cross_entropy_takes_y_sum_t_minus_t_for_rows_that_do_not_sum_to_one(rng):
    # dC/dz_j = y_j sum_k t_k - t_j, exact for any t (y - t needs sum_k t_k = 1): rows of several or no
    # 1s, and soft targets whose sum rounds off 1, keep the gradient of the cost.
    X = rng.normal(size=(4, 3))
    T = np.array([[1, 1, 0], [0, 0, 0], [1, 0, 0], [0.2, 0.3, 0.5]], dtype=float)
    net = make([3, 4, 3], "tanh", "softmax", "cross_entropy")
    assert net.takes_fused_output() and not net.takes_fused_output(False)
    fp = net.forward(X)
    fused, literal = net.backward(fp, T, fused=True), net.backward(fp, T, fused=False)
    for a, b in zip(fused.dW + fused.db, literal.dW + literal.db):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(net.output_delta(fp, T)[2], fp.output[2] - T[2])  # one-hot: y - t itself
    assert dp.gradcheck(net, X, T).max_error < 1e-6


def test_softmax_soft_targets_keep_their_delta_where_the_output_saturates():
    # A confidently wrong float32 softmax (y rounds to 0 on the target's classes) with soft targets whose sum is
    # 1 only to rounding: the literal delta^L is lost (0 * floored gradient); y sum(t) - t is not.
    net = dp.Network([1, 3], output="softmax", seed=0, dtype="float32")
    net.weights[0][...] = 0
    net.biases[0][...] = [0, 0, 200]
    T = np.array([[0.35, 0.45, 0.2]], dtype=np.float32)
    assert T.sum() != 1  # (0.99999994 in float32)
    fp = net.forward(np.zeros((1, 1)))
    delta = net.output_delta(fp, T)
    np.testing.assert_allclose(delta[0], fp.output[0] * T.sum() - T[0], rtol=1e-6)
    assert delta[0, 0] < -0.3 and delta[0, 1] < -0.4 and delta[0, 2] > 0.7


def test_an_output_activation_of_ones_own_named_like_a_registry_one_takes_the_literal_delta(rng):
    # y - t is exact for the registry's sigmoid with binary cross-entropy; a steeper "sigmoid" of one's own
    # has sigma' = 2 a (1 - a), so delta^L = 2 (y - t): the name must not bring the shortcut.
    from deltaprop.activations import Activation

    steep = Activation("sigmoid", lambda z: 1 / (1 + np.exp(-2 * z)), lambda z, a: 2 * a * (1 - a))
    net = dp.Network([3, 4, 1], "tanh", output=steep, loss="binary_cross_entropy", seed=0, dtype="float64")
    X, T = rng.normal(size=(6, 3)), rng.integers(0, 2, size=(6, 1)).astype(float)
    assert not net.takes_fused_output()
    fp = net.forward(X)
    np.testing.assert_allclose(net.output_delta(fp, T), 2 * (fp.output - T), rtol=1e-12)
    assert dp.gradcheck(net, X, T).max_error < 1e-6


def test_fit_refuses_rows_of_several_classes_for_a_softmax_output(rng):
    X = rng.normal(size=(4, 3))
    net = make([3, 4, 3], "tanh", "softmax", "cross_entropy")
    with pytest.raises(ValueError, match=r"y: a softmax output .* exactly one 1; rows \[0, 1\] have \[2, 0\].*output='sigmoid'"):
        net.fit(X, np.array([[1, 1, 0], [0, 0, 0], [1, 0, 0], [0, 1, 0]]), epochs=1)
    assert net.classes_ is None
    multilabel = make([3, 4, 3], "tanh", "sigmoid", "binary_cross_entropy")
    multilabel.fit(X, np.array([[1, 1, 0], [0, 0, 0], [1, 0, 0], [0, 1, 1]]), epochs=1)  # what sigmoid outputs are for
    assert multilabel.multilabel_


def test_a_multilabel_network_later_fitted_on_plain_labels_predicts_single_classes(rng):
    X = rng.normal(size=(4, 3))
    net = make([3, 4, 3], "tanh", "sigmoid", "binary_cross_entropy")
    net.fit(X, np.array([[1, 1, 0], [0, 0, 0], [1, 0, 0], [0, 1, 1]]), epochs=1)
    assert net.multilabel_ and net.predict(X).shape == (4, 3)
    with pytest.raises(ValueError, match=r"labels \[7\] are not among the classes"):
        net.fit(X, np.array([0, 2, 1, 7]), epochs=1)
    assert net.multilabel_  # a refused fit changes nothing
    net.fit(X, np.array([0, 2, 1, 0]), epochs=1)
    assert not net.multilabel_ and net.predict(X).shape == (4,)


def test_dropout_on_a_network_without_hidden_layers_is_refused():
    with pytest.raises(ValueError, match=r"dropout: applies to the hidden layers 1..L-1, and sizes \[4, 3\] has none; got 0.5"):
        dp.Network([4, 3], dropout=0.5)
    assert dp.Network([4, 3], dropout=0).dropout == [0.0]


def test_a_network_takes_every_seed_numpy_takes_but_negative_ones():
    for seed in (0, np.int64(3), np.uint8(2), np.random.SeedSequence(5), np.random.PCG64(1), np.random.default_rng(0)):
        dp.Network([2, 2], seed=seed)
    a, b = dp.Network([2, 3], seed=np.random.SeedSequence(5)), dp.Network([2, 3], seed=np.random.SeedSequence(5))
    np.testing.assert_array_equal(a.weights[0], b.weights[0])


def test_refused_labels_change_nothing_and_unorderable_labels_are_named():
    # Before: encode_targets(remember=True) set multilabel_ False (or classes_ None) before refusing
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(12, 4)), (rng.random((12, 3)) < 0.5).astype(int)
    net = dp.Network([4, 5, 3], output="sigmoid", loss="binary_cross_entropy", seed=0)
    net.fit(X, Y, epochs=1)
    assert net.multilabel_
    with pytest.raises(ValueError):
        net.encode_targets(np.array([7, 8] * 6), remember=True)
    assert net.multilabel_ and net.predict(X[:2]).shape == (2, 3)
    with pytest.raises(TypeError, match=r"^y: expected labels of one kind that can be ordered \(all numbers, or all text\); "
                                        r"got int, str values$"):
        dp.Network([4, 3]).fit(X, np.array([1, "a", 2] * 4, dtype=object), epochs=1)
    with pytest.raises(TypeError, match=r"^sample_weight: expected numbers, one weight per example; got an array of dtype <U1"):
        dp.Network([4, 3]).fit(X, np.arange(12) % 3, sample_weight=["a"] * 12, epochs=1)


def test_score_checks_the_shape_of_y():
    # Before: NumPy's broadcast or reshape errors, or a silent 0.0 where n == N_L
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3, 4)), np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    multi = dp.Network([4, 3], output="sigmoid", loss="binary_cross_entropy", seed=0)
    multi.fit(X, Y, epochs=1)
    with pytest.raises(ValueError, match=r"^y: expected 0/1 indicators of shape \(3, 3\) for this multi-label network; got shape \(3,\)"):
        multi.score(X, np.array([0, 1, 2]))
    single = dp.Network([4, 3], seed=0)
    single.fit(X, [0, 1, 2], epochs=1)
    with pytest.raises(ValueError, match=r"^y: expected labels of shape \(3,\) or one-hot targets of shape \(3, 3\); got shape \(3, 4\)"):
        single.score(X, np.eye(4)[:3])
    regression = dp.Network([4, 2], output="identity", loss="quadratic", seed=0)
    with pytest.raises(ValueError, match=r"^y: expected targets of shape \(3, 2\); got shape \(3,\)"):
        regression.score(X, np.zeros(3))


def test_predict_proba_of_single_label_classes_on_sigmoid_outputs_sums_to_1():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    net = dp.Network([4, 6, 3], output="sigmoid", loss="binary_cross_entropy", seed=0)
    net.fit(X, np.arange(30) % 3, epochs=2)
    proba = net.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(net.classes_[np.argmax(proba, axis=1)], net.predict(X))


def test_equal_sample_weights_at_the_ends_of_float32_train_as_no_weights():
    # Before: their float32 sum overflowed (1e38 each: weights 0, nothing learnt) or n / sum did (1e-39: inf)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 4)), np.arange(20) % 2
    plain = dp.Network([4, 3, 2], seed=0)
    plain.fit(X, y, epochs=2, shuffle=False)
    for weight in (1e38, 1e-39):
        net = dp.Network([4, 3, 2], seed=0)
        net.fit(X, y, epochs=2, shuffle=False, sample_weight=np.full(20, weight))
        for p, q in zip(net.parameters(), plain.parameters()):
            np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-7)


def test_a_schedule_that_fails_later_is_refused_before_training():
    X, y = np.random.default_rng(0).normal(size=(20, 4)), np.arange(20) % 2
    net = dp.Network([4, 3, 2], seed=0)
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=r"^schedule: expected a finite learning rate > 0 for every epoch; got 0.0 for epoch 4"):
        net.fit(X, y, epochs=5, schedule=lambda eta0, epoch, n: eta0 if epoch < 3 else 0.0)
    assert all(np.array_equal(p, q) for p, q in zip(net.parameters(), before)) and net.classes_ is None


def test_one_sigmoid_output_at_exactly_one_half_is_class_0_as_predict_proba_says():
    # Before: predict gave class 1 (y >= 0.5) where predict_proba's columns [0.5, 0.5] give class 0 (and scikit-learn 0)
    net = dp.Network([2, 1], output="sigmoid", loss="binary_cross_entropy", seed=0, dtype="float64")
    net.weights[0][...] = 0.0  # z = 0: y = 1/2 for every input
    net.classes_ = np.array(["no", "yes"])
    X = np.array([[1.0, 2.0], [-1.0, 0.5]])
    assert net.predict(X).tolist() == ["no", "no"]
    assert np.argmax(net.predict_proba(X), axis=1).tolist() == [0, 0]
    assert net.count_correct(net.predict_output(X), np.array([[0.0], [0.0]])) == 2



# Cases a mutation audit found unguarded (each test fails with the mutant it names).


def test_activation_derivatives_at_zero_and_saturated_forms():
    from deltaprop.activations import ACTIVATIONS

    zero = np.zeros((1, 1))
    assert ACTIVATIONS["relu"].derivative(zero, zero)[0, 0] == 0.0  # 1[z > 0], not 1[z >= 0]
    assert ACTIVATIONS["leaky_relu"].derivative(zero, zero)[0, 0] == 0.01
    big = np.array([[1000.0, 0.0]])
    np.testing.assert_array_equal(ACTIVATIONS["softmax"](big), [[1.0, 0.0]])  # the row maximum is subtracted
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e^1000 overflows quietly to the right answer, 0
        assert ACTIVATIONS["sigmoid"](np.array([[-1000.0]]))[0, 0] == 0.0
    z = np.ones((2, 2))
    out = ACTIVATIONS["identity"](z)
    out[0, 0] = 5.0
    assert z[0, 0] == 1.0  # a copy: editing a^l leaves z^l as it was


def test_losses_stay_finite_at_saturated_outputs_and_every_alias_resolves():
    from deltaprop.losses import ALIASES, LOSSES, get_loss

    y, t = np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])
    ce = LOSSES["cross_entropy"]
    assert np.isfinite(ce.cost(y, t)).all() and np.isfinite(ce.grad(y, t)).all()  # log and 1/y of a floor, not of 0
    bce = LOSSES["binary_cross_entropy"]
    c = bce.logit_cost(np.array([[1000.0]]), np.array([[0.0]]))
    assert np.isfinite(c).all() and c[0] == pytest.approx(1000.0)  # softplus(1000) without e^1000
    for alias, name in ALIASES.items():
        assert get_loss(alias) is LOSSES[name]
    assert {"mse", "squared_error", "log_loss", "binary_crossentropy"} <= set(ALIASES)


def test_predict_proba_columns_and_even_rows_where_every_sigmoid_underflows(rng):
    X = rng.normal(size=(20, 3))
    binary = dp.Network([3, 4, 1], output="sigmoid", loss="binary_cross_entropy", seed=0)
    binary.fit(X, (X[:, 0] > 0).astype(int), epochs=3)
    proba = binary.predict_proba(X)
    np.testing.assert_array_equal(proba[:, 1], binary.predict_output(X)[:, 0])  # [1 - y, y]
    np.testing.assert_array_equal(binary.classes_[proba.argmax(axis=1)], binary.predict(X))
    net = dp.Network([3, 3], output="sigmoid", loss="binary_cross_entropy", seed=0)
    net.fit(X, np.arange(20) % 3, epochs=1)  # single-label classes on independent sigmoids
    net.weights[0][...] = 0.0
    net.biases[0][...] = -1e4  # every output underflows to 0
    np.testing.assert_array_equal(net.predict_proba(X[:2]), np.full((2, 3), 1 / 3, dtype=np.float32))


def test_a_multilabel_output_of_exactly_one_half_is_not_predicted():
    net = dp.Network([2, 3], output="sigmoid", loss="binary_cross_entropy", seed=0)
    net.fit(np.ones((4, 2)), np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]]), epochs=1)
    net.weights[0][...] = 0.0
    net.biases[0][...] = 0.0  # y = sigmoid(0) = 0.5 exactly
    assert net.predict(np.ones((1, 2))).tolist() == [[0, 0, 0]]


def test_r2_score_as_scikit_learn_for_several_outputs_and_a_constant_target(rng):
    from sklearn.metrics import r2_score

    X = rng.normal(size=(30, 3))
    Y = np.column_stack([X[:, 0] + 10, 3 * X[:, 1] - 5])  # column means far apart
    net = dp.Network([3, 5, 2], "tanh", output="identity", loss="quadratic", seed=0, dtype="float64")
    net.fit(X, Y, epochs=5, learning_rate=0.01)
    assert net.score(X, Y) == pytest.approx(r2_score(Y, net.predict(X)), rel=1e-12)
    constant = dp.Network([3, 1], output="identity", loss="quadratic", seed=0, dtype="float64")
    constant.fit(X, np.full(30, 2.0), epochs=1)
    assert constant.score(X, np.full(30, 2.0)) == 0.0  # ss_tot = 0 and imperfect predictions: 0, as r2_score
    constant.weights[0][...], constant.biases[0][...] = 0.0, 2.0  # predicts the constant exactly: 1, as r2_score
    assert constant.score(X, np.full(30, 2.0)) == 1.0 == r2_score(np.full(30, 2.0), constant.predict(X))
    # From an adversarial review: a NaN target made ss_tot NaN, and the score read 0.0 (r2_score refuses it)
    for bad in (np.nan, np.inf):
        with pytest.raises(ValueError, match=r"^y: expected finite targets; got NaN or infinity \(first in row 3\)$"):
            net.score(X, np.where(np.arange(30)[:, None] == 3, bad, Y))


def test_a_later_fit_on_one_hot_targets_keeps_the_class_labels(rng):
    X = rng.normal(size=(30, 3))
    net = dp.Network([3, 4, 3], seed=0)
    net.fit(X, np.array(["ant", "bee", "cow"])[np.arange(30) % 3], epochs=1)
    net.fit(X, np.eye(3)[np.arange(30) % 3], epochs=1)
    assert net.classes_.tolist() == ["ant", "bee", "cow"]


def test_nan_among_float_labels_is_refused(rng):
    with pytest.raises(ValueError, match="y: expected finite labels; got NaN or infinity"):
        dp.Network([3, 4, 3], seed=0).fit(rng.normal(size=(4, 3)), np.array([0.0, 1.0, np.nan, 2.0]), epochs=1)


def test_a_float32_cost_is_the_float64_mean_of_the_example_costs(rng):
    net = dp.Network([3, 4, 3], seed=0)
    X = rng.normal(size=(5000, 3)).astype(np.float32)
    T = net.encode_targets(np.arange(5000) % 3, remember=True)
    y = net.predict_output(X)
    costs = net.loss_function.cost(y, T).astype(np.float64)
    assert net.cost_of(y, T) == pytest.approx(math.fsum(costs) / len(costs), rel=1e-12)  # not float32's rounding


def test_astype_pickle_and_deepcopy_keep_the_parameters_views_of_one_buffer():
    import copy
    import pickle

    from deltaprop.network import joined

    net = dp.Network([3, 4, 2], seed=0)
    for other in (net.astype("float64"), pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        assert joined(other.parameters()) is not None


def test_poisson_literal_delta_of_an_underflowed_output_is_zero_not_nan():
    # y = e^z underflows to 0 (z = -104 in float32) with t = 5: dc/dy = 1 - t / y would overflow to -inf and
    # sigma'(z) (.) dc/dy = 0 * inf be NaN; the literal path loses the delta (0) as a saturated sigmoid's does,
    # and the fused y - t keeps it.
    net = dp.Network([1, 2], output="exp", seed=0, dtype="float32")
    net.weights[0][...], net.biases[0][...] = 0, [-104, 0]
    fp = net.forward(np.zeros((1, 1)))
    T = np.array([[5.0, 1.0]], dtype=np.float32)
    assert fp.output[0, 0] == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no overflow warning either)
        literal = net.output_delta(fp, T, fused=False)
    assert literal[0, 0] == 0 and np.isfinite(literal).all()
    assert net.output_delta(fp, T)[0, 0] == -5


def test_poisson_cost_of_large_counts_is_not_rounding_noise_in_float32():
    # e^z - t z + t log t - t cancels to about (y - t)^2 / t for counts of thousands: summed in float32 it was
    # noise of either sign (fit's history showed negative costs). Each example's cost is >= 0 and near float64's.
    rng = np.random.default_rng(0)
    t = rng.integers(2000, 4000, size=(200, 1)).astype(np.float64)
    z = np.log(t) + rng.normal(scale=1e-4, size=t.shape)
    loss = dp.losses.LOSSES["poisson"]
    exact = loss.logit_cost(z, t)
    c32 = loss.logit_cost(z.astype(np.float32), t.astype(np.float32))
    assert c32.dtype == np.float32 and (c32 >= 0).all()
    z32 = z.astype(np.float32).astype(np.float64)  # (the float32 z's own exact cost)
    np.testing.assert_allclose(c32, loss.logit_cost(z32, t), rtol=1e-6, atol=0)
    assert (exact >= 0).all()


def test_config_rebuilds_the_network_or_names_the_parts_of_ones_own():
    # Network(**config) rebuilds the architecture; an initialiser of one's own (config holds only its name)
    # is named by unregistered_parts, as an activation of one's own is. A model file still stores such a
    # network (the initialiser's work is in its weights).
    net = dp.Network([3, 4, 2], activation="tanh", l2=0.1, seed=0)
    assert dp.Network(**net.config()).config() == net.config() and net.unregistered_parts() == []

    def my_init(rng, n_out, n_in, dtype):
        return np.full((n_out, n_in), 0.01, dtype)

    own = dp.Network([3, 4, 2], init=my_init, seed=0)
    assert own.unregistered_parts() == ["the initialiser of layer 1 ('my_init')", "the initialiser of layer 2 ('my_init')"]
    assert own.unregistered_parts(initialisers=False) == []
    with pytest.raises(ValueError, match="init \\(layer 1\\): unknown initialiser 'my_init'"):
        dp.Network(**own.config())


def test_an_unknown_hidden_activation_lists_only_those_a_hidden_layer_takes():
    # From a review: the list named softmax, which a hidden layer then refuses
    with pytest.raises(ValueError, match=r"activation \(layer 1\): unknown activation 'sigmod'; expected one of \[") as info:
        dp.Network([2, 3, 2], activation="sigmod")
    assert "'sigmoid'" in str(info.value) and "softmax" not in str(info.value)
    with pytest.raises(ValueError, match=r"output: unknown activation 'sofmax'; expected one of .*'softmax'"):
        dp.Network([2, 3, 2], output="sofmax")


def test_fit_takes_every_class_label_for_data_that_lack_some():
    # From a regression review: labels 1..3 with class 3 absent from the training rows became classes [0, 1, 2]:
    # a class 0 that does not exist, and label 3 never learnable, with no word said
    X = np.random.default_rng(0).random((40, 4))
    y = np.array([1, 2] * 20)
    silent = dp.Network([4, 8, 3], seed=0)
    with pytest.warns(UserWarning, match=r"^y: the labels \[1, 2\] for N_L = 3 output units are taken as output indices "
                                         r"0..2, a class 0 without examples; if the classes are others \(1..3, say\), "
                                         r"give fit classes=\[...\]$"):
        silent.fit(X, y, epochs=1)
    assert silent.classes_.tolist() == [0, 1, 2]
    net = dp.Network([4, 8, 3], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.fit(X, y, epochs=2, classes=[3, 1, 2])
        dp.Network([4, 8, 3], seed=0).fit(X, np.array([0, 1] * 20), epochs=1)  # (0 among them: indices, no warning)
    assert net.classes_.tolist() == [1, 2, 3] and net.predict(X).dtype.kind == "i"
    net.fit(X, np.array([3] * 40), epochs=1)  # (a later fit: its labels among the classes)
    with pytest.raises(ValueError, match=r"^classes: the network's output units already have the classes \[1, 2, 3\]; "
                                         r"got \[0, 1, 2\]"):
        net.fit(X, y, epochs=1, classes=[0, 1, 2])
    for bad, words in [([1, 2], "expected 3 distinct labels"), ([1, 1, 2], "expected 3 distinct labels"),
                       ([[1, 2, 3]], "expected 3 distinct labels")]:
        with pytest.raises(ValueError, match=rf"^classes: {words} \(finite numbers, or text\), one per class of the N_L = 3 output units"):
            dp.Network([4, 8, 3], seed=0).fit(X, y, epochs=1, classes=bad)
    with pytest.raises(ValueError, match=r"^classes: names the classes of labels y of shape \(n,\); got y of shape \(40, 3\)"):
        dp.Network([4, 8, 3], seed=0).fit(X, np.eye(3)[y], epochs=1, classes=[1, 2, 3])
    binary = dp.Network([4, 8, 1], output="sigmoid", loss="binary_cross_entropy", seed=0)
    binary.fit(X, np.array(["no"] * 40), epochs=1, classes=["yes", "no"])
    assert binary.classes_.tolist() == ["no", "yes"]


def test_real_valued_targets_for_a_classifier_hint_at_the_quadratic_loss():
    X = np.random.default_rng(0).random((20, 4))
    with pytest.raises(ValueError, match=r"\(real-valued targets for a regression\? make the network with loss='quadratic'\)$"):
        dp.Network([4, 5, 1]).fit(X, X[:, 0], epochs=1)
    with pytest.raises(ValueError, match=r"for real-valued targets \(regression\) make the network with loss='quadratic'$"):
        dp.Network([4, 5, 2]).fit(X, X[:, :2], epochs=1)


def test_a_resumed_run_encodes_its_labels_with_the_classes_of_the_run_it_continues(tmp_path):
    # From a review: a run started with classes=[1, 2, 3] and resumed without them was encoded with the index
    # assumption (label k -> output k) while its classes_ became the checkpoint's: it learned shifted labels
    rng = np.random.default_rng(0)
    X = rng.random((200, 2))
    y = np.where(X[:, 0] > 0.5, 1, 2)
    dp.Network([2, 8, 3], seed=0).fit(X, y, epochs=1, classes=[1, 2, 3], checkpoint=tmp_path / "c.ckpt", learning_rate=0.5)
    net = dp.Network([2, 8, 3], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (nor the index warning: the checkpoint's classes are used)
        net.fit(X, y, epochs=30, resume=tmp_path / "c.ckpt", learning_rate=0.5)
    whole = dp.Network([2, 8, 3], seed=0)
    whole.fit(X, y, epochs=30, classes=[1, 2, 3], learning_rate=0.5)
    assert net.classes_.tolist() == [1, 2, 3]
    for p, q in zip(net.parameters(), whole.parameters()):
        np.testing.assert_array_equal(p, q)  # (as the run never interrupted)
    with pytest.raises(ValueError, match=r"^classes: the network's output units already have the classes \[1, 2, 3\]"):
        dp.Network([2, 8, 3], seed=0).fit(X, y, epochs=31, resume=tmp_path / "c.ckpt", classes=[0, 1, 2])


def test_fit_classes_are_checked_as_class_labels():
    X = np.random.default_rng(0).random((40, 4))
    y = np.array([1, 2] * 20)
    for bad in ([1.0, 2.0, np.nan], [1, None, 2]):
        with pytest.raises(ValueError, match=r"^classes: expected 3 distinct labels \(finite numbers, or text\)"):
            dp.Network([4, 8, 3], seed=0).fit(X, y, epochs=1, classes=bad)
    net = dp.Network([4, 8, 3], seed=0)
    net.fit(X, y, epochs=1, classes={3, 1, 2})  # (a set, as scikit-learn's partial_fit takes one)
    assert net.classes_.tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match=r"^classes: the network has one output unit with the quadratic loss, a regression"):
        dp.Network([4, 1], output="identity", loss="quadratic").fit(X, X[:, 0], epochs=1, classes=[0, 1])


def test_a_network_pickled_before_feature_names_were_kept_has_none():
    import pickle

    net = dp.Network([3, 2], seed=0)
    state = net.__dict__.copy()
    del state["feature_names_in_"], state["validation_seed"]
    old = dp.Network.__new__(dp.Network)
    old.__setstate__(state)
    assert old.feature_names_in_ is None and old.validation_seed is None
    assert pickle.loads(pickle.dumps(old)).feature_names_in_ is None


# ---------------------------------------------------------------------- from a review of extending the registries (session 21)


def _registries():
    from deltaprop.activations import ACTIVATIONS
    from deltaprop.initialisers import INITIALISERS
    from deltaprop.losses import LOSSES
    from deltaprop.optimisers import OPTIMISERS, SCHEDULES

    return [("ACTIVATIONS", ACTIVATIONS, "leaky_relu"), ("LOSSES", LOSSES, "quadratic"), ("INITIALISERS", INITIALISERS, "he_normal"),
            ("OPTIMISERS", OPTIMISERS, "adam"), ("SCHEDULES", SCHEDULES, "cosine")]


@pytest.mark.parametrize("title, registry, name", _registries())
def test_deltaprops_own_registry_entries_cannot_be_replaced_or_removed(title, registry, name):
    # Before: ACTIVATIONS["leaky_relu"] = Activation(...) (slope 0.2) trained through the compiled kernel's 0.01 while
    # forward, gradcheck and predict took 0.2, and a model file, which names only "leaky_relu", came back with 0.01
    # in the next process. deltaprop's entries stay; one of the user's goes under a name of its own.
    entry, other = registry[name], object()
    words = rf"^{title}\['{name}'\] is deltaprop's own entry, which model files and checkpoints store by its name .*" \
            rf"register yours under a new name: {title}\['my_{name}'\] = "
    for change in (lambda: registry.__setitem__(name, other), lambda: registry.update({name: other}),
                   lambda: registry.update(**{name: other}), lambda: registry.__ior__({name: other})):
        with pytest.raises(ValueError, match=words):
            change()
    for remove in (lambda: registry.__delitem__(name), lambda: registry.pop(name), lambda: registry.clear()):
        with pytest.raises(ValueError, match="cannot be removed"):
            remove()
    assert registry[name] is entry
    registry[name] = entry  # (the same object: nothing changes)
    registry.setdefault(name, other)
    assert registry[name] is entry
    # an entry added later may be replaced and removed (a notebook cell run again)
    registry["mine_added"] = other
    registry["mine_added"] = entry
    assert registry.pop("mine_added") is entry and "mine_added" not in registry


def test_the_leaky_relu_slope_is_a_constant_the_compiled_path_shares():
    # Before: activations.LEAKY_SLOPE = 0.2 changed forward/gradcheck/predict but not the fast path (a copy made at
    # import) nor a model file read back in another process
    import deltaprop.activations as activations

    with pytest.raises(AttributeError, match=r"LEAKY_SLOPE is a constant \(0.01\).*register an activation of your own "
                                             r"under a new name"):
        activations.LEAKY_SLOPE = 0.2
    activations.LEAKY_SLOPE = 0.01  # (its own value: nothing changes, as monkeypatch's undo does)
    assert activations.LEAKY_SLOPE == 0.01
    z = np.array([[-2.0, 3.0]])
    np.testing.assert_array_equal(activations.ACTIVATIONS["leaky_relu"](z), [[-0.02, 3.0]])


def test_a_misspelt_default_initialiser_of_an_activation_names_its_init_and_the_name_meant():
    # Before: "init (layer 1): unknown initialiser 'he_norm'", an argument the user never gave, and no did-you-mean
    from deltaprop.activations import Activation

    swish = Activation("swish", lambda z: z / (1 + np.exp(-z)), lambda z, a: a + (1 - a) / (1 + np.exp(-z)), init="he_norm")
    with pytest.raises(ValueError, match=r"^Activation 'swish' init \(the default initialiser of layer 1\): unknown "
                                         r"initialiser 'he_norm'; expected one of \[.*\]; did you mean 'he_normal'\?$"):
        dp.Network([4, 8, 2], activation=swish)
    with pytest.raises(ValueError, match=r"^init \(layer 2\): unknown initialiser 'glorot_unifrom'; .*did you mean "
                                         r"'glorot_uniform'\?$"):
        dp.Network([4, 8, 2], init=["he_normal", "glorot_unifrom"])


def test_the_oracle_refuses_an_activation_or_loss_it_has_no_formula_for():
    # Before: reference.cost gave binary cross-entropy for any loss it did not know
    import reference

    y, t, z = np.array([0.3, 0.6]), np.array([0.0, 1.0]), np.array([0.5, -1.0])
    for call in (lambda: reference.cost("huber", y, t), lambda: reference.grad_cost("huber", y, t),
                 lambda: reference.sigma("swish", z), lambda: reference.jacobian("swish", z)):
        with pytest.raises(KeyError, match="tests/reference.py has no formula for the (loss 'huber'|activation 'swish')"):
            call()


def test_the_poisson_losses_x_log_y_is_scipys_xlogy_and_importing_deltaprop_leaves_scipy_out():
    # From a performance review: scipy.special was imported for xlogy alone, a third of `import deltaprop`
    # (0.3 s of every CLI start); the loss's own x log y is SciPy's, dtype kept
    import subprocess
    import sys

    from scipy.special import xlogy

    from deltaprop.losses import _xlogy

    for dtype in (np.float32, np.float64):
        x = np.array([0, 0, 0, 1, 2.5, 3, 1e-30], dtype=dtype)
        y = np.array([0, 5, np.inf, 0.5, 2, 0, 1e30], dtype=dtype)
        got = _xlogy(x, y)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, xlogy(x, y).astype(dtype))
    # (a review: t as a list or a number, which the callables took before, raised AttributeError)
    poisson = dp.losses.LOSSES["poisson"].cost
    np.testing.assert_allclose(poisson(np.array([[1.0, 0.5]]), 2.0), poisson(np.array([[1.0, 0.5]]), np.full((1, 2), 2.0)))
    np.testing.assert_allclose(poisson(np.array([[1.0, 0.5]]), [[2.0, 0.0]]), [2.0 * np.log(2.0) - 2.0 + 1.5])
    code = "import sys, deltaprop, deltaprop.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
