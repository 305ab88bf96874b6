"""Chart geometry for inline SVG: histograms and a scatter plot laid out in a fixed viewBox, drawn by Jinja macros."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
    count: int = 1  # the items the point stands for: a binned chart draws one point per occupied cell
    radius: float = 4.0


@dataclass(frozen=True)
class Scatter:
    points: list[Point]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    zero_x: float | None  # where x = 0 falls, for the "no bias" line
    plot: Plot = Plot()
    items: int = 0  # what the points stand for (more than the points, once binned)
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
    frame = _Frame.around(points)
    return frame.chart([Point(name, x, y, frame.x_of(x), frame.y_of(y)) for name, x, y in points], len(points))


# A binned scatter has at most COLUMNS x ROWS points, whatever the number of items: the page stays small for a large
# class, and a dot's size tells how many items it stands for. Up to INDIVIDUAL_POINTS items, each keeps its own dot.
COLUMNS, ROWS = 30, 12
MAX_RADIUS = 12.0
INDIVIDUAL_POINTS = 200


def binned_scatter(points: Sequence[tuple[Any, float, float]],
                   group_label: Callable[[int, float, float, float, float], str], *,
                   label: Callable[[Any], str] = str, individually_up_to: int = INDIVIDUAL_POINTS) -> Scatter:
    """As `scatter` up to `individually_up_to` points; beyond, the points are gathered into a grid of cells: a cell
    holding one item shows it as it is, a cell holding several one larger dot at their mean, labelled by
    `group_label(count, x_low, x_high, y_low, y_high)` with the cell's bounds. Points are (item, x, y); `label(item)`
    names an item drawn with a dot of its own, and only those: a large class's thousands of tooltips are never
    written."""
    if len(points) <= individually_up_to:
        return scatter([(label(item), x, y) for item, x, y in points])
    frame = _Frame.around(points)
    width, height = (frame.x_high - frame.x_low) / COLUMNS, frame.y_high / ROWS
    cells: dict[tuple[int, int], list[tuple[Any, float, float]]] = {}
    for point in points:
        _, x, y = point
        column = min(COLUMNS - 1, max(0, int((x - frame.x_low) // width)))
        row = min(ROWS - 1, max(0, int(y // height)))
        cells.setdefault((column, row), []).append(point)
    drawn = []
    for (column, row), members in sorted(cells.items()):
        if len(members) == 1:
            item, x, y = members[0]
            drawn.append(Point(label(item), x, y, frame.x_of(x), frame.y_of(y)))
            continue
        x = math.fsum(member[1] for member in members) / len(members)
        y = math.fsum(member[2] for member in members) / len(members)
        x_low, y_low = frame.x_low + column * width, row * height
        named = group_label(len(members), x_low, x_low + width, y_low, y_low + height)
        # The area grows with the count, up to a cap: a crowded cell must not hide its neighbours.
        radius = _round(min(MAX_RADIUS, 4.0 * math.sqrt(len(members))))
        drawn.append(Point(named, x, y, frame.x_of(x), frame.y_of(y), len(members), radius))
    return frame.chart(drawn, len(points))


@dataclass(frozen=True)
class _Frame:
    """The axes of a scatter: x ticks symmetric around zero, y ticks from zero up."""

    x_ticks: list[float]
    y_ticks: list[float]
    plot: Plot = Plot()

    @classmethod
    def around(cls, points: Sequence[tuple[str, float, float]]) -> _Frame:
        reach = max((abs(x) for _, x, _ in points), default=0.0) or 1.0
        return cls(_ticks(-reach, reach), _ticks(0.0, max((y for _, _, y in points), default=0.0) or 1.0))

    @property
    def x_low(self) -> float:
        return self.x_ticks[0]

    @property
    def x_high(self) -> float:
        return self.x_ticks[-1]

    @property
    def y_high(self) -> float:
        return self.y_ticks[-1]

    def x_of(self, value: float) -> float:
        return _round(self.plot.left + self.plot.width * (value - self.x_low) / (self.x_high - self.x_low))

    def y_of(self, value: float) -> float:
        return _round(self.plot.bottom - self.plot.height * value / self.y_high)

    def chart(self, points: list[Point], items: int) -> Scatter:
        return Scatter(
            points=points,
            x_ticks=[Tick(value, self.x_of(value), number(value)) for value in self.x_ticks],
            y_ticks=[Tick(value, self.y_of(value), number(value)) for value in self.y_ticks],
            zero_x=self.x_of(0.0) if self.x_low < 0 < self.x_high else None,
            items=items,
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
