"""Pictures: the PNGs are written, and their figures carry titles, axis labels and legends."""

import numpy as np
import pytest

from deltaprop import Network
from deltaprop.plots import confusion_figure, first_layer_figure, history_figure, plot_training
from deltaprop.training import History

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def history():
    return History(loss=[1.0, 0.6, 0.4], accuracy=[0.5, 0.7, 0.8], val_loss=[1.1, 0.7, 0.5], val_accuracy=[0.4, 0.6, 0.75])


def test_history_figure_has_labelled_panels_with_legends():
    fig = history_figure(history())
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_xlabel() == "epoch" and "cost" in loss_ax.get_ylabel()
    assert acc_ax.get_ylabel() == "accuracy" and acc_ax.get_title() == "Accuracy per epoch"
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training", "validation"]
    np.testing.assert_array_equal(acc_ax.lines[1].get_ydata(), [0.4, 0.6, 0.75])
    np.testing.assert_array_equal(acc_ax.lines[1].get_xdata(), [1, 2, 3])


def test_history_without_accuracy_has_one_panel():
    fig = history_figure({"loss": [3.0, 2.0], "val_loss": [], "accuracy": []})
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match="history"):
        history_figure(History())


def test_history_with_missing_or_nan_epochs_leaves_gaps():
    # A history read back from JSON has null for a NaN loss (a diverged epoch).
    fig = history_figure({"loss": [1000.0, None, 1.0], "accuracy": [0.5, None, 0.9]})
    loss_ax, acc_ax = fig.axes
    np.testing.assert_array_equal(loss_ax.lines[0].get_ydata(), [1000.0, np.nan, 1.0])
    assert loss_ax.get_yscale() == "log"  # decided from the finite losses
    np.testing.assert_array_equal(acc_ax.lines[0].get_ydata(), [0.5, np.nan, 0.9])
    assert history_figure({"loss": [None, float("nan")]}).axes[0].get_yscale() == "linear"


def test_confusion_figure_shows_counts_and_names():
    cm = np.array([[5, 1], [2, 7]])
    fig = confusion_figure(cm, ["cat", "dog"])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog"]
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "5", "7"]
    assert "accuracy 0.800" in ax.get_title()
    with pytest.raises(ValueError, match="cm: expected shape"):
        confusion_figure(cm, ["a", "b", "c"])


def test_first_layer_figure_shows_each_unit_as_an_image():
    net = Network([12, 5, 2], seed=0)
    fig = first_layer_figure(net, (3, 4))
    assert len(fig.axes) == 5
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), net.weights[0][2].reshape(3, 4))
    assert "Layer 1" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="image_shape"):
        first_layer_figure(net, (3, 3))


def test_plot_training_writes_pngs(tmp_path):
    net = Network([4, 3, 2], seed=0)
    written = plot_training(tmp_path / "plots", history=history(), net=net, cm=[[1, 0], [0, 1]], class_names=["a", "b"], image_shape=(2, 2))
    assert [p.name for p in written] == ["history.png", "confusion.png", "first_layer.png"]
    for p in written:
        data = p.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5000
    assert not list((tmp_path / "plots").glob(".*"))  # no temporary files left
    # no image shape: no first-layer picture
    assert [p.name for p in plot_training(tmp_path / "p2", history=history(), net=net)] == ["history.png"]


def test_confusion_figure_of_many_classes_writes_a_legible_subset_of_names():
    k = 100
    fig = confusion_figure(np.eye(k, dtype=int), [f"class {i}" for i in range(k)])
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert 10 <= len(names) <= 30 and names[:2] == ["class 0", "class 4"]
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert len(ax.texts) == 0  # no counts past 20 classes


def test_every_picture_function_writes_the_format_its_name_ends_with(tmp_path):
    # From a teacher's review: draw_network(..., "net.svg") wrote PNG bytes under an SVG name (a broken slide)
    from deltaprop.cost import measure_cost
    from deltaprop.gradflow import GradientFlow
    from deltaprop.netplot import draw_network
    from deltaprop.plots import plot_confusion, plot_first_layer, plot_history

    net = Network([4, 3, 2], seed=0, dtype="float64")
    X, y = np.random.default_rng(0).random((6, 4)), np.arange(6) % 2
    flow = GradientFlow(X, y)
    net.fit(X, y, epochs=2, callbacks=[flow])
    writers = {
        "history": lambda path: plot_history(history(), path),
        "confusion": lambda path: plot_confusion([[1, 0], [0, 1]], ["a", "b"], path),
        "first_layer": lambda path: plot_first_layer(net, (2, 2), path),
        "network": lambda path: draw_network(net, X[0], 1, path),
        "gradient_flow": lambda path: flow.plot(path),
        "cost": lambda path: measure_cost([2, 3], budget_s=0.05, n_examples=4).plot(path),
    }
    signatures = {".png": PNG_SIGNATURE, ".svg": b"<?xml", ".pdf": b"%PDF", ".PDF": b"%PDF"}
    for name, write in writers.items():
        for suffix, signature in signatures.items() if name == "network" else [(".svg", b"<?xml")]:  # (time)
            write(tmp_path / f"{name}{suffix}")
            assert (tmp_path / f"{name}{suffix}").read_bytes().startswith(signature), (name, suffix)
        for wrong in (f"{name}.jpg", name):  # (refused before the drawing)
            with pytest.raises(ValueError, match=rf"path: expected a file name ending \.png, \.svg or \.pdf \(the "
                                                 rf"format written\); got '.*{wrong}'"):
                write(tmp_path / wrong)
            assert not (tmp_path / wrong).exists()
