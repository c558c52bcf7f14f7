"""fit: the lecture's gradient descent and its relatives, reproducibility, divergence, bad input."""

import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris

import deltaprop as dp
from deltaprop.fastpath import Workspace
from deltaprop.callbacks import Callback

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_T = np.array([[0], [1], [1], [0]], dtype=float)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


@pytest.mark.parametrize("seed", range(4))
def test_xor_is_learned_by_a_2_3_1_sigmoid_network_with_gd(seed):
    net = dp.Network([2, 3, 1], activation="sigmoid", output="sigmoid", loss="quadratic", seed=seed, dtype="float64")
    history = net.fit(XOR_X, XOR_T, optimiser="gd", learning_rate=2.0, epochs=5000)
    y = net.predict_output(XOR_X).ravel()
    assert np.all(np.abs(y - XOR_T.ravel()) < 0.1), y
    assert history.loss[-1] < history.loss[0] / 50


def test_gd_stops_when_theta_stops_changing():
    net = dp.Network([2, 3, 1], output="sigmoid", loss="quadratic", seed=0, dtype="float64")
    history = net.fit(XOR_X, XOR_T, optimiser="gd", learning_rate=1.0, epochs=100000, tol=1e-4)
    assert history.stop_reason.startswith("converged")
    assert history.epochs < 100000
    # one more step would change no parameter by more than tol
    g = net.backward(net.forward(XOR_X), XOR_T)
    assert max(np.max(np.abs(x)) for x in g.dW + g.db) * 1.0 <= 1e-4 * 1.5


def test_gd_step_is_theta_minus_eta_gradient():
    net = dp.Network([2, 3, 1], output="sigmoid", loss="quadratic", seed=0, dtype="float64")
    before = [p.copy() for p in net.parameters()]
    g = net.backward(net.forward(XOR_X), XOR_T)
    net.fit(XOR_X, XOR_T, optimiser="gd", learning_rate=0.3, epochs=1)
    grads = [x for dW, db in zip(g.dW, g.db) for x in (dW, db)]
    for p, p0, gr in zip(net.parameters(), before, grads):
        np.testing.assert_allclose(p, p0 - 0.3 * gr, rtol=1e-14)


@pytest.mark.parametrize("workspace", [True, False])
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_clip_norm_scales_a_long_gradient_to_that_length(fused, dtype, workspace, monkeypatch):
    if not workspace:  # the loop's own path (net._forward / _backward), as without Numba
        monkeypatch.setattr(dp.training.Workspace, "for_network", staticmethod(lambda *args, **kwargs: None))
    # one SGD step on the whole set: theta - eta * g * min(1, clip_norm / ||g||), ||g|| over every W^l and b^l
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)).astype(dtype), rng.integers(0, 3, 30)
    net = dp.Network([4, 6, 5, 3], ["tanh", "relu"], seed=0, dtype=dtype)
    g = net.backward(net.forward(X), net.encode_targets(y, remember=True))
    grads = [x for dW, db in zip(g.dW, g.db) for x in (dW, db)]
    norm = np.sqrt(sum(np.sum(x.astype(np.float64) ** 2) for x in grads))
    for clip_norm, scale in ((norm / 4, 0.25), (norm * 2, 1.0)):
        clipped = net.copy()
        clipped.fit(X, y, optimiser="sgd", momentum=0.0, learning_rate=0.5, epochs=1, batch_size=30, shuffle=False,
                    clip_norm=clip_norm, fused=fused)
        rtol = 1e-12 if dtype == "float64" else 1e-5
        for p, p0, gr in zip(clipped.parameters(), net.parameters(), grads):
            np.testing.assert_allclose(p, p0 - 0.5 * scale * gr, rtol=rtol, atol=rtol * 1e-2)
            assert p.dtype == np.dtype(dtype)


def test_clip_gradient_returns_the_norm_and_leaves_a_short_gradient_alone():
    from deltaprop.training import clip_gradient

    grads = [np.array([[3.0, 0.0]], dtype=np.float32), np.array([4.0], dtype=np.float32)]
    assert clip_gradient(grads, 10.0) == 5.0 and grads[0].tolist() == [[3.0, 0.0]] and grads[1].tolist() == [4.0]
    assert clip_gradient(grads, 1.0) == 5.0
    np.testing.assert_allclose(np.concatenate([g.ravel() for g in grads]), [0.6, 0.0, 0.8], rtol=1e-7)
    assert grads[0].dtype == np.float32


@pytest.mark.parametrize("optimiser", ["sgd", "adam"])
def test_same_seed_gives_the_same_parameters_bit_for_bit(optimiser, digits):
    X, y = digits
    runs = []
    for _ in range(2):
        net = dp.Network([64, 32, 10], activation="relu", dropout=0.2, seed=3)
        net.fit(X[:600], y[:600], optimiser=optimiser, epochs=3, batch_size=50, validation_fraction=0.1)
        runs.append(net.parameters())
    for p, q in zip(*runs):
        np.testing.assert_array_equal(p, q)
    other = dp.Network([64, 32, 10], activation="relu", dropout=0.2, seed=4)
    other.fit(X[:600], y[:600], optimiser=optimiser, epochs=3, batch_size=50, validation_fraction=0.1)
    assert not np.array_equal(other.weights[0], runs[0][0])


def test_fit_passes_each_optimiser_its_options_and_its_default_learning_rate(digits):
    X, y = digits
    for name, options, expected in [
        ("sgd", dict(momentum=0.5, nesterov=True), dp.SGD(momentum=0.5, nesterov=True)),
        ("adam", dict(beta_1=0.8, beta_2=0.99, epsilon=1e-6), dp.Adam(0.8, 0.99, 1e-6)),
        ("adamw", dict(beta_1=0.8, epsilon=1e-6, weight_decay=0.5), dp.AdamW(beta_1=0.8, epsilon=1e-6, weight_decay=0.5)),
        ("rmsprop", dict(epsilon=1e-6), dp.RMSprop(epsilon=1e-6)),
    ]:
        history = dp.Network([64, 8, 10], seed=0).fit(X[:100], y[:100], optimiser=name, epochs=1, **options)
        assert history.optimiser_state.optimiser == expected
        assert history.learning_rate == [expected.learning_rate]
    assert (dp.AdamW.learning_rate, dp.RMSprop.learning_rate, dp.SGD.learning_rate) == (0.001, 0.001, 0.01)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fit_keeps_the_dtype(dtype, digits):
    X, y = digits
    net = dp.Network([64, 16, 10], seed=0, dtype=dtype)
    net.fit(X[:200].astype(dtype), y[:200], epochs=1)
    assert all(p.dtype == np.dtype(dtype) for p in net.parameters())
    assert net.predict_proba(X[:3]).dtype == np.dtype(dtype)


@pytest.mark.parametrize(
    "optimiser, options",
    [
        ("sgd", dict(learning_rate=0.1, momentum=0.9, epochs=15)),
        ("sgd", dict(learning_rate=0.1, momentum=0.9, nesterov=True, epochs=15)),
        ("adam", dict(learning_rate=0.01, epochs=15)),
        ("adam", dict(learning_rate=0.01, epochs=15, schedule="cosine")),
        ("adamw", dict(learning_rate=0.01, epochs=15)),
        ("rmsprop", dict(learning_rate=0.003, epochs=15)),
        ("lbfgs", dict(epochs=100)),
        ("gd", dict(learning_rate=1.0, epochs=300)),
    ],
)
def test_every_optimiser_learns_digits(optimiser, options, digits):
    X, y = digits
    net = dp.Network([64, 32, 10], activation="tanh", seed=0, dtype="float64" if optimiser == "lbfgs" else "float32")
    history = net.fit(X[:1200], y[:1200], optimiser=optimiser, batch_size=32, **options)
    assert history.loss[-1] < history.loss[0]
    assert net.score(X[1200:], y[1200:]) > 0.9, (optimiser, history.stop_reason)
    assert history.accuracy and len(history.accuracy) == history.epochs


