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
