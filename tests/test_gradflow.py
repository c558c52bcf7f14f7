"""Gradient flow: the vanishing gradient with sigmoid, far less with ReLU + He, on digits."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread
from sklearn.datasets import load_digits

from deltaprop import Network
from deltaprop.gradflow import GradientFlow


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


def train_deep(digits, activation: str) -> GradientFlow:
    """5 hidden layers of 30 on digits, fixed seed, a few epochs of plain SGD."""
    X, y = digits
    net = Network([64, 30, 30, 30, 30, 30, 10], activation=activation, seed=0)
    flow = GradientFlow(X, y, n_examples=300, seed=0)
    net.fit(X, y, optimiser="sgd", learning_rate=0.1, momentum=0.0, epochs=3, batch_size=32, callbacks=[flow])
    return flow


def test_sigmoid_vanishes_relu_he_far_less(digits, tmp_path):
    sigmoid = train_deep(digits, "sigmoid")
    relu = train_deep(digits, "relu")  # ReLU layers default to He initialisation
    assert len(sigmoid.epochs) == 4 and sigmoid.epochs == [0, 1, 2, 3]

    # Sigmoid: every earlier hidden layer learns more slowly than the one after it.
    s_delta, s_grad = sigmoid.mean_delta_norm(), sigmoid.mean_weight_grad_norm()
    assert np.all(np.diff(s_delta[:5]) > 0), s_delta
    assert np.all(np.diff(s_grad[:5]) > 0), s_grad
    sigmoid_ratio = s_grad[0] / s_grad[4]  # layer 1 against layer 5
    assert sigmoid_ratio < 0.05

    # ReLU + He: layer 1 within a small factor of layer 5, at least 10x closer than sigmoid's.
    r_grad = relu.mean_weight_grad_norm()
    relu_ratio = r_grad[0] / r_grad[4]
    assert relu_ratio > 0.3
    assert relu_ratio > 10 * sigmoid_ratio

    path = tmp_path / "flow.png"
    sigmoid.plot(path)
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 800
    assert "layer" in sigmoid.summary()


def test_uses_validation_data_when_no_examples_given(digits):
    X, y = digits
    net = Network([64, 8, 10], seed=0)
    flow = GradientFlow()
    net.fit(X[:200], y[:200], epochs=2, callbacks=[flow], validation_data=(X[200:300], y[200:300]))
    assert len(flow.delta_norm) == 3 and flow.delta_norm[0].shape == (2,)
    assert np.all(np.array(flow.weight_grad_norm) > 0)


def test_errors(digits):
    X, y = digits
    with pytest.raises(ValueError, match="X, y"):
        GradientFlow(X)
    with pytest.raises(ValueError, match="n_examples"):
        GradientFlow(X, y, n_examples=0)
    with pytest.raises(ValueError, match="nothing recorded"):
        GradientFlow(X, y).plot("unused.png")
    net = Network([64, 8, 10], seed=0)
    with pytest.raises(ValueError, match="X: GradientFlow needs examples"):
        net.fit(X[:50], y[:50], epochs=1, callbacks=[GradientFlow()])


def test_a_callback_of_the_sklearn_estimators_with_their_own_labels(digits):
    from sklearn.preprocessing import LabelBinarizer

    from deltaprop import DeltapropClassifier, DeltapropRegressor

    X, y = digits[0][:150], digits[1][:150] % 3
    options = dict(hidden_layer_sizes=(8,), max_iter=2, tol=0, random_state=0)
    for labels in (np.array(["zero", "one", "two"])[y], y == 1):  # multiclass names; binary (one output unit)
        flow = GradientFlow(X, labels, n_examples=100)
        DeltapropClassifier(callbacks=[flow], **options).fit(X, labels)
        encoded = GradientFlow(X, LabelBinarizer().fit_transform(labels), n_examples=100)  # as fit encodes them
        DeltapropClassifier(callbacks=[encoded], **options).fit(X, labels)
        assert flow.epochs == [0, 1, 2]
        np.testing.assert_array_equal(flow.delta_norm, encoded.delta_norm)
    # labels as a column, as the estimator's fit takes them: before, {1, 2} were taken for target values
    column = GradientFlow(X, np.where(y == 1, 2, 1)[:, None], n_examples=100)
    flat = GradientFlow(X, np.where(y == 1, 2, 1), n_examples=100)
    for flow in (column, flat):
        DeltapropClassifier(callbacks=[flow], **options).fit(X, np.where(y == 1, 2, 1))
    np.testing.assert_array_equal(column.delta_norm, flat.delta_norm)
    with pytest.raises(ValueError, match=r"y: expected labels among the classes \[0, 1, 2\]; got \[7\]"):
        DeltapropClassifier(callbacks=[GradientFlow(X, np.where(y == 2, 7, y))], **options).fit(X, y)
    flow = GradientFlow(X, X[:, 10])
    DeltapropRegressor(callbacks=[flow], **options).fit(X, X[:, 10])
    assert flow.epochs == [0, 1, 2] and np.all(np.array(flow.weight_grad_norm) > 0)


def test_a_resumed_run_records_before_training_at_the_epoch_it_starts_from(digits, tmp_path):
    X, y = digits[0][:200], digits[1][:200]
    checkpoint = tmp_path / "run.ckpt"
    first = GradientFlow(X, y, n_examples=100)
    Network([64, 8, 10], seed=0).fit(X, y, epochs=2, checkpoint=checkpoint, callbacks=[first])
    resumed = GradientFlow(X, y, n_examples=100)
    Network([64, 8, 10], seed=0).fit(X, y, epochs=4, checkpoint=checkpoint, resume=checkpoint, callbacks=[resumed])
    assert first.epochs == [0, 1, 2] and resumed.epochs == [2, 3, 4]
    np.testing.assert_array_equal(resumed.delta_norm[0], first.delta_norm[-1])  # the same parameters: after epoch 2


def test_gradient_flow_takes_a_sparse_validation_X():
    import scipy.sparse as sp

    X, y = load_digits(return_X_y=True)
    net = Network([64, 8, 10], seed=0)
    flow = GradientFlow()
    net.fit(sp.csr_matrix(X[:200] / 16), y[:200], epochs=2, validation_fraction=0.25, callbacks=[flow])  # (len(X) raised)
    assert len(flow.epochs) == 3


def dead_relu_flow(X, y) -> GradientFlow:
    """Every unit of layer 1 dead (b^1 = -100: z^1 < 0 on every example), so every ||dC/dW^l|| is exactly 0."""
    net = Network([64, 8, 8, 10], activation="relu", seed=0)
    net.biases[0][:] = -100
    flow = GradientFlow(X, y, n_examples=100)
    net.fit(X[:200], y[:200], epochs=3, callbacks=[flow])
    return flow


def test_zero_gradients_are_drawn_and_summarised_without_warnings(digits, tmp_path):
    # From a teacher's review: the dead-ReLU case drew nothing on the log axis (matplotlib warned, the legend
    # listed layers not drawn) and the summary printed nan with a RuntimeWarning
    import warnings

    X, y = digits
    flow = dead_relu_flow(X, y)
    assert np.all(np.array(flow.weight_grad_norm) == 0)
    assert flow.zero_gradient_since() == [0, 0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no "cannot be log-scaled", no "invalid value encountered")
        fig = flow.plot(tmp_path / "dead.png")
        summary = flow.summary()
    deltas, grads = fig.axes[:2]
    assert deltas.get_yscale() == "symlog" and min(deltas.get_ylim()) < 0 < max(deltas.get_ylim())  # 0 on the axis
    assert grads.get_yscale() == "linear" and grads.get_ylim()[0] < 0  # all 0: no logarithm to take
    zeros = [line for line in grads.lines if line.get_marker() == "x"]  # each layer's zeros marked
    assert len(zeros) == 3 and all(np.all(line.get_ydata() == 0) for line in zeros)
    legend = [t.get_text() for t in grads.get_legend().get_texts()]
    assert legend[:3] == ["layer 1", "layer 2", "layer 3 (output)"] and legend[3].startswith("exactly 0: no gradient")
    assert "nan" not in summary
    rows = summary.splitlines()
    assert rows[1] == "layer  ||delta^l||  ||dC/dW^l||  vs layer L  mean ||dC/dW^l||  zero since"
    assert rows[2].split() == ["1", "0.000e+00", "0.000e+00", "-", "0.000e+00", "epoch", "0"]
    assert all(len(row) == len(rows[1]) for row in rows[2:5])  # (each entry under its heading)
    assert "every layer: ||dC/dW^l|| exactly 0 in every record since the epoch shown" in " ".join(rows[5:])
    assert max(map(len, rows)) <= 80


def test_the_summary_reports_the_last_record_not_a_mean_an_early_blow_up_dominates():
    # From a teacher's review (digits, relu, sgd with eta = 3): a blow-up in epoch 1, then every gradient 0; the
    # summary's means said layer 4 learned "5.03" times as fast as layer L when none learned at all
    flow = GradientFlow(np.zeros((1, 2)), [0])
    flow.epochs = [0, 1, 2, 3]
    flow.delta_norm = [np.array([0.2, 1.0]), np.array([5.0, 1.0]), np.array([0.0, 1.0]), np.array([0.0, 1.0])]
    flow.weight_grad_norm = [np.array([0.1, 0.1]), np.array([40.0, 8.0]), np.array([0.0, 0.0]), np.array([0.0, 0.0])]
    rows = flow.summary().splitlines()
    assert rows[0] == "gradient flow after epoch 3 (mean: over the 4 records, epochs 0..3)"
    assert rows[2].split() == ["1", "0.000e+00", "0.000e+00", "-", "1.003e+01", "epoch", "2"]
    assert rows[3].split() == ["2", "1.000e+00", "0.000e+00", "-", "2.025e+00", "epoch", "2"]
    # the ratio is of the last record: 40 / 8 early on does not make layer 1 "5 times as fast" now
    flow.weight_grad_norm[-1] = np.array([0.5, 1.0])
    assert flow.zero_gradient_since() == [None, None]
    rows = flow.summary().splitlines()
    assert rows[2].split() == ["1", "0.000e+00", "5.000e-01", "0.5", "1.015e+01", "-"] and len(rows) == 4
    # a layer that learned again is not "zero since"; one that stopped in the last record is
    flow.weight_grad_norm[2:] = [np.array([0.3, 0.0]), np.array([0.0, 1.0])]
    assert flow.zero_gradient_since() == [3, None]
    assert "layer 1: ||dC/dW^l|| exactly 0" in flow.summary()


def test_a_panel_with_an_exact_zero_and_an_infinite_record_is_drawn(tmp_path):
    # From a review of the symlog axis: its limits came from the largest positive value, inf, and plot raised
    # "Axis limits cannot be NaN or Inf" for a blown-up run (the log axis before drew it)
    flow = GradientFlow(np.zeros((1, 2)), [0])
    flow.epochs = [0, 1, 2, 3]
    flow.delta_norm = [np.array([1.0, 2.0])] * 4
    flow.weight_grad_norm = [np.array([1.0, 2.0]), np.array([0.0, 1.0]), np.array([0.0, np.inf]), np.array([0.0, np.nan])]
    grads = flow.plot(tmp_path / "g.png").axes[1]
    assert grads.get_yscale() == "symlog" and np.isfinite(grads.get_ylim()).all() and grads.get_ylim()[1] >= 2