def test_history_records_validation_and_learning_rate(digits):
    X, y = digits
    net = dp.Network([64, 16, 10], seed=0)
    h = net.fit(X[:500], y[:500], epochs=4, schedule="step", validation_data=(X[500:700], y[500:700]))
    assert h.epochs == 4 and len(h.val_loss) == 4 and len(h.val_accuracy) == 4 and len(h.time) == 4
    assert h.val_accuracy[-1] == pytest.approx(net.score(X[500:700], y[500:700]))
    assert h.learning_rate == [0.001] * 4  # step decay halves every 10 epochs
    assert net.history is h


def test_callbacks_see_each_epoch_and_can_stop(digits):
    X, y = digits

    class Recorder(Callback):
        def __init__(self):
            self.events = []

        def on_train_begin(self, run):
            self.events.append("begin")

        def on_epoch_end(self, run, epoch, logs):
            self.events.append(("epoch", epoch, round(logs["loss"], 6)))
            if epoch == 2:
                run.stop, run.stop_reason = True, "enough"

        def on_train_end(self, run):
            self.events.append("end")

    rec = Recorder()
    h = dp.Network([64, 8, 10], seed=0).fit(X[:300], y[:300], epochs=10, callbacks=[rec])
    assert rec.events[0] == "begin" and rec.events[-1] == "end"
    assert [e[1] for e in rec.events[1:-1]] == [0, 1, 2]
    assert h.epochs == 3 and h.stop_reason == "enough"


def test_class_labels_of_any_type_and_predict_proba():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    net = dp.Network([4, 8, 3], activation="tanh", seed=0)
    net.fit(X, names, optimiser="adam", learning_rate=0.05, epochs=60, batch_size=16)
    assert list(net.classes_) == ["setosa", "versicolor", "virginica"]
    assert set(net.predict(X)) <= set(names)
    assert net.score(X, names) > 0.9
    p = net.predict_proba(X)
    assert p.shape == (150, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)


def test_binary_and_multilabel_with_sigmoid_outputs(rng):
    X = rng.normal(size=(300, 2))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    net = dp.Network([2, 4, 1], seed=0)
    net.fit(X, y, learning_rate=0.05, epochs=40, batch_size=20)
    assert list(net.classes_) == ["no", "yes"] and net.score(X, y) > 0.95
    assert net.predict_proba(X).shape == (300, 2)
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0], axis=1).astype(int)  # two independent labels
    multi = dp.Network([2, 8, 2], output="sigmoid", seed=0)
    multi.fit(X, Y, learning_rate=0.05, epochs=60, batch_size=20)
    assert multi.multilabel_ and multi.predict(X).shape == (300, 2)
    assert multi.score(X, Y) > 0.9


def test_regression_with_quadratic_loss(rng):
    X = rng.uniform(-1, 1, size=(400, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    net = dp.Network([3, 16, 1], activation="tanh", loss="quadratic", seed=0, dtype="float64")
    net.fit(X, y, learning_rate=0.01, epochs=100, batch_size=20)
    assert net.predict(X).shape == (400, 1)
    assert net.score(X, y) > 0.98


def test_divergence_stops_with_the_epoch_and_keeps_finite_parameters(rng):
    X = rng.normal(size=(100, 3)) * 100
    y = rng.normal(size=100) * 1e6
    net = dp.Network([3, 8, 1], activation="relu", loss="quadratic", seed=0)
    with pytest.raises(dp.DivergenceError, match=r"epoch \d+.*smaller learning rate"):
        net.fit(X, y, optimiser="sgd", learning_rate=10.0, momentum=0.0, epochs=50, batch_size=10)
    assert all(np.isfinite(p).all() for p in net.parameters())
    assert net.history.stop_reason == "diverged"


def test_lbfgs_reaches_the_gradient_tolerance_on_xor():
    net = dp.Network([2, 3, 1], output="sigmoid", loss="quadratic", seed=1, dtype="float64")
    history = net.fit(XOR_X, XOR_T, optimiser="lbfgs", epochs=500, tol=1e-10)
    assert history.loss[-1] < 1e-3
    assert "L-BFGS" in history.stop_reason


BAD_FITS = [
    (dict(X=np.ones((5, 3)), y=np.arange(5)), "X", ValueError),  # 3 features for N_0 = 4
    (dict(X=np.ones(4), y=np.arange(1)), "X", ValueError),  # 1-D X
    (dict(X=np.full((4, 4), np.nan), y=np.arange(4) % 2), "X", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(5) % 2), "y", ValueError),
    (dict(X=np.ones((0, 4)), y=np.arange(0)), "X", ValueError),
    (dict(X=np.array([["a"] * 4] * 4), y=np.arange(4) % 2), "X", TypeError),
    (dict(X=np.ones((6, 4)), y=np.arange(6)), "classes", ValueError),  # 6 classes, 3 outputs
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, learning_rate=0.0), "learning_rate", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, learning_rate=-1), "learning_rate", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, epochs=0), "epochs", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, batch_size=0), "batch_size", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, optimiser="nadam"), "optimiser", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, validation_fraction=1.5), "validation_fraction", ValueError),
    (dict(X=np.ones((4, 4)), y=np.array([0, 1, np.nan, 2])), "y", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, optimiser="lbfgs", checkpoint="run.ckpt"), "checkpoint", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, optimiser="lbfgs", resume="run.ckpt"), "resume", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, checkpoint="no-such-directory/run.ckpt"), "checkpoint", FileNotFoundError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, clip_norm=0), "clip_norm: expected a finite number > 0; got 0", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, clip_norm=float("inf")), "clip_norm: expected a finite number > 0; got inf", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, clip_norm="1"), "clip_norm: expected a finite number > 0; got '1'", ValueError),
    (dict(X=np.ones((4, 4)), y=np.arange(4) % 3, optimiser="lbfgs", clip_norm=1.0), "clip_norm: 'lbfgs' chooses its own step", ValueError),
]


@pytest.mark.parametrize("kwargs, word, error", BAD_FITS)
def test_bad_fit_input_is_named_and_changes_nothing(kwargs, word, error):
    net = dp.Network([4, 5, 3], seed=0)
    before = [p.copy() for p in net.parameters()]
    kwargs = dict(kwargs)
    X, y = kwargs.pop("X"), kwargs.pop("y")
    with pytest.raises(error) as info:
        net.fit(X, y, **kwargs)
    assert word in str(info.value)
    for p, q in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(sizes=[4]), "sizes"),
        (dict(sizes=[4, 0, 2]), "sizes"),
        (dict(sizes=[4, 2.5, 2]), "sizes"),
        (dict(sizes=[4, 3, 2], activation="swish"), "activation"),
        (dict(sizes=[4, 3, 2], activation="softmax"), "activation (layer 1)"),
        (dict(sizes=[4, 3, 3, 2], activation=["relu"]), "activation"),
        (dict(sizes=[4, 3, 2], loss="hinge"), "loss"),
        (dict(sizes=[4, 3, 2], output="sigmoid", loss="cross_entropy"), "loss"),
        (dict(sizes=[4, 3, 2], output="softmax", loss="binary_cross_entropy"), "loss"),
        (dict(sizes=[4, 3, 1], output="softmax"), "softmax"),
        (dict(sizes=[4, 3, 2], dropout=1.0), "dropout"),
        (dict(sizes=[4, 3, 2], l2=-1), "l2"),
        (dict(sizes=[4, 3, 2], dtype="int32"), "dtype"),
        (dict(sizes=[4, 3, 2], init="zeros"), "init"),
    ],
)
def test_bad_network_arguments_are_named(kwargs, word):
    with pytest.raises(ValueError) as info:
        dp.Network(**kwargs)
    assert word in str(info.value)


