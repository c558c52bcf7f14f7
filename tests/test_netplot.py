"""deltaprop.netplot: the network picture opens as a PNG and shows both passes."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread

from deltaprop import Network
from deltaprop.netplot import draw_network


def test_small_network_both_panels(tmp_path):
    net = Network([2, 3, 2], activation="sigmoid", output="sigmoid", loss="quadratic", seed=0)
    path = tmp_path / "net.png"
    fig = draw_network(net, [0.05, 0.1], [0.01, 0.99], path)
    image = imread(path)
    assert image.ndim == 3 and image.shape[1] > 2 * image.shape[0]  # two panels side by side
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert any("Forward" in t for t in titles) and any("Backward" in t for t in titles)
    # node values annotated beside the nodes for small layers: the forward pass's a^1
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    a1 = net.forward(np.array([[0.05, 0.1]])).a[1][0]
    assert all(f"{v:.3g}" in texts for v in a1)


def test_wide_network_is_truncated_and_readable(tmp_path):
    net = Network([64, 30, 10], seed=0)
    path = tmp_path / "wide.png"
    fig = draw_network(net, np.linspace(0, 1, 64), 3, path, max_nodes=10)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "+54 more" in texts and "+20 more" in texts
    assert imread(path).shape[0] > 300


def test_forward_only_needs_no_target(tmp_path):
    net = Network([3, 4, 1], seed=0)
    fig = draw_network(net, [1, 2, 3], panels=("forward",))
    assert sum(bool(ax.get_title()) for ax in fig.axes) == 1
    softmax = Network([3, 4, 3], seed=0)  # the default pairing, whose loss takes only targets summing to 1
    assert sum(bool(ax.get_title()) for ax in draw_network(softmax, [1, 2, 3], panels=("forward",)).axes) == 1
    with pytest.raises(ValueError, match="t: the backward panel needs a target"):
        draw_network(net, [1, 2, 3])
    with pytest.raises(ValueError, match="panels"):
        draw_network(net, [1, 2, 3], [1], panels=("sideways",))
    with pytest.raises(ValueError, match="max_nodes"):
        draw_network(net, [1, 2, 3], [1], max_nodes=1)


def test_a_saturated_outputs_literal_delta_is_noted_on_the_picture(tmp_path):
    # the text explanation says so (explain's note); the picture did not
    net = Network([1, 1], seed=0)  # float32 sigmoid + binary cross-entropy
    net.weights[0][...] = 20
    texts = [t.get_text() for t in draw_network(net, [1.0], [0.0], tmp_path / "s.png").texts]
    assert any("the output saturates in float32" in text for text in texts)
    healthy = [t.get_text() for t in draw_network(net, [0.1], [0.0]).texts]
    assert not any("saturates" in text for text in healthy)
    assert not any("saturates" in t.get_text() for t in draw_network(net, [1.0], [0.0], fused=True).texts)


def _node_faces(ax) -> list[np.ndarray]:
    """The face colours of each layer's nodes (one scatter per layer, after the edges), RGBA rows."""
    from matplotlib.collections import PathCollection

    return [c.get_facecolors() for c in ax.collections if isinstance(c, PathCollection)]


def test_a_zero_is_written_without_its_sign_as_explain_writes_it():
    # From a teacher's review: a dead ReLU's delta = 0 * (negative incoming) = -0.0 was written "-0" on its node
    from deltaprop.explain import explain

    net = Network([2, 2, 2], activation="relu", seed=0, dtype="float64")
    net.biases[0][0] = -100  # unit 1 of layer 1 dead: sigma'(z) = 0
    net.weights[1][:, 0] = [1.0, -1.0]  # (W^2)^T delta^2 < 0 at unit 1 for t = class 0
    delta = explain(net, [0.3, 0.7], 0).layers[0].delta
    assert delta[0] == 0 and np.signbit(delta[0])  # -0.0
    texts = [t.get_text() for ax in draw_network(net, [0.3, 0.7], 0).axes for t in ax.texts]
    assert "0" in texts and "-0" not in texts


