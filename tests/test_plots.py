"""Pictures: the PNGs are written, and their figures carry titles, axis labels and legends."""

import numpy as np
import pytest
from matplotlib.colors import to_rgba

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
    from deltaprop.cost import CostResult, CostRow
    from deltaprop.gradflow import GradientFlow
    from deltaprop.netplot import draw_network
    from deltaprop.plots import plot_confusion, plot_first_layer, plot_history

    net = Network([4, 3, 2], seed=0, dtype="float64")
    X, y = np.random.default_rng(0).random((6, 4)), np.arange(6) % 2
    flow = GradientFlow(X, y)
    net.fit(X, y, epochs=2, callbacks=[flow])
    cost = CostResult([CostRow(2, 22, 1e-5, 3e-5, 5e-4, 4.4e-4, 1e-9), CostRow(3, 40, 1e-5, 3e-5, None, 8e-4, None)],
                      budget_s=0.05, n_examples=4)  # (as measure_cost gives, without the measuring)
    writers = {
        "history": lambda path: plot_history(history(), path),
        "confusion": lambda path: plot_confusion([[1, 0], [0, 1]], ["a", "b"], path),
        "first_layer": lambda path: plot_first_layer(net, (2, 2), path),
        "network": lambda path: draw_network(net, X[0], 1, path),
        "gradient_flow": lambda path: flow.plot(path),
        "cost": lambda path: cost.plot(path),
    }
    signatures = {".png": PNG_SIGNATURE, ".svg": b"<?xml", ".pdf": b"%PDF", ".PDF": b"%PDF"}
    for name, write in writers.items():
        for suffix, signature in signatures.items() if name == "history" else [(".svg", b"<?xml")]:  # (time)
            write(tmp_path / f"{name}{suffix}")
            assert (tmp_path / f"{name}{suffix}").read_bytes().startswith(signature), (name, suffix)
        for wrong in (f"{name}.jpg", name):  # (refused before the drawing)
            with pytest.raises(ValueError, match=rf"path: expected a file name ending \.png, \.svg or \.pdf \(the "
                                                 rf"format written\); got '.*{wrong}'"):
                write(tmp_path / wrong)
            assert not (tmp_path / wrong).exists()


# ---------------------------------------------------------------------- decision regions (two inputs)


def _lattice(ax, image):
    """The lattice points of the plane's image (n_pixels, 2), row by row, from its extent (pixel centres)."""
    rows, cols = image.get_array().shape
    x0, x1, y0, y1 = image.get_extent()
    xs = x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols
    ys = y0 + (np.arange(rows) + 0.5) * (y1 - y0) / rows
    return np.column_stack([np.tile(xs, rows), np.repeat(ys, cols)])


def _moons_net():
    from deltaprop.data import load_dataset

    data = load_dataset("moons")
    net = Network([2, 6, 2], activation="tanh", seed=0)
    net.fit(data.X_train, data.y_train, epochs=30, learning_rate=0.02)
    return data, net


def test_decision_figure_shades_the_plane_by_the_networks_own_predictions():
    # New: TensorFlow Playground's view. The plane is drawn in the data's units; the network sees them scaled.
    from deltaprop.plots import decision_figure

    data, net = _moons_net()
    X, X_test = data.scaling.unscaled64(data.X_train), data.scaling.unscaled64(data.X_test)
    fig = decision_figure(net, X, data.y_train, X_test=X_test, y_test=data.y_test, scaling=data.scaling, grid=60)
    ax = fig.axes[0]
    image = ax.images[0]
    assert image.get_array().shape == (60, 60)
    G = _lattice(ax, image)
    assert G[:, 0].min() < X[:, 0].min() and G[:, 1].max() > X[:, 1].max()  # the whole data, in its own units
    predicted = net.predict(data.scaling.apply(G))
    P1 = np.asarray(image.get_array()).ravel()
    np.testing.assert_array_equal(P1 > 0.5, predicted == 1)
    np.testing.assert_allclose(P1, net.predict_proba(data.scaling.apply(G))[:, 1], atol=1e-6)
    assert image.norm.vmin == 0 and image.norm.vmax == 1 and image.cmap(0.5)[:3] == (1.0, 1.0, 1.0)  # white at 1/2
    assert 0 < P1.mean() < 1 and (P1 > 0.5).any() and (P1 < 0.5).any()
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"
    train_points, test_points = ax.collections[-2:]  # (after the boundary's contour)
    np.testing.assert_allclose(train_points.get_offsets(), X)
    np.testing.assert_allclose(test_points.get_offsets(), X_test)
    orange, blue = (np.array(to_rgba(c)) for c in ("#f59322", "#0877bd"))
    np.testing.assert_allclose(train_points.get_facecolors(), [blue if t else orange for t in data.y_train])
    accuracy = net.score(data.X_train, data.y_train)
    assert f"training accuracy {accuracy:.3f}" in ax.get_title() and "test " in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1", "test point"]
    # one map per unit of layer 1: a^1_i = tanh(W^1 x + b^1)_i over the same lattice
    units = [a for a in fig.axes if a.get_title().startswith("$a^1_")]
    assert len(units) == 6
    a1 = np.tanh(data.scaling.apply(G).astype(np.float64) @ net.weights[0].T.astype(np.float64) + net.biases[0])
    np.testing.assert_allclose(np.asarray(units[2].images[0].get_array()).ravel(), a1[:, 2], atol=1e-5)
    assert len(decision_figure(net, X, data.y_train, scaling=data.scaling, grid=20, hidden_units=False).axes) == 2