def test_unknown_labels_at_predict_time_are_refused(digits):
    X, y = digits
    net = dp.Network([64, 8, 10], seed=0)
    net.fit(X[:100], y[:100], epochs=1)
    with pytest.raises(ValueError, match="not among the classes"):
        net.encode_targets(np.array([11]))


def test_demo_reaches_the_promised_accuracy():
    from deltaprop import demo

    assert demo.run(verbose=False) >= demo.REQUIRED_ACCURACY


def test_a_batch_whose_weights_are_all_zero_is_fine(rng):
    X = rng.normal(size=(30, 3))
    y = np.arange(30) % 2
    w = np.ones(30)
    w[:10] = 0  # the whole first batch
    net = dp.Network([3, 4, 2], seed=0, dtype="float64")
    history = net.fit(X, y, batch_size=10, shuffle=False, sample_weight=w, epochs=2)
    assert np.isfinite(history.loss).all() and history.epochs == 2
    # the all-zero batch contributes nothing: its examples' labels do not matter
    flipped = dp.Network([3, 4, 2], seed=0, dtype="float64")
    flipped.fit(X, np.where(np.arange(30) < 10, 1 - y, y), batch_size=10, shuffle=False, sample_weight=w, epochs=2)
    for p, q in zip(net.parameters(), flipped.parameters()):
        np.testing.assert_array_equal(p, q)


def test_the_lectures_quadratic_cost_on_class_labels_is_a_classifier(digits):
    X, y = digits
    net = dp.Network([64, 32, 10], activation="sigmoid", output="sigmoid", loss="quadratic", seed=0)
    history = net.fit(X[:1200], y[:1200], learning_rate=0.01, epochs=15, batch_size=32)
    assert net.is_classifier and list(net.classes_) == list(range(10))
    assert net.predict(X[:5]).shape == (5,)  # labels, not the 10 outputs
    assert history.accuracy and net.score(X[1200:], y[1200:]) > 0.9
    with pytest.raises(ValueError, match="predict_proba: needs a classification loss"):
        net.predict_proba(X[:5])  # sigmoid outputs trained on a quadratic cost are not probabilities
    # the same network fitted on real-valued targets afterwards is a regressor again
    net.fit(X[:100], np.tile(X[:100, :1], (1, 10)), epochs=1)
    assert not net.is_classifier and net.predict(X[:5]).shape == (5, 10)


def test_an_update_that_overflows_at_the_end_of_an_epoch_is_caught(tmp_path, rng):
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20) * 1000
    net = dp.Network([3, 4, 1], activation="tanh", loss="quadratic", seed=0, dtype="float64")
    ck = tmp_path / "run.ckpt"
    net.fit(X, y, optimiser="sgd", momentum=0.0, learning_rate=1e-3, epochs=1, batch_size=20, checkpoint=ck)
    good = [p.copy() for p in net.parameters()]
    saved = ck.read_bytes()
    with pytest.raises(dp.DivergenceError, match="epoch 1"):
        # one full-batch step per epoch: the loss before it is finite, eta * gradient (> 1e308) is not
        net.fit(X, y, optimiser="sgd", momentum=0.0, learning_rate=1e307, epochs=3, batch_size=20, checkpoint=ck)
    for p, q in zip(net.parameters(), good):
        np.testing.assert_array_equal(p, q)
    assert ck.read_bytes() == saved  # the last good checkpoint stays


def test_a_refused_fit_changes_neither_parameters_nor_classes(tmp_path, rng):
    X = rng.normal(size=(30, 3))
    net = dp.Network([3, 4, 3], seed=0, dtype="float64")
    net.fit(X, np.arange(30) % 3, epochs=1, checkpoint=tmp_path / "adam.ckpt")
    before = [p.copy() for p in net.parameters()]
    rng_state = net.rng.bit_generator.state
    labels = np.arange(30) % 3
    letters = np.array(["a", "b", "c"])[labels]
    with pytest.raises(ValueError, match="validation_data: expected 30 labels"):
        net.fit(X, labels, validation_data=(X, labels[:7]))
    with pytest.raises(ValueError, match="resume: the checkpoint was trained with optimiser 'adam'; got 'sgd'"):
        net.fit(X, labels, optimiser="sgd", resume=tmp_path / "adam.ckpt", validation_fraction=0.2)
    with pytest.raises(ValueError, match="y: expected 30 labels"):
        net.fit(X, 3)
    with pytest.raises(ValueError, match=r"y: labels \['a', 'b', 'c'\] are not among the classes \[0, 1, 2\]"):
        net.fit(X, letters)  # a trained network keeps its output units' classes
    assert list(net.classes_) == [0, 1, 2]
    fresh = dp.Network([3, 4, 3], seed=0)
    with pytest.raises(ValueError, match="validation_data: expected 30 labels"):
        fresh.fit(X, letters, validation_data=(X, letters[:7]))
    assert fresh.classes_ is None  # set by the refused fit's setup, then put back
    assert net.rng.bit_generator.state == rng_state
    for p, q in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, q)
    with pytest.raises(ValueError, match=r"y: expected 30 labels or targets, one per row of X; got shape \(5,\)"):
        net.score(X, np.arange(5))


def test_accuracy_of_an_epoch_stopped_early_counts_the_examples_seen(rng):
    X = rng.normal(size=(100, 3))
    y = (X[:, 0] > 0).astype(int)

    class StopAfterFirstBatch(dp.Callback):
        def on_batch_end(self, run, batch, loss):
            run.stop = True

    net = dp.Network([3, 4, 2], seed=0)
    history = net.fit(X, y, batch_size=10, shuffle=False, epochs=3, callbacks=[StopAfterFirstBatch()])
    expected = np.mean(net.predict(X[:10]) == y[:10])  # one tiny step later the predictions barely move
    assert history.accuracy[0] <= 1.0 and history.accuracy[0] >= 0.1
    assert abs(history.accuracy[0] - expected) <= 0.2


def test_the_validation_split_renormalises_the_training_weights():
    # C = sum w c / sum w over the examples trained on: their weights have mean 1 after the split.
    from deltaprop.training import _split_validation

    X = np.arange(20.0)[:, None]
    w = np.tile([0.2, 1.8], 10)  # mean 1 over all 20 examples
    for seed in range(5):
        X_train, _, w_train, (X_val, _), w_val = _split_validation(X, X, w, 0.3, np.random.default_rng(seed))
        for part, weights in ((X_train, w_train), (X_val, w_val)):  # the held-out examples keep theirs too
            rows = part[:, 0].astype(int)
            np.testing.assert_allclose(weights.mean(), 1.0)
            np.testing.assert_allclose(weights / weights[0], w[rows] / w[rows[0]])  # the same proportions
        assert len(w_train) == 14 and len(X_val) == 6 and len(w_val) == 6
    held_out = np.random.default_rng(1).permutation(20)[0]  # the split's first draw goes to validation
    only_held_out = np.where(np.arange(20) == held_out, 20.0, 0.0)
    with pytest.raises(ValueError, match="sample_weight: every example left for training"):
        _split_validation(X, X, only_held_out, 0.3, np.random.default_rng(1))