def test_forward_values_of_both_signs_are_coloured_on_a_diverging_scale_centred_at_0():
    # From a teacher's review: viridis from min to max put 0 mid-scale, so a dead unit (0) looked positive
    from matplotlib import colormaps

    net = Network([3, 4, 1], activation="relu", output="sigmoid", loss="quadratic", seed=0, dtype="float64")
    net.biases[0][0] = -100  # a dead unit: a = 0
    x = [0.5, -1.0, 2.0]  # standardised inputs: both signs
    forward = draw_network(net, x, panels="forward").axes[0]
    faces = _node_faces(forward)
    white = colormaps["BrBG"](0.5)
    np.testing.assert_allclose(faces[1][0], white)  # the dead unit at the middle of the scale
    assert faces[0][1][0] > faces[0][1][2]  # x_2 = -1 < 0: brown (red over blue)
    assert faces[0][2][2] > faces[0][2][0]  # x_3 = 2 > 0: blue-green
    # values of one sign: viridis from the smallest to the largest, as before
    positive = draw_network(net, [0.5, 1.0, 2.0], panels="forward").axes[0]
    values = np.concatenate([a[0] for a in net.forward(np.array([[0.5, 1.0, 2.0]])).a])  # (x, a^1, a^2 >= 0)
    lo, hi = values.min(), values.max()
    np.testing.assert_allclose(_node_faces(positive)[0][0], colormaps["viridis"]((0.5 - lo) / (hi - lo)))


def test_fixed_scales_make_pictures_of_one_network_before_and_after_training_compare():
    # From a teacher's review: xor_before.png and xor_after.png each scaled to their own values, so a weight that
    # had grown tenfold was drawn no wider
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection

    net = Network([2, 3, 1], activation="sigmoid", output="sigmoid", loss="quadratic", seed=0, dtype="float64")
    grown = Network([2, 3, 1], activation="sigmoid", output="sigmoid", loss="quadratic", seed=0, dtype="float64")
    for W in grown.weights:
        W *= 10

    def widths(fig):
        return np.concatenate([c.get_linewidths() for c in fig.axes[0].collections if isinstance(c, LineCollection)])

    x, t = [0.0, 1.0], [1.0]
    np.testing.assert_allclose(widths(draw_network(net, x, t)), widths(draw_network(grown, x, t)))  # per layer: alike
    scale = [float(np.abs(W).max()) for W in grown.weights]
    options = dict(weight_scale=scale, value_range=(0, 1), delta_range=(-0.2, 0.2))
    before, after = draw_network(net, x, t, **options), draw_network(grown, x, t, **options)
    np.testing.assert_allclose(widths(before) - 0.3, (widths(after) - 0.3) / 10)  # 0.3 + 2.7 |w| / scale
    assert "on the scale given" in before._suptitle.get_text()
    # the colour scales as given: a value maps to one colour in both pictures
    for fig in (before, after):
        a = (net if fig is before else grown).forward(np.array([x])).a
        np.testing.assert_allclose(_node_faces(fig.axes[0])[1], colormaps["viridis"](a[1][0]))  # value_range (0, 1)
    assert draw_network(net, x, t, weight_scale=2.0).axes  # one number: every layer
    for kwargs, match in [
        (dict(weight_scale=0), r"weight_scale: expected a number > 0, or a sequence of L = 2 of them \(one per "
                               r"layer\); got 0"),
        (dict(weight_scale=[1.0]), "weight_scale: expected"), (dict(weight_scale="big"), "weight_scale: expected"),
        (dict(value_range=(1, 0)), r"value_range: expected a pair \(lo, hi\) of finite numbers with lo < hi; got \(1, 0\)"),
        (dict(delta_range=0.5), "delta_range: expected a pair"), (dict(delta_range=(0, float("nan"))), "delta_range"),
    ]:
        with pytest.raises(ValueError, match=match):
            draw_network(net, x, t, **kwargs)
