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