def test_lbfgs_refuses_dropout_and_takes_the_fused_setting(monkeypatch):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=r"optimiser: 'lbfgs' needs a cost .* \(dropout=\[0.5\]\)"):
        dp.Network([4, 8, 3], dropout=0.5).fit(X, y, optimiser="lbfgs", epochs=3)
    seen = []
    step = Workspace.step
    monkeypatch.setattr(Workspace, "step", lambda self, *a, **k: seen.append(self.fused) or step(self, *a, **k))
    dp.Network([4, 8, 3], seed=0).fit(X, y, optimiser="lbfgs", epochs=3, fused=False)
    assert seen and not any(seen)  # the literal delta^L = sigma'(z^L) (.) nabla C(y) on every evaluation


def test_ctrl_c_stops_lbfgs_after_the_current_iteration(rng):
    import os
    import signal

    class PressCtrlC(Callback):
        def on_epoch_end(self, run, epoch, logs):
            if epoch == 1:
                os.kill(os.getpid(), signal.SIGINT)

    X = rng.normal(size=(60, 3))
    history = dp.Network([3, 6, 3], seed=0, dtype="float64").fit(X, np.arange(60) % 3, optimiser="lbfgs", epochs=50, callbacks=[PressCtrlC()])
    assert history.epochs == 2 and history.stop_reason == "interrupted after iteration 2"


def test_a_callback_refusing_the_run_leaves_the_random_state_for_the_next_fit(rng):
    from deltaprop.callbacks import ReduceLROnPlateau

    X, y = rng.normal(size=(50, 4)), rng.integers(0, 3, 50)
    net = dp.Network([4, 6, 3], seed=0)
    with pytest.raises(ValueError, match="ReduceLROnPlateau: the optimiser has no learning rate"):
        net.fit(X, y, epochs=2, validation_fraction=0.2, optimiser="lbfgs", callbacks=[ReduceLROnPlateau()])
    assert net.history is None and net.classes_ is None
    net.fit(X, y, epochs=2, validation_fraction=0.2)
    fresh = dp.Network([4, 6, 3], seed=0)
    fresh.fit(X, y, epochs=2, validation_fraction=0.2)
    for p, q in zip(net.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(p, q)


def test_continued_training_keeps_the_classes_of_the_output_units(rng):
    X, y = rng.normal(size=(60, 4)), rng.integers(1, 4, 60)  # labels 1, 2, 3
    net = dp.Network([4, 8, 3], seed=0, dtype="float64")
    net.fit(X, y, epochs=50, batch_size=10, learning_rate=0.05)
    before = net.predict(X)
    some = y != 3
    net.fit(X[some], y[some], epochs=1, learning_rate=1e-12)  # only labels 1 and 2 this time
    assert list(net.classes_) == [1, 2, 3]
    np.testing.assert_array_equal(net.predict(X), before)


def test_callbacks_that_are_not_callback_objects_are_refused_by_position(rng):
    X, y = rng.normal(size=(20, 3)), np.arange(20) % 2
    net = dp.Network([3, 2], seed=0)
    with pytest.raises(TypeError, match=r"callbacks\[0\]: expected a callback object; got the class EarlyStopping \(make one: EarlyStopping\(...\)\)"):
        net.fit(X, y, epochs=1, callbacks=[dp.EarlyStopping])
    for wrong, words in (("early_stopping", "str 'early_stopping'"), (object(), "object <object object")):
        with pytest.raises(TypeError, match=rf"callbacks\[1\]: expected an object with any of the methods on_train_begin, .*; got {words}"):
            net.fit(X, y, epochs=1, callbacks=[dp.EarlyStopping(monitor="loss"), wrong])
    assert net.history is None or len(net.history.loss) == 0


def test_labels_of_another_length_than_X_are_counted_in_the_message(rng):
    net = dp.Network([3, 2], seed=0)
    with pytest.raises(ValueError, match=r"^y: expected 30 labels or targets, one per row of X; got 29$"):
        net.fit(rng.normal(size=(30, 3)), np.zeros(29, dtype=int), epochs=1)
    with pytest.raises(ValueError, match=r"^y: expected 30 labels or targets, one per row of X; got a scalar$"):
        net.fit(rng.normal(size=(30, 3)), 1, epochs=1)


def test_val_loss_weighs_the_validation_examples_by_their_sample_weights():
    # Before: val_loss weighed every held-out example alike, though loss weighs them (and scikit-learn's score does)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.integers(0, 2, 60)
    w = rng.uniform(0.1, 3.0, 60)
    Xv, yv, wv = X[:20], y[:20], w[:20]
    net = dp.Network([3, 4, 2], seed=0, dtype="float64")
    history = net.fit(X[20:], y[20:], epochs=2, validation_data=(Xv, yv, wv))
    assert history.val_loss[-1] == pytest.approx(net.loss(Xv, net.encode_targets(yv), sample_weight=wv), rel=1e-12)
    assert history.val_loss[-1] != pytest.approx(net.loss(Xv, net.encode_targets(yv)), rel=1e-6)
    held_out = {}

    class HeldOut(dp.Callback):
        def on_train_begin(self, run):
            held_out["X"], held_out["T"] = run.val_data

    net = dp.Network([3, 4, 2], seed=0, dtype="float64")  # the held-out part of sample_weight, with validation_fraction
    history = net.fit(X, y, epochs=1, sample_weight=w, validation_fraction=0.25, callbacks=[HeldOut()])
    rows = [int(np.flatnonzero((X == x).all(axis=1))[0]) for x in held_out["X"]]
    assert len(rows) == 15
    assert history.val_loss[-1] == pytest.approx(net.loss(held_out["X"], held_out["T"], sample_weight=w[rows]), rel=1e-12)
    with pytest.raises(ValueError, match=r"^validation_data \(sample_weight_val\): expected shape \(20,\); got \(3,\)$"):
        dp.Network([3, 4, 2], seed=0).fit(X, y, epochs=1, validation_data=(Xv, yv, wv[:3]))
    with pytest.raises(TypeError, match=r"^validation_data \(sample_weight_val\): expected numbers"):
        dp.Network([3, 4, 2], seed=0).fit(X, y, epochs=1, validation_data=(Xv, yv, ["a"] * 20))
    with pytest.raises(ValueError, match=r"^validation_data: expected a pair \(X_val, y_val\) or a triple"):
        dp.Network([3, 4, 2], seed=0).fit(X, y, epochs=1, validation_data=(Xv, yv, wv, wv))
    with pytest.raises(ValueError, match=r"^validation_data \(y_val\): labels \[2, 3\] are not among the classes \[0, 1\] "
                                         r"this network"):  # before: "y: ...", the training labels' name
        dp.Network([3, 4, 2], seed=0).fit(X, y, epochs=1, validation_data=(Xv, yv + np.arange(20) % 3))


def test_a_validation_split_whose_held_out_weights_are_all_0_is_refused():
    from deltaprop.training import _split_validation

    X = np.arange(4.0)[:, None]
    messages = set()
    for seed in range(20):  # the one example held out is the one of weight 0 for some seeds, and then:
        try:
            _split_validation(X, X, np.array([1.0, 1.0, 1.0, 0.0]), 0.25, np.random.default_rng(seed))
        except ValueError as exc:
            messages.add(str(exc))
    assert messages == {"sample_weight: every example held out for validation by validation_fraction=0.25 has weight 0; "
                        "expected a positive weight among them"}


class HeldOut(Callback):
    """Records the validation examples of each fit."""

    def __init__(self):
        self.seen = []

    def on_train_begin(self, run):
        self.seen.append(run.val_data[0].copy())


def test_later_fits_hold_out_the_same_validation_examples(rng):
    # Before: each fit drew a new split, so continued training trained on the last fit's validation examples
    # (val_accuracy on random labels climbed from 0.5 to 0.97 over five fits)
    X, y = rng.normal(size=(200, 10)), rng.integers(0, 2, 200)
    net, held = dp.Network([10, 16, 2], seed=0), HeldOut()
    for _ in range(3):
        net.fit(X, y, epochs=1, validation_fraction=0.3, callbacks=[held])
    assert net.validation_seed is not None
    np.testing.assert_array_equal(held.seen[0], held.seen[1])
    np.testing.assert_array_equal(held.seen[0], held.seen[2])
    other = HeldOut()
    dp.Network([10, 16, 2], seed=1).fit(X, y, epochs=1, validation_fraction=0.3, callbacks=[other])
    assert not np.array_equal(other.seen[0], held.seen[0])  # another network: its own split
    copy = net.copy()
    copy.fit(X, y, epochs=1, validation_fraction=0.3, callbacks=[held])
    np.testing.assert_array_equal(held.seen[3], held.seen[0])


def test_gd_with_clip_norm_converges_on_the_unclipped_step(rng):
    # Before: the tol test saw the clipped step, so gd "converged" at once when eta * clip_norm <= tol
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 2, 30)
    history = dp.Network([3, 4, 2], seed=0).fit(X, y, optimiser="gd", epochs=20, clip_norm=1e-6)
    assert history.epochs == 20 and not history.stop_reason.startswith("converged")



