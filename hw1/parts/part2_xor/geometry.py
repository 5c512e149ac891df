"""What a trained XOR network's decision looks like: decision grids, separability of hidden points, and region structure."""

from __future__ import annotations

import numpy as np

from .network import INPUTS, LABELS, PARAMETERS, forward, sigmoid


def decision_grid(snapshot: dict, run: int, tanh: bool, points: int) -> np.ndarray:
    """Network output over a (points, points) grid of the input square [-0.5, 1.5]^2 (rows: x2)."""
    axis = np.linspace(-0.5, 1.5, points)
    x1, x2 = np.meshgrid(axis, axis, indexing="xy")
    grid = np.stack([x1.reshape(-1), x2.reshape(-1)], axis=1)
    params = {k: snapshot[k][run:run + 1] for k in PARAMETERS}
    _, logits = forward(params, grid, tanh)
    return sigmoid(logits[0]).reshape(points, points)


def separable(points: np.ndarray, labels: np.ndarray = LABELS) -> bool:
    """Can one line strictly separate the two labels' points? (4 points in the plane, 2 per label.)

    Two pairs of points are linearly separable exactly when the segments joining each pair (their convex
    hulls) do not meet, which is decided with orientation tests (collinear overlaps count as meeting).
    """
    a, b = points[labels == 0], points[labels == 1]

    def orient(p, q, r):
        return np.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))

    def on_segment(p, q, r):  # r on segment pq, given collinear
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])

    p1, p2, q1, q2 = a[0], a[1], b[0], b[1]
    o1, o2, o3, o4 = orient(p1, p2, q1), orient(p1, p2, q2), orient(q1, q2, p1), orient(q1, q2, p2)
    if o1 != o2 and o3 != o4 and o1 != 0 and o2 != 0 and o3 != 0 and o4 != 0:
        return False  # proper crossing
    for o, p, q, r in ((o1, p1, p2, q1), (o2, p1, p2, q2), (o3, q1, q2, p1), (o4, q1, q2, p2)):
        if o == 0 and on_segment(p, q, r):
            return False  # touching or overlapping
    return not (o1 != o2 and o3 != o4)


def region_structure(output_grid: np.ndarray, axis: np.ndarray) -> dict:
    """How the network's decision regions (output > 0.5: label 1) sit over the plotted input square.

    Returns, per label, the number of connected regions (4-neighbour connectivity on the grid) and whether
    that label's two inputs lie in the same region; `band_label` is the label whose two inputs share one
    region while the other label's two inputs lie in two separate regions (a band between two
    boundaries), or None when the regions have another shape.
    """
    label_grid = (output_grid > 0.5).astype(int)  # rows: x2, columns: x1
    component = np.full(label_grid.shape, -1)
    counts = {0: 0, 1: 0}
    next_id = 0
    for start in zip(*np.nonzero(component < 0)):
        if component[start] >= 0:
            continue
        label = label_grid[start]
        counts[int(label)] += 1
        stack = [start]
        component[start] = next_id
        while stack:
            i, j = stack.pop()
            for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                ni, nj = i + di, j + dj
                if 0 <= ni < label_grid.shape[0] and 0 <= nj < label_grid.shape[1] and component[ni, nj] < 0 \
                        and label_grid[ni, nj] == label:
                    component[ni, nj] = next_id
                    stack.append((ni, nj))
        next_id += 1
    cell = [int(np.argmin(np.abs(axis - v))) for v in (0.0, 1.0)]
    where = {(a, b): component[cell[b], cell[a]] for a in (0, 1) for b in (0, 1)}  # (x1, x2) -> region id
    together = {}
    for label in (0, 1):
        points = [tuple(map(int, x)) for x, y in zip(INPUTS, LABELS) if y == label]
        together[label] = bool(where[points[0]] == where[points[1]])
    band = [label for label in (0, 1) if together[label] and not together[1 - label]]
    return {
        "regions_per_label": [counts[0], counts[1]],
        "same_region": [together[0], together[1]],
        "band_label": band[0] if len(band) == 1 else None,
    }