def test_decision_figure_of_three_classes_colours_each_region_and_names_the_axes():
    from deltaprop.plots import decision_figure

    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [2.0, 3.0]])
    y = np.repeat(np.array(["a", "b", "c"]), 30)
    X = centres[np.repeat(np.arange(3), 30)] + rng.normal(scale=0.7, size=(90, 2))
    net = Network([2, 20, 3], seed=0, dtype="float64")  # (more than 16 units: no maps of them)
    net.fit(X, y, epochs=40, learning_rate=0.05)
    fig = decision_figure(net, X, y, grid=50, class_names=["alpha", "beta", "gamma"], feature_names=["width", "height"])
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and ax.get_xlabel() == "width" and ax.get_ylabel() == "height"
    index = np.asarray(ax.images[0].get_array()).ravel()
    np.testing.assert_array_equal(index, np.searchsorted(net.classes_, net.predict(_lattice(ax, ax.images[0]))))
    assert set(index.tolist()) == {0, 1, 2}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class alpha", "class beta", "class gamma"]
    np.testing.assert_allclose(ax.collections[-1].get_offsets(), X)


def test_decision_figure_of_a_quadratic_cost_and_of_an_estimator_agrees_with_their_predictions():
    # From a review: the score of a cost without probabilities (two outputs, quadratic) and of the scikit-learn
    # estimator (AttributeError: no is_classifier) were unguarded
    from deltaprop.plots import decision_figure
    from deltaprop.sklearn import DeltapropClassifier

    data, _ = _moons_net()
    quadratic = Network([2, 6, 2], activation="tanh", output="sigmoid", loss="quadratic", seed=0)
    quadratic.fit(data.X_train, data.y_train, epochs=20, learning_rate=0.05)
    names = np.array(["left", "right"])[data.y_train]
    estimator = DeltapropClassifier(hidden_layer_sizes=(6,), activation="tanh", max_iter=20, random_state=0)
    estimator.fit(data.X_train, names)
    for net, labels, predict in ((quadratic, data.y_train, lambda G: quadratic.predict(G) == 1),
                                 (estimator, names, lambda G: estimator.predict(G) == "right")):
        ax = decision_figure(net, data.X_train, labels, grid=40, hidden_units=False).axes[0]
        P1 = np.asarray(ax.images[0].get_array()).ravel()
        G = _lattice(ax, ax.images[0]).astype(np.float32)
        assert 0 < (P1 > 0.5).mean() < 1
        np.testing.assert_array_equal(P1 > 0.5, predict(G))
    with pytest.raises(TypeError, match="net: expected a deltaprop Network or a fitted DeltapropClassifier; got "
                                        "DeltapropClassifier"):
        decision_figure(DeltapropClassifier(), data.X_train, data.y_train)