# Cases a mutation audit found unguarded (each test fails with the mutant it names).


def test_the_validation_split_rounds_and_leaves_both_parts_some_examples(rng):
    X, y = rng.normal(size=(10, 3)), np.arange(10) % 2
    held = HeldOut()
    dp.Network([3, 2], seed=0).fit(X, y, epochs=1, validation_fraction=0.27, callbacks=[held])
    assert len(held.seen[0]) == 3  # 2.7 examples round to 3
    with pytest.raises(ValueError, match="validation_fraction: 0.99 of 10 examples leaves an empty training or validation set"):
        dp.Network([3, 2], seed=0).fit(X, y, epochs=1, validation_fraction=0.99)


def test_shuffle_false_takes_the_batches_in_data_order(rng):
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    nets = [dp.Network([3, 4, 2], seed=0, dtype="float64") for _ in range(2)]
    nets[1].rng.random(5)  # another random state: it must not matter without shuffling
    for net in nets:
        net.fit(X, y, epochs=2, batch_size=10, shuffle=False, optimiser="sgd", momentum=0.0, learning_rate=0.1)
    manual = dp.Network([3, 4, 2], seed=0, dtype="float64")
    T = manual.encode_targets(y, remember=True)
    for _ in range(2):
        for lo in range(0, 40, 10):
            manual.fit(X[lo:lo + 10], T[lo:lo + 10], epochs=1, batch_size=10, optimiser="sgd", momentum=0.0, learning_rate=0.1)
    for p, q, r in zip(nets[0].parameters(), nets[1].parameters(), manual.parameters()):
        np.testing.assert_array_equal(p, q)
        np.testing.assert_allclose(p, r, rtol=1e-12)


def test_gd_defaults_to_1000_full_batch_steps_and_tol_1e_6(rng):
    X, y = rng.normal(size=(12, 3)), np.arange(12) % 2
    history = dp.Network([3, 2], seed=0).fit(X, y, optimiser="gd", learning_rate=1e-3, batch_size=5, tol=0.0)
    assert history.epochs == 1000 and history.optimiser_state.step == 1000  # one step an epoch, whatever batch_size
    line = dp.Network([3, 1], output="identity", loss="quadratic", seed=0, dtype="float64")
    history = line.fit(X, X @ [1.0, -2.0, 0.5], optimiser="gd", learning_rate=0.5, epochs=100000)
    assert history.stop_reason == "converged: no parameter changed by more than tol=1e-06" and history.epochs < 1000


def test_a_schedule_that_fails_later_is_refused_before_any_step(rng):
    X, y = rng.normal(size=(12, 3)), np.arange(12) % 2
    net = dp.Network([3, 2], seed=0)
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match="epoch 3"):
        net.fit(X, y, epochs=5, schedule=lambda eta0, epoch, n: eta0 if epoch < 2 else float("nan"))
    assert all(np.array_equal(p, q) for p, q in zip(before, net.parameters()))


def test_a_run_diverging_in_its_first_epoch_keeps_the_initial_parameters(rng):
    X = rng.normal(size=(100, 3)) * 100
    y = rng.normal(size=100) * 1e6
    net = dp.Network([3, 8, 1], activation="relu", loss="quadratic", seed=0)
    initial = [p.copy() for p in net.parameters()]
    with pytest.raises(dp.DivergenceError, match="epoch 1"):
        net.fit(X, y, optimiser="sgd", learning_rate=1e6, momentum=0.0, epochs=5, batch_size=10)
    assert all(np.array_equal(p, q) for p, q in zip(initial, net.parameters()))


def test_another_networks_optimiser_state_is_refused(rng):
    X, y = rng.normal(size=(12, 3)), np.arange(12) % 2
    state = dp.Network([3, 5, 2], seed=0).fit(X, y, epochs=1).optimiser_state
    with pytest.raises(ValueError, match="optimiser_state: expected the state of this network's optimiser"):
        dp.Network([3, 4, 2], seed=0).fit(X, y, epochs=1, optimiser_state=state)


def test_optimiser_state_continues_its_own_optimiser_or_is_refused(digits):
    X, y = digits[0][:200], digits[1][:200]
    state = dp.Network([64, 8, 10], seed=0).fit(X, y, optimiser="adamw", weight_decay=0.5, epochs=2).optimiser_state
    # another optimiser is refused, also where its arrays have the same shapes (adam and adamw keep m and v)
    for other in ("adam", "sgd", dp.Adam()):
        with pytest.raises(ValueError, match=r"optimiser_state: it is the state of optimiser 'adamw' \(AdamW\); got optimiser="):
            dp.Network([64, 8, 10], seed=0).fit(X, y, optimiser=other, epochs=1, optimiser_state=state)
    # left out: the state's optimiser with its settings; named: its settings but those given
    kept = dp.Network([64, 8, 10], seed=0).fit(X, y, epochs=1, optimiser_state=state).optimiser_state
    assert kept.optimiser == dp.AdamW(weight_decay=0.5) and kept.step == state.step + 1  # (one batch of 200 an epoch)
    changed = dp.Network([64, 8, 10], seed=0).fit(X, y, optimiser="adamw", beta_1=0.5, epochs=1, optimiser_state=state)
    assert changed.optimiser_state.optimiser == dp.AdamW(beta_1=0.5, weight_decay=0.5)


def test_optimiser_state_carries_the_base_learning_rate_a_callback_cut(digits):
    X, y = digits[0][:200], digits[1][:200]
    net = dp.Network([64, 8, 10], seed=0)
    cut = net.fit(X, y, optimiser="sgd", learning_rate=0.1, epochs=4,
                  callbacks=[dp.callbacks.ReduceLROnPlateau(factor=0.1, patience=1, monitor="accuracy", mode="min")])
    assert cut.learning_rate[-1] < 0.1 and cut.optimiser_state.learning_rate == pytest.approx(cut.learning_rate[-1] * 0.1)
    continued = net.fit(X, y, epochs=1, optimiser_state=cut.optimiser_state)  # (as Keras's second fit, PyTorch's lr in the state)
    assert continued.learning_rate == [cut.optimiser_state.learning_rate]
    assert net.fit(X, y, epochs=1, learning_rate=0.05, optimiser_state=continued.optimiser_state).learning_rate == [0.05]


