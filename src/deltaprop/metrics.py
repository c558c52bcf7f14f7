"""Classification metrics: accuracy, per-class precision and recall, the confusion matrix."""

from __future__ import annotations

import numpy as np

__all__ = ["confusion_matrix", "classification_report"]


def confusion_matrix(y_true, y_pred, classes) -> np.ndarray:
    """Counts C[i, j] of examples of class ``classes[i]`` predicted as ``classes[j]``.

    y_true, y_pred : arrays of shape (n,) with values among ``classes``.
    Returns an int64 array of shape (k, k), k = len(classes).
    """
    classes = np.asarray(classes)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true, y_pred: expected two arrays of shape (n,); got {y_true.shape} and {y_pred.shape}")
    order = np.argsort(classes)
    index = {}
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        pos = np.clip(np.searchsorted(classes, y, sorter=order), 0, len(classes) - 1)
        i = order[pos]
        unknown = classes[i] != y
        if unknown.any():
            raise ValueError(f"{name}: labels {np.unique(y[unknown])[:10].tolist()} are not among the classes {classes.tolist()}")
        index[name] = i
    k = len(classes)
    return np.bincount(index["y_true"] * k + index["y_pred"], minlength=k * k).reshape(k, k).astype(np.int64)


def classification_report(y_true, y_pred, classes, class_names=None) -> dict:
    """Accuracy, per-class precision/recall/support and the confusion matrix, JSON-ready.

    Precision of class c is the share of predictions c that were right
    (0 when c was never predicted); recall the share of examples of c found.
    """
    classes = np.asarray(classes)
    if classes.ndim != 1 or len(classes) == 0 or len(np.unique(classes)) != len(classes):
        raise ValueError(f"classes: expected one or more distinct class labels; got {classes.tolist()!r:.80}")
    if class_names is not None and len(class_names) != len(classes):
        raise ValueError(f"class_names: expected one name per class, {len(classes)}; got {len(class_names)}")
    cm = confusion_matrix(y_true, y_pred, classes)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    hits = np.diag(cm)
    precision = np.divide(hits, predicted, out=np.zeros(len(cm)), where=predicted > 0)
    recall = np.divide(hits, support, out=np.zeros(len(cm)), where=support > 0)
    names = [str(n) for n in (class_names if class_names is not None else np.asarray(classes).tolist())]
    return {
        "accuracy": float(hits.sum() / max(cm.sum(), 1)),
        "n_examples": int(cm.sum()),
        "classes": np.asarray(classes).tolist(),
        "per_class": [
            {"class": c, "name": n, "precision": float(p), "recall": float(r), "support": int(s)}
            for c, n, p, r, s in zip(np.asarray(classes).tolist(), names, precision, recall, support)
        ],
        "confusion_matrix": cm.tolist(),
    }
