import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from dlarch import plots


def test_plot_functions_labels_everything():
    fig = plots.plot_functions({"square": np.square}, title="Squares", xlabel="x", ylabel="y")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Squares", "x", "y")
    with pytest.raises(ValueError, match="at least one"):
        plots.plot_functions({}, title="empty")


def test_plot_history_compares_runs():
    runs = {"a": {"loss": [3, 2, 1], "val_loss": [3, 3, 2]}, "b": {"loss": [2, 1, 0.5]}}
    ax = plots.plot_history(runs, "loss").axes[0]
    assert len(ax.lines) == 3 and ax.get_xlabel() == "epoch" and ax.get_title()
    with pytest.raises(ValueError, match="accuracy"):
        plots.plot_history(runs, "accuracy")


def test_image_grid_shape_and_errors():
    fig = plots.image_grid(np.zeros((12, 8, 8, 1)), labels=list(range(12)), title="grid", ncols=5)
    assert len(fig.axes) == 15 and fig._suptitle.get_text() == "grid"
    with pytest.raises(ValueError, match="shape"):
        plots.image_grid(np.zeros((8, 8)), title="bad")


def test_flow_diagram_draws_boxes_and_arrows():
    boxes = {"z": (0.1, 0.5, "noise z"), "G": (0.5, 0.5, "generator"), "D": (0.9, 0.5, "D")}
    fig = plots.flow_diagram(boxes, [("z", "G", "sample"), ("G", "D", "", 0.3)], title="Loop")
    ax = fig.axes[0]
    assert ax.get_title() == "Loop"
    assert {t.get_text() for t in ax.texts} >= {"noise z", "generator", "D", "sample"}
    assert len(ax.patches) + len([c for c in ax.get_children() if type(c).__name__ == "Annotation"]) >= 2
    with pytest.raises(ValueError, match="unknown boxes"):
        plots.flow_diagram(boxes, [("z", "X", "")], title="bad")
    with pytest.raises(ValueError, match="at least one"):
        plots.flow_diagram({}, [], title="empty")


@pytest.mark.parametrize("name, call", [
    ("ncols", lambda: plots.image_grid(np.zeros((4, 8, 8)), title="t", ncols=0)),
    ("ncols", lambda: plots.image_grid(np.zeros((4, 8, 8)), title="t", ncols=np.nan)),
    ("ncols", lambda: plots.image_grid(np.zeros((4, 8, 8)), title="t", ncols=2.5)),
    ("size", lambda: plots.image_grid(np.zeros((4, 8, 8)), title="t", size=-1.0)),
    ("labels", lambda: plots.image_grid(np.zeros((4, 8, 8)), labels=[1, 2], title="t")),
    ("metric", lambda: plots.plot_history({"loss": [1.0]}, "accuracy")),
])
def test_bad_input_names_the_argument(name, call):
    with pytest.raises(ValueError, match=name):
        call()


def test_image_grid_accepts_numpy_scalars():
    fig = plots.image_grid(np.zeros((4, 8, 8)), title="t", ncols=np.int64(2), size=np.float32(0.5))
    assert len(fig.axes) == 4