def test_tol_is_refused_where_no_optimiser_reads_it_and_lbfgs_has_no_learning_rate(digits):
    X, y = digits[0][:100], digits[1][:100]
    net = dp.Network([64, 8, 10], seed=0)
    for name in ("adam", "sgd", "rmsprop"):
        with pytest.raises(ValueError, match=rf"tol: only the whole-set optimisers \(gd, lbfgs\) stop on tol; got tol=0.1 with optimiser '{name}'"):
            net.fit(X, y, optimiser=name, tol=0.1, epochs=1)
    for argument, value in (("learning_rate", 0.3), ("schedule", "cosine")):
        with pytest.raises(ValueError, match=rf"{argument}: 'lbfgs' chooses its own step length .* Leave {argument} out"):
            net.fit(X, y, optimiser="lbfgs", epochs=1, **{argument: value})
    net.fit(X, y, optimiser="lbfgs", epochs=1, tol=1e-3, schedule="constant")  # (what the refusals leave possible)
    net.fit(X, y, optimiser="gd", epochs=1, tol=1e-3)


def test_a_huge_number_of_epochs_starts_at_once_and_a_decay_to_zero_is_still_refused_first(digits):
    import time

    X, y = digits[0][:50], digits[1][:50]
    net = dp.Network([64, 8, 10], seed=0)
    start = time.perf_counter()
    history = net.fit(X, y, epochs=10**22, callbacks=[dp.callbacks.EarlyStopping(patience=1, monitor="loss", mode="max")])
    assert history.epochs == 2 and time.perf_counter() - start < 30  # (trying every epoch's rate took hours)
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=r"schedule: expected a finite learning rate > 0 for every epoch; got 0.0 for epoch \d+ \(from eta0=0.001\)"):
        net.fit(X, y, epochs=5000, schedule=dp.optimisers.exponential(0.5))  # (0.5^4999 underflows to 0)
    assert all(np.array_equal(p, q) for p, q in zip(before, net.parameters()))
    # every epoch of a run of up to 100,000 is tried: warm restarts whose rate reaches 0 at epoch 1200
    restarts = lambda eta0, epoch, n: eta0 * (1 + math.cos(math.pi * (epoch % 1200) / 1199)) / 2  # noqa: E731
    with pytest.raises(ValueError, match=r"got 0.0 for epoch 1200 "):
        net.fit(X, y, epochs=3000, schedule=restarts)
    assert all(np.array_equal(p, q) for p, q in zip(before, net.parameters()))


def test_metrics_are_measured_on_the_validation_data_and_seen_by_callbacks_logs_and_checkpoints(digits, tmp_path):
    from sklearn.metrics import f1_score, mean_absolute_error

    X, y = digits[0][:400], digits[1][:400]
    Xv, yv = digits[0][400:600], digits[1][400:600]
    f1 = lambda t, p: f1_score(t, p, average="macro")  # noqa: E731
    seen = []

    class Sees(Callback):
        def on_epoch_end(self, run, epoch, logs):
            seen.append(logs["val_f1"])

    net = dp.Network([64, 16, 10], seed=0)
    stop = dp.callbacks.EarlyStopping(monitor="val_f1", mode="max", patience=50, restore_best=False)
    history = net.fit(X, y, epochs=4, validation_data=(Xv, yv), metrics={"f1": f1}, callbacks=[Sees(), stop],
                      checkpoint=tmp_path / "c.ckpt")
    assert seen == history.metrics["val_f1"] == history.values("val_f1") and len(seen) == 4
    assert stop.best == max(seen)
    assert history.metrics["val_f1"][-1] == f1(yv, net.predict(Xv))  # the labels predict gives, against the true ones
    assert history.as_dict()["val_f1"] == seen and "val_f1" in history.last()
    # a resumed run measures on, with the epochs before it from the checkpoint
    resumed = dp.Network([64, 16, 10], seed=0).fit(X, y, epochs=6, validation_data=(Xv, yv), metrics={"f1": f1},
                                                    resume=tmp_path / "c.ckpt")
    assert resumed.metrics["val_f1"][:4] == seen and len(resumed.metrics["val_f1"]) == 6
    with pytest.raises(ValueError, match=r"metrics: the checkpoint's run measured \['f1'\]; got \[\]"):
        dp.Network([64, 16, 10], seed=0).fit(X, y, epochs=6, validation_data=(Xv, yv), resume=tmp_path / "c.ckpt")
    # a regression's metric takes its outputs
    reg = dp.Network([64, 8, 1], output="identity", loss="quadratic", seed=0)
    out = reg.fit(X, y.astype(float), epochs=2, validation_fraction=0.2, metrics={"mae": mean_absolute_error})
    assert len(out.metrics["val_mae"]) == 2 and out.metrics["val_mae"][-1] > 0


def test_a_metric_that_raises_is_named_and_leaves_the_history_even(digits):
    X, y = digits[0][:100], digits[1][:100]

    def fails_late(t, p, calls=[]):  # noqa: B006 (counts its calls)
        calls.append(1)
        return 1 / (3 - len(calls))  # ZeroDivisionError at epoch 3

    net = dp.Network([64, 8, 10], seed=0)
    with pytest.raises(ValueError, match=r"metrics\['m'\]: m\(y_true, y_pred\) raised ZeroDivisionError: division by zero"):
        net.fit(X, y, epochs=5, validation_fraction=0.2, metrics={"m": fails_late})
    assert {len(v) for v in net.history.as_dict().values() if isinstance(v, list) and v} == {2}


def test_a_history_pickled_before_metrics_reads_as_one_without_them(digits):
    import pickle

    history = dp.Network([64, 8, 10], seed=0).fit(digits[0][:50], digits[1][:50], epochs=2)
    del history.__dict__["metrics"]  # (as pickled from before the field existed)
    history = pickle.loads(pickle.dumps(history))
    assert history.keys() == dp.training.History.KEYS and "loss" in history.last() and history.as_dict()["loss"]
    assert "metrics={}" in repr(history)  # (the dataclass's repr reads every field)


@pytest.mark.parametrize("metrics, options, error, words", [
    ({"f1": len}, {}, ValueError, r"metrics: measured on the validation data, which this fit has none of; got metrics \['f1'\]"),
    ({"loss": len}, {"validation_fraction": 0.2}, ValueError, r"metrics: expected names such as 'f1' \(recorded as val_f1\) \(val_loss is already recorded\); got 'loss'"),
    ({"f 1": len}, {"validation_fraction": 0.2}, ValueError, r"metrics: expected names such as 'f1'"),
    ({"f1": 0.5}, {"validation_fraction": 0.2}, TypeError, r"metrics\['f1'\]: expected a function metric\(y_true, y_pred\) -> float; got 0.5"),
    ([len], {"validation_fraction": 0.2}, TypeError, r"metrics: expected a dict \{name: metric\(y_true, y_pred\)\}; got list"),
    ({"f1": lambda t, p: "good"}, {"validation_fraction": 0.2}, ValueError, r"metrics\['f1'\]: expected a finite number from f1\(y_true, y_pred\); got 'good'"),
])
def test_bad_metrics_are_named(digits, metrics, options, error, words):
    with pytest.raises(error, match=words):
        dp.Network([64, 8, 10], seed=0).fit(digits[0][:100], digits[1][:100], epochs=1, metrics=metrics, **options)


@pytest.mark.parametrize("callback", [dp.callbacks.EarlyStopping, dp.callbacks.ReduceLROnPlateau])
def test_a_monitor_of_a_metric_needs_its_mode(digits, callback):
    with pytest.raises(ValueError, match=r"mode: 'auto' knows which way is better for .* only; got monitor 'val_f1': give mode='max'"):
        dp.Network([64, 8, 10], seed=0).fit(digits[0][:100], digits[1][:100], epochs=1, validation_fraction=0.2,
                                            metrics={"f1": len}, callbacks=[callback(monitor="val_f1")])


