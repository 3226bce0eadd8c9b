"""What every figure shares: the Agg figure, metric labels, empty panels, tick labels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Most panels one figure draws (rows × columns); the rest are left out, with a note.
MAX_PANELS: Final = 24

_LABELS: Final = {
    "conversion_rate": "conversion rate",
    "platform_revenue": "platform revenue",
    "driver_payouts": "driver payouts",
    "avg_time_to_match_ms": "avg time to match (s)",
    "avg_time_to_pickup_ms": "avg time to pickup (s)",
    "completed_trips": "completed trips",
}


def new_figure(
    rows: int = 1, columns: int = 1, *, width: float = 5.0, height: float = 3.2
) -> Figure:
    """An empty figure on the Agg canvas, ``width`` × ``height`` inches per panel."""
    figure = Figure(figsize=(width * columns, height * rows), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _label(name: str) -> str:
    """Axis label of a metric; ``*_ms`` metrics are drawn in seconds."""
    if name in _LABELS:
        return _LABELS[name]
    for suffix in ("_ms", "_s"):  # analysis frames hold times in seconds (``*_s``)
        if name.endswith(suffix):
            return name.removesuffix(suffix).replace("_", " ") + " (s)"
    return name.replace("_", " ")


def _scale(name: str) -> float:
    return 1000.0 if name.endswith("_ms") else 1.0


def _empty(figure: Figure, text: str) -> Figure:
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes)
    return figure


def _short(value: Any) -> str:
    if isinstance(value, float) and not math.isnan(value) and value.is_integer():
        return str(int(value))
    return str(value)


def _level_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "default"
    return _short(value)


def _readable_ticks(axes: Any, labels: Sequence[str], axis: str = "x") -> None:
    """Tick labels that never overlap: rotated when long or many, thinned when too many."""
    positions = list(range(len(labels)))
    step = max(1, math.ceil(len(labels) / 12))
    shown = [label if i % step == 0 else "" for i, label in enumerate(labels)]
    if axis == "x":
        rotate = len(labels) > 4 or max((len(t) for t in labels), default=0) > 6
        axes.set_xticks(
            positions, shown, rotation=30 if rotate else 0, ha="right" if rotate else "center"
        )
    else:
        axes.set_yticks(positions, shown)