def test_decision_figure_refuses_what_it_cannot_draw():
    from deltaprop.plots import decision_figure

    X, y = np.random.default_rng(0).random((8, 2)), np.arange(8) % 2
    two = Network([2, 3, 2], seed=0)
    two.fit(X, y, epochs=1)
    regression = Network([2, 3, 1], seed=0, loss="quadratic")
    regression.fit(X, X[:, 0], epochs=1)
    cases = [
        (lambda: decision_figure(Network([3, 2], seed=0), X, y), ValueError, "net: expected a network of two inputs"),
        (lambda: decision_figure(regression, X, y), ValueError, "net: expected a classifier"),
        (lambda: decision_figure(two, X[:, :1], y), ValueError, r"X: expected points in the plane, shape \(n, 2\)"),
        (lambda: decision_figure(two, X, y[:3]), ValueError, r"y: expected one label per point, shape \(8,\)"),
        (lambda: decision_figure(two, X, y + 5), ValueError, r"y: expected labels among the network's classes \[0, 1\]"),
        (lambda: decision_figure(two, X, y, X_test=X), ValueError, "X_test, y_test: give both"),
        (lambda: decision_figure(two, X, y, grid=1), ValueError, "grid: expected an integer >= 2"),
        (lambda: decision_figure(two, X, y, class_names=["a"]), ValueError, "class_names: expected one name per class"),
        (lambda: decision_figure(two, X, y, hidden_units="no"), TypeError, "hidden_units: expected True or False"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()


def test_plot_training_draws_decision_regions_for_two_inputs_only(tmp_path, monkeypatch):
    from deltaprop.data import load_dataset

    import deltaprop.plots

    data, net = _moons_net()
    drawn = {}
    real = deltaprop.plots.plot_decision
    monkeypatch.setattr(deltaprop.plots, "plot_decision", lambda *a, **k: drawn.update(args=a, options=k) or real(*a, **k))
    written = plot_training(tmp_path / "p", net=net, data=data, class_names=[0, 1])
    assert [p.name for p in written] == ["decision.png"] and written[0].read_bytes().startswith(PNG_SIGNATURE)
    # (from a review: the points in the data's own units, which the scaling maps to the network's inputs; the
    # scaled points would have been scaled twice on the grid, and no test looked)
    np.testing.assert_array_equal(drawn["args"][1], data.scaling.unscaled64(data.X_train))
    np.testing.assert_array_equal(drawn["options"]["X_test"], data.scaling.unscaled64(data.X_test))
    assert drawn["options"]["scaling"] is data.scaling
    iris = load_dataset("iris")
    assert plot_training(tmp_path / "q", net=Network([4, 3, 3], seed=0), data=iris) == []


def test_decision_frames_write_the_regions_every_n_epochs(tmp_path):
    from deltaprop.data import load_dataset
    from deltaprop.plots import DecisionFrames

    data = load_dataset("xor", limit=40)
    net = Network([2, 4, 2], activation="tanh", seed=0)
    frames = DecisionFrames(tmp_path / "frames", data.scaling.unscaled64(data.X_train), data.y_train, every=2,
                            scaling=data.scaling, grid=8, suffix=".svg")
    net.fit(data.X_train, data.y_train, epochs=5, callbacks=[frames])
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == ["decision-0000.svg", "decision-0002.svg",
                                                                        "decision-0004.svg"]
    assert frames.written[-1].read_bytes().startswith(b"<?xml") and b"Epoch 4:" in frames.written[-1].read_bytes()
    with pytest.raises(ValueError, match="suffix: expected a file name ending"):
        DecisionFrames(tmp_path, data.X_train, data.y_train, suffix=".gif")


@pytest.mark.parametrize("units", [1, 2, 4, 9, 12])
def test_first_layer_title_fits_a_narrow_figure_colour_key_included(units):
    # From a teacher's review: with about 12 units or fewer the title was cut off at both edges, colour key and all
    fig = first_layer_figure(Network([64, units, 10], seed=0), (8, 8))
    renderer = fig.canvas.get_renderer()
    box = fig._suptitle.get_window_extent(renderer)
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
    lines = fig._suptitle.get_text().splitlines()
    assert any(line.endswith("red > 0, blue < 0)") for line in lines)  # the key whole, on one line
    assert ("1 unit;" if units == 1 else f"all {units} units;") in fig._suptitle.get_text()
    top = max(ax.get_window_extent(renderer).y1 for ax in fig.axes)
    assert top < box.y0  # the pictures below the title, not under it


def test_first_layer_pictures_of_an_output_layer_are_titled_with_the_class_names(tmp_path):
    # From a teacher's review: `train --layers none` titled each class's template "unit 1..10"
    net = Network([4, 3], seed=0)
    fig = first_layer_figure(net, (2, 2), class_names=["cat", "dog", "eel"])
    assert [ax.get_title() for ax in fig.axes] == ["cat", "dog", "eel"]
    title = " ".join(fig._suptitle.get_text().split())  # (in lines that fit the figure)
    assert title == r"Layer 1 (output) weights $w^1_i$ as 2x2 images, one per class (all 3 units; red > 0, blue < 0)"
    # a number alone reads as a class's name as "class 3" (digits' names are "0".."9")
    assert [ax.get_title() for ax in first_layer_figure(net, (2, 2), class_names=[0, 1, 2]).axes] == [
        "class 0", "class 1", "class 2"]
    # one sigmoid unit: its output is P(second class)
    binary = Network([4, 1], output="sigmoid", loss="binary_cross_entropy", seed=0)
    assert [ax.get_title() for ax in first_layer_figure(binary, (2, 2), class_names=["no", "yes"]).axes] == ["yes (vs no)"]
    # a hidden layer 1 is no class's: the names are not used
    hidden = Network([4, 3, 2], seed=0)
    assert [ax.get_title() for ax in first_layer_figure(hidden, (2, 2), class_names=["a", "b"]).axes] == [
        "unit 1", "unit 2", "unit 3"]
    with pytest.raises(ValueError, match=r"class_names: expected one name per output unit, 3; got 2"):
        first_layer_figure(net, (2, 2), class_names=["cat", "dog"])
    # plot_training passes its class names on (the train command's --plot)
    from matplotlib.image import imread

    from deltaprop import plots

    drawn = []
    original = plots.first_layer_figure
    try:
        plots.first_layer_figure = lambda *a, **k: drawn.append(k.get("class_names")) or original(*a, **k)
        plot_training(tmp_path, net=net, cm=np.eye(3, dtype=int), class_names=["cat", "dog", "eel"], image_shape=(2, 2))
    finally:
        plots.first_layer_figure = original
    assert drawn == [["cat", "dog", "eel"]] and imread(tmp_path / "first_layer.png").ndim == 3


def test_the_confusion_matrix_says_whose_examples_it_counts(tmp_path, monkeypatch, capsys):
    # From a teacher's review: train --plot's confusion matrix is of the test examples, and its title did not say so
    fig = confusion_figure(np.array([[5, 1], [2, 7]]), ["cat", "dog"], examples="test")
    assert fig.axes[0].get_title() == "Confusion matrix of the 15 test examples (accuracy 0.800)"
    assert confusion_figure(np.eye(2, dtype=int), ["a", "b"]).axes[0].get_title() == (
        "Confusion matrix (accuracy 1.000, 2 examples)")  # (unknown: as before)
    from deltaprop import plots
    from deltaprop.cli import main

    titles = []
    original = plots.confusion_figure

    def drawn(*args, **kwargs):
        fig = original(*args, **kwargs)
        titles.append(fig.axes[0].get_title())
        return fig

    monkeypatch.setattr(plots, "confusion_figure", drawn)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--layers", "4", "--epochs", "1", "--limit", "200", "--plot", "p", "--quiet"]) == 0
    capsys.readouterr()
    assert len(titles) == 1 and titles[0].startswith("Confusion matrix of the 200 test examples (accuracy ")


def test_an_lbfgs_history_is_drawn_per_iteration():
    # From a teacher's review: L-BFGS's history said "epoch" where its points are iterations
    from deltaprop import Network

    X, y = np.random.default_rng(0).random((30, 3)), np.arange(30) % 2
    for optimiser, step in (("lbfgs", "iteration"), ("gd", "epoch"), ("sgd", "epoch")):
        h = Network([3, 4, 2], seed=0).fit(X, y, optimiser=optimiser, epochs=3)
        for recorded in (h, h.as_dict(), __import__("json").loads(__import__("json").dumps(h.as_dict()))):
            loss_ax, acc_ax = history_figure(recorded).axes
            assert loss_ax.get_title() == f"Loss per {step}" and acc_ax.get_title() == f"Accuracy per {step}"
            assert loss_ax.get_xlabel() == ("L-BFGS iteration" if step == "iteration" else "epoch")
    assert history_figure(history(), step="iteration").axes[0].get_xlabel() == "L-BFGS iteration"
    with pytest.raises(ValueError, match=r"step: expected one of \('epoch', 'iteration'\); got 'batch'"):
        history_figure(history(), step="batch")