@pytest.mark.parametrize("optimiser", ["adam", "gd", "lbfgs"])
def test_a_sparse_X_trains_as_the_dense_one_a_batch_at_a_time(optimiser, tmp_path):
    import tracemalloc

    import scipy.sparse as sp

    X = sp.random(600, 20000, density=0.001, format="csr", dtype=np.float32, random_state=0)
    y = np.random.default_rng(0).integers(0, 3, 600)
    runs = []
    for data in (X, X.toarray()):
        net = dp.Network([20000, 8, 3], seed=0)
        runs.append((net.fit(data, y, optimiser=optimiser, epochs=2, validation_fraction=0.2), net))
    (sparse, net), (dense, other) = runs
    assert sparse.loss == dense.loss and sparse.val_loss == dense.val_loss
    assert all(np.array_equal(p, q) for p, q in zip(net.parameters(), other.parameters(), strict=True))
    if optimiser != "adam":
        return
    big = sp.random(6000, 20000, density=0.001, format="csr", dtype=np.float32, random_state=1)  # 480 MB dense
    tracemalloc.start()
    dp.Network([20000, 8, 3], seed=0).fit(big, np.arange(6000) % 3, epochs=1, validation_fraction=0.2)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 * 2**20  # (a batch of 200 rows dense is 16 MB, a block of the validation rows 64 MB at most)
    # a checkpoint's fingerprint of a sparse X is that of the same X dense
    dp.Network([20000, 8, 3], seed=0).fit(X, y, epochs=1, checkpoint=tmp_path / "c.ckpt")
    assert dp.Network([20000, 8, 3], seed=0).fit(X.toarray(), y, epochs=2, resume=tmp_path / "c.ckpt").epochs == 2


def test_negative_sample_weight_is_named_by_its_index(digits):
    X, y = digits[0][:5], digits[1][:5]
    with pytest.raises(ValueError, match=r"sample_weight: expected weights >= 0; got sample_weight\[2\] = -0.5 and 1 more below 0"):
        dp.Network([64, 8, 10], seed=0).fit(X, y, epochs=1, sample_weight=[1, 1, -0.5, -1, 1])
    with pytest.raises(ValueError, match="sample_weight: expected a positive sum of weights; got every weight 0"):
        dp.Network([64, 8, 10], seed=0).fit(X, y, epochs=1, sample_weight=np.zeros(5))
    with pytest.raises(ValueError, match=r"^validation_data \(sample_weight_val\): expected weights >= 0; got sample_weight_val\[3\] = -1.0$"):
        dp.Network([64, 8, 10], seed=0).fit(X, y, epochs=1, validation_data=(X, y, [1, 1, 1, -1.0, 1]))


def test_clip_norm_gives_the_same_bits_with_one_parameter_buffer_or_several(rng):
    # the norm is summed array by array either way (a user's replaced W^1 trains array by array)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)
    one, several = dp.Network([4, 5, 3], seed=1, dtype="float64"), dp.Network([4, 5, 3], seed=1, dtype="float64")
    several.weights[0] = several.weights[0].copy()
    for net in (one, several):
        net.fit(X, y, optimiser="sgd", epochs=3, batch_size=10, clip_norm=0.05)
    for p, q in zip(one.parameters(), several.parameters()):
        np.testing.assert_array_equal(p, q)


class GapWriter(dp.SGD):
    """Adds to every entry of the gradient it is given, the buffer's gaps included (as a gradient-noise optimiser may)."""

    elementwise = True

    def update(self, param, grad, state, eta, step):
        grad += 1.0
        super().update(param, grad, state, eta, step)


def test_clip_norm_sees_only_the_gradients_not_the_buffers_gaps(rng):
    X, y = rng.normal(size=(40, 5)), rng.integers(0, 3, 40)
    seen = []
    real_clip = dp.training.clip_gradient
    dp.training.clip_gradient = lambda grads, max_norm: seen.append(sum(g.size for g in grads)) or real_clip(grads, max_norm)
    try:
        net = dp.Network([5, 3, 3], seed=0, dtype="float64")
        net.fit(X, y, optimiser=GapWriter(momentum=0.0), epochs=1, batch_size=10, clip_norm=1e9)
    finally:
        dp.training.clip_gradient = real_clip
    assert net.parameter_buffer().size > net.n_parameters, "expected gaps between the arrays"
    assert set(seen) == {net.n_parameters}  # the W^l and b^l entries, never the gaps between them


def test_lbfgs_that_reaches_a_non_finite_cost_leaves_the_network_at_its_last_finite_one():
    # DivergenceError's promise for L-BFGS too: SciPy's last point (here one whose cost is NaN) is not kept.
    from deltaprop.losses import Loss

    def cost(y, t):  # the quadratic cost, undefined beyond |y| = 3
        return np.where(np.abs(y).max(axis=1) > 3, np.nan, 0.5 * np.sum((y - t) ** 2, axis=1))

    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(20, 2)), np.full((20, 1), 100.0)
    net = dp.Network([2, 3, 1], "tanh", output="identity", loss=Loss("capped", cost, lambda y, t: y - t),
                     seed=0, dtype="float64")
    with pytest.raises(dp.DivergenceError, match="L-BFGS reached a non-finite cost nan"):
        net.fit(X, T, optimiser="lbfgs", epochs=50)
    assert np.isfinite(net.loss(X, T))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sample_weights_in_range_are_normalised_as_they_always_were(dtype):
    # From a review: normalising unrounded float64 weights changed their last bits, and a checkpoint's fingerprint
    # of validation weights is of the normalised ones: old checkpoints with them no longer resumed.
    rng = np.random.default_rng(0)
    given = rng.random(50) * 3
    net = dp.Network([2, 2], dtype=dtype)
    old = given.astype(dtype).astype(np.float64)
    np.testing.assert_array_equal(net._normalised_weights(given, 50), (old * (50 / old.sum())).astype(dtype))


def test_the_fingerprint_tells_weights_beyond_float32_apart_without_a_warning():
    from deltaprop.training import _weights_to_fingerprint

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, b = (_weights_to_fingerprint(np.full(3, v), np.float32) for v in (1e39, 2e39))
    assert not np.array_equal(a, b)
    assert _weights_to_fingerprint([1.0, 2.0], np.float32).dtype == np.float32  # (in range: as checkpoints always took them)
    tiny = [_weights_to_fingerprint(np.array([1.0, v]) * 1e-46, np.float32) for v in (2.0, 3.0)]  # (below float32's subnormals)
    assert not np.array_equal(*tiny)
    # subnormal in float32: training normalises them unrounded, so weights that round alike there train differently
    subnormal = [_weights_to_fingerprint(np.array([1e-44, v]), np.float32) for v in (1e-44, 1.05e-44)]
    assert not np.array_equal(*subnormal)


def test_tiny_or_huge_sample_weights_keep_their_ratios_in_training():
    # From a review: n / sum(w) overflowed for weights of 1e-306 (NaN weights, a DivergenceError blaming the rate)
    net = dp.Network([2, 2], dtype="float64")
    w = net._normalised_weights(np.r_[1e-306, np.zeros(999)], 1000)
    assert w[0] == 1000 and not w[1:].any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no overflow warning for weights near float64's largest)
        np.testing.assert_allclose(net._normalised_weights(np.full(3, 1e308), 3), 1.0)


