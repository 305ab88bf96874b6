"""Chart geometry for inline SVG: histograms and a scatter plot laid out in a fixed viewBox, drawn by Jinja macros."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Every chart is drawn in this coordinate box and scaled by the browser to the width of its container.
WIDTH, HEIGHT = 600, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 12, 40


@dataclass(frozen=True)
class Tick:
    value: float
    position: float  # x for the horizontal axis, y for the vertical one
    label: str


@dataclass(frozen=True)
class Plot:
    """The drawing area inside the axes."""

    left: float = LEFT
    right: float = WIDTH - RIGHT
    top: float = TOP
    bottom: float = HEIGHT - BOTTOM

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Bar:
    low: float
    high: float
    count: int
    x: float
    y: float
    width: float
    height: float
    low_label: str
    high_label: str


@dataclass(frozen=True)
class Histogram:
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    total: int
    marker: Tick | None  # a reference value drawn as a vertical line (the pass mark)
    plot: Plot = Plot()
    width: int = WIDTH
    height: int = HEIGHT


@dataclass(frozen=True)
class Point:
    label: str
    x_value: float
    y_value: float
    x: float
    y: float


@dataclass(frozen=True)
class Scatter:
    points: list[Point]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    zero_x: float | None  # where x = 0 falls, for the "no bias" line
    plot: Plot = Plot()
    width: int = WIDTH
    height: int = HEIGHT


def number(value: float) -> str:
    return f"{round(value, 2):g}"


def percent(value: float) -> str:
    return f"{round(value * 100):g}%"


def histogram(values: Sequence[float], low: float, high: float, bins: int = 10, *,
              label: Callable[[float], str] = number, marker: float | None = None) -> Histogram:
    """Counts of `values` in `bins` equal bins from `low` to `high`; the last bin includes `high`."""
    if not (math.isfinite(low) and math.isfinite(high) and high > low) or bins < 1:
        raise ValueError(f"a histogram needs low < high and at least one bin, not {low!r}..{high!r} in {bins!r}")
    plot = Plot()
    step = (high - low) / bins
    counts = [0] * bins
    for value in values:
        if math.isfinite(value):
            counts[min(bins - 1, max(0, int((value - low) // step)))] += 1
    y_ticks = _ticks(0, max(counts, default=0) or 1, whole=True)
    top = y_ticks[-1]
    slot = plot.width / bins
    bars = []
    for index, count in enumerate(counts):
        height = plot.height * count / top
        bars.append(Bar(low=low + index * step, high=low + (index + 1) * step, count=count,
                        x=_round(plot.left + index * slot + 1), y=_round(plot.bottom - height),
                        width=_round(max(slot - 2, 1)), height=_round(height),
                        low_label=label(low + index * step), high_label=label(low + (index + 1) * step)))
    edges = range(0, bins + 1, 2 if bins > 6 else 1)
    return Histogram(
        bars=bars,
        x_ticks=[Tick(low + i * step, _round(plot.left + i * slot), label(low + i * step)) for i in edges],
        y_ticks=[Tick(value, _round(plot.bottom - plot.height * value / top), number(value)) for value in y_ticks],
        total=sum(counts),
        marker=None if marker is None or not low <= marker <= high else
        Tick(marker, _round(plot.left + plot.width * (marker - low) / (high - low)), label(marker)),
    )


def scatter(points: Sequence[tuple[str, float, float]]) -> Scatter:
    """(label, x, y) points: x centred on zero (bias), y from zero up (spread)."""
    plot = Plot()
    reach = max((abs(x) for _, x, _ in points), default=0.0) or 1.0
    x_ticks = _ticks(-reach, reach)
    x_low, x_high = x_ticks[0], x_ticks[-1]
    y_ticks = _ticks(0.0, max((y for _, _, y in points), default=0.0) or 1.0)
    y_high = y_ticks[-1]

    def x_of(value: float) -> float:
        return _round(plot.left + plot.width * (value - x_low) / (x_high - x_low))

    def y_of(value: float) -> float:
        return _round(plot.bottom - plot.height * value / y_high)

    return Scatter(
        points=[Point(name, x, y, x_of(x), y_of(y)) for name, x, y in points],
        x_ticks=[Tick(value, x_of(value), number(value)) for value in x_ticks],
        y_ticks=[Tick(value, y_of(value), number(value)) for value in y_ticks],
        zero_x=x_of(0.0) if x_low < 0 < x_high else None,
    )


def _ticks(low: float, high: float, *, target: int = 5, whole: bool = False) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering low..high."""
    span = high - low
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    step = next(multiple * power for multiple in (1, 2, 5, 10) if multiple * power >= raw)
    if whole:
        step = max(1.0, math.ceil(step))
    first = math.floor(low / step + 1e-9) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9:
        ticks.append(ticks[-1] + step)
    return [_round(value) for value in ticks]


def _round(value: float) -> float:
    # Two decimals of a 600-unit box are far below a pixel, and keep the markup short.
    return round(value, 2) + 0.0