def test_lbfgs_on_float32_data_measures_its_cost_in_float64():
    # From a regression review: targets near 1e7, float32 X. A line search's trial step made 0.5 (y - t)^2 overflow
    # float32; that inf ended L-BFGS as "converged" after 2 iterations with R^2 = -27, and no warning.
    from sklearn.preprocessing import StandardScaler

    from deltaprop.sklearn import DeltapropRegressor

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    t = 1e7 + 1e6 * y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (200 iterations without converging: scikit-learn's warning)
        est = DeltapropRegressor(solver="lbfgs", random_state=0).fit(X, t)
    assert est.network_.dtype == np.float32 and est.n_iter_ > 50 and est.score(X, t) > 0.9, est.network_.history.stop_reason


def test_lbfgs_on_float32_runs_in_float64_for_targets_far_from_zero():
    # From a review of the fix above: the cost was float64 but the gradient float32, whose inf at a trial step
    # ended the search as "converged" again for targets near 1e10
    from sklearn.preprocessing import StandardScaler

    from deltaprop.sklearn import DeltapropRegressor

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    t = 1e10 + 1e9 * y
    scores = {}
    for dtype in (np.float32, np.float64):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = DeltapropRegressor(solver="lbfgs", random_state=0, activation="relu").fit(X.astype(dtype), t)
        scores[dtype] = (est.n_iter_, round(est.score(X.astype(dtype), t), 2), est.network_.dtype)
    assert scores[np.float32] == (scores[np.float64][0], scores[np.float64][1], np.float32), scores


def test_a_callback_that_changes_parameters_during_lbfgs_is_refused():
    # L-BFGS keeps theta itself: a max-norm callback's change was lost at its next step, unsaid
    class MaxNorm(Callback):
        def on_epoch_end(self, run, epoch, logs):
            run.net.weights[0] *= 0.5

    X, y = load_iris(return_X_y=True)
    net = dp.Network([4, 5, 3], seed=0)
    with pytest.raises(ValueError, match=r"^callbacks: on_epoch_end changed W\^1 during L-BFGS, which keeps theta itself"):
        net.fit(X, y, optimiser="lbfgs", epochs=5, callbacks=[MaxNorm()])


def test_a_read_only_parameter_set_in_on_train_begin_is_trained_as_a_copy():
    class ReadOnly(Callback):
        def on_train_begin(self, run):
            W = run.net.weights[0].copy()
            W.flags.writeable = False
            run.net.weights[0] = W

    X, y = load_iris(return_X_y=True)
    for optimiser in ("sgd", "adam", "lbfgs"):
        net = dp.Network([4, 5, 3], seed=0)
        net.fit(X, y, optimiser=optimiser, epochs=2, callbacks=[ReadOnly()])
        assert net.history.epochs == 2 and net.weights[0].flags.writeable


def test_lbfgs_follows_a_callbacks_change_of_l2_in_float32_too():
    # The float64 twin L-BFGS runs on was copied once: a callback's run.net.l2 = 1.0 was ignored for float32 only
    class StrongL2(Callback):
        def on_epoch_begin(self, run, epoch):
            run.net.l2 = 1.0

    X, y = load_iris(return_X_y=True)
    norms = {}
    for dtype in ("float32", "float64"):
        net = dp.Network([4, 5, 3], seed=0, dtype=dtype)
        net.fit(X, y, optimiser="lbfgs", epochs=30, callbacks=[StrongL2()])
        norms[dtype] = float(np.linalg.norm(net.weights[0]))
    assert norms["float32"] == pytest.approx(norms["float64"], rel=1e-3) and norms["float64"] < 1.0, norms


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lbfgs_evaluates_with_the_compiled_step_and_takes_its_accuracy_without_a_second_forward_pass(dtype, digits,
                                                                                                   monkeypatch):
    # The iteration's end is the point last evaluated, whose outputs the cost already has: a float64 network's
    # accuracy costs no forward pass of its own (one per iteration made L-BFGS a third slower than scikit-learn's)
    X, y = digits
    net = dp.Network([64, 16, 10], activation="tanh", seed=0, dtype=dtype)
    passes, evaluations, accuracies = [], [], []
    forward, backward, step = dp.Network._forward, dp.Network._backward, Workspace.step
    monkeypatch.setattr(dp.Network, "_forward", lambda self, *a: passes.append(self.dtype) or forward(self, *a))
    monkeypatch.setattr(dp.Network, "_backward", lambda self, *a: evaluations.append("literal") or backward(self, *a))
    monkeypatch.setattr(Workspace, "step", lambda self, *a, **k: evaluations.append("compiled") or step(self, *a, **k))

    class Accuracy(Callback):
        def on_epoch_end(self, run, epoch, logs):
            accuracies.append((logs["accuracy"], [p.copy() for p in run.net.parameters()]))

    history = net.fit(X[:600], y[:600], optimiser="lbfgs", epochs=8, callbacks=[Accuracy()])
    assert history.epochs == 8 and len(evaluations) >= history.epochs + 1  # (theta_0, then one or more an iteration)
    # the compiled step for every cost evaluation (its buffers allocated once: the literal path allocated every
    # array at every evaluation, a third of the time), and a forward pass of the network itself only once an
    # iteration for a float32 network's rounded parameters
    assert set(evaluations) == {"compiled"}, evaluations
    assert len(passes) == (history.epochs if dtype == "float32" else 0), (passes, history.epochs)
    monkeypatch.undo()
    for accuracy, parameters in accuracies:  # each the accuracy of that iteration's parameters
        for p, q in zip(net.parameters(), parameters):
            p[...] = q
        assert accuracy == net.score(X[:600], y[:600])


def test_lbfgs_takes_the_same_steps_on_the_compiled_and_the_literal_path(digits, monkeypatch):
    # The compiled step's cost and gradient are the literal Network.forward/backward's (to rounding), so L-BFGS
    # follows the same path on both; the literal one is what runs without Numba or for an activation of one's own
    X, y = digits
    runs = {}
    for path in ("compiled", "literal"):
        if path == "literal":
            monkeypatch.setattr(Workspace, "for_network", classmethod(lambda cls, *a, **k: None))
        net = dp.Network([64, 16, 10], activation="relu", seed=0, dtype="float64", l2=1e-3)
        history = net.fit(X[:600], y[:600], optimiser="lbfgs", epochs=10, sample_weight=np.arange(600) % 3 + 1.0)
        runs[path] = (history, net.parameters())
    (compiled, theta), (literal, theta_literal) = runs["compiled"], runs["literal"]
    assert compiled.epochs == literal.epochs == 10 and compiled.accuracy == literal.accuracy
    np.testing.assert_allclose(compiled.loss, literal.loss, rtol=1e-10)
    for p, q in zip(theta, theta_literal):
        np.testing.assert_allclose(p, q, rtol=1e-7, atol=1e-9)


def test_a_continued_optimiser_state_is_allocated_once_per_fit(digits, monkeypatch):
    # From a performance review: fit(optimiser_state=...) (every partial_fit call of the estimators) made a fresh
    # optimiser's state, then its continued optimiser's, then copied the given one in: a third of partial_fit's
    # time on 784-512-256-10. One allocation now, for the optimiser that goes on.
    import deltaprop.training as training

    X, y = digits
    net = dp.Network([64, 8, 10], seed=0)
    state = net.fit(X[:200], y[:200], optimiser="adam", epochs=1).optimiser_state
    made = []
    initial = training._initial_states
    monkeypatch.setattr(training, "_initial_states", lambda optimiser, n: made.append(optimiser.name) or initial(optimiser, n))
    history = net.fit(X[200:400], y[200:400], epochs=1, batch_size=50, optimiser_state=state)
    assert made == ["adam"] and history.optimiser_state.step == state.step + 4
