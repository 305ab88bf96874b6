"""Chart geometry: histogram bins and bars, scatter positions, and round axis ticks."""

from __future__ import annotations

import pytest

from lti_tool.charts import (
    COLUMNS,
    HEIGHT,
    INDIVIDUAL_POINTS,
    MAX_RADIUS,
    ROWS,
    WIDTH,
    binned_scatter,
    histogram,
    percent,
    scatter,
)


def test_each_value_falls_in_its_bin_and_the_top_value_in_the_last():
    chart = histogram([0, 4.9, 5, 10, 49.9, 50], 0, 50, bins=10)

    assert [bar.count for bar in chart.bars] == [2, 1, 1, 0, 0, 0, 0, 0, 0, 2]
    assert chart.total == 6
    assert (chart.bars[0].low, chart.bars[0].high) == (0, 5)


def test_values_outside_the_range_count_in_the_nearest_bin_and_non_numbers_are_left_out():
    chart = histogram([-3, 60, float("nan")], 0, 50, bins=5)

    assert [bar.count for bar in chart.bars] == [1, 0, 0, 0, 1]


def test_the_tallest_bar_reaches_the_top_tick_and_every_bar_stands_on_the_axis():
    chart = histogram([1, 1, 1, 2], 0, 10, bins=5)
    tallest = max(chart.bars, key=lambda bar: bar.count)

    assert tallest.y == chart.y_ticks[-1].position == chart.plot.top
    assert all(bar.y + bar.height == pytest.approx(chart.plot.bottom) for bar in chart.bars)
    assert [tick.label for tick in chart.y_ticks] == ["0", "1", "2", "3"]


def test_bars_stay_inside_the_drawing_box():
    chart = histogram([0.5] * 7 + [0.95] * 3, 0, 1, bins=10, label=percent, marker=0.8)

    assert all(bar.x >= 0 and bar.x + bar.width <= WIDTH and 0 <= bar.y <= HEIGHT for bar in chart.bars)
    assert chart.marker is not None and chart.marker.label == "80%"
    assert chart.x_ticks[0].label == "0%" and chart.x_ticks[-1].label == "100%"


def test_an_empty_histogram_is_drawn_with_a_unit_axis():
    chart = histogram([], 0, 10)

    assert chart.total == 0 and all(bar.height == 0 for bar in chart.bars)
    assert chart.y_ticks[-1].value >= 1


def test_a_histogram_needs_a_range_and_a_bin():
    with pytest.raises(ValueError):
        histogram([1], 5, 5)
    with pytest.raises(ValueError):
        histogram([1], 0, 5, bins=0)


def test_the_scatter_centres_no_bias_and_puts_more_spread_higher():
    chart = scatter([("Ann", -2.0, 1.0), ("Bob", 3.0, 4.0), ("Cy", 0.0, 0.0)])
    ann, bob, cy = chart.points

    assert chart.zero_x == cy.x == pytest.approx((chart.plot.left + chart.plot.right) / 2)
    assert ann.x < cy.x < bob.x
    assert bob.y < ann.y < cy.y == chart.plot.bottom
    assert chart.x_ticks[0].value == -chart.x_ticks[-1].value
    assert (bob.label, bob.x_value, bob.y_value) == ("Bob", 3.0, 4.0)


def test_ticks_are_round_numbers_covering_the_data():
    chart = scatter([("A", 0.37, 2.3)])

    steps = {round(b.value - a.value, 6) for a, b in zip(chart.y_ticks, chart.y_ticks[1:], strict=False)}
    assert len(steps) == 1 and steps.pop() in (0.5, 1.0)
    assert chart.y_ticks[-1].value >= 2.3 and chart.x_ticks[-1].value >= 0.37


def _group(count: int, low: float, high: float, bottom: float, top: float) -> str:
    return f"{count} between {low:g} and {high:g}, {bottom:g} and {top:g}"


def test_a_binned_scatter_of_ten_thousand_points_draws_at_most_one_dot_per_cell_and_counts_them_all():
    points = [(f"R{i}", (i % 97) / 10 - 4.8, (i % 31) / 10) for i in range(10_000)]

    chart = binned_scatter(points, _group)

    assert len(chart.points) <= COLUMNS * ROWS
    assert chart.items == sum(point.count for point in chart.points) == 10_000
    assert all(point.radius <= MAX_RADIUS for point in chart.points)


def test_a_lone_reviewer_keeps_their_dot_and_close_ones_share_a_larger_dot_that_says_how_many():
    chart = binned_scatter([("Ann", -2.0, 1.0), ("Bob", 1.01, 3.0), ("Cy", 1.02, 3.01), ("Di", 1.03, 3.02)], _group,
                           individually_up_to=3)
    ann, crowd = chart.points

    assert (ann.label, ann.x_value, ann.y_value, ann.count, ann.radius) == ("Ann", -2.0, 1.0, 1, 4.0)
    assert crowd.count == 3 and crowd.radius > ann.radius
    assert crowd.label.startswith("3 between ") and crowd.x_value == pytest.approx(1.02)
    assert scatter([("Ann", -2.0, 1.0)]).points[0].x == ann.x


def test_a_few_points_keep_a_dot_each_even_when_close():
    points = [(f"R{i}", 1.0 + i / 1000, 2.0) for i in range(INDIVIDUAL_POINTS)]

    chart = binned_scatter(points, _group)

    assert [point.label for point in chart.points] == [label for label, _, _ in points]
    binned = binned_scatter([*points, ("One more", 1.0, 2.0)], _group)
    assert len(binned.points) <= 3 and sum(point.count for point in binned.points) == INDIVIDUAL_POINTS + 1


def test_only_the_items_drawn_alone_are_labelled_each_with_its_own_label():
    items = [{"name": "Ann", "bias": -2.0}, *({"name": f"R{i}", "bias": 1.0 + i / 1000} for i in range(300)),
             {"name": "Zed", "bias": 2.0}]
    labelled = []

    def label(item: dict) -> str:
        labelled.append(item["name"])
        return f"{item['name']} ({item['bias']:+g})"

    chart = binned_scatter([(item, item["bias"], 1.0) for item in items], _group, label=label)

    # A large class's thousands of tooltips are never written: only the lone dot's, once.
    assert labelled == ["Ann", "Zed"]
    (ann, *crowds, zed) = chart.points
    assert (ann.label, ann.count, zed.label, zed.count) == ("Ann (-2)", 1, "Zed (+2)", 1)
    assert sum(crowd.count for crowd in crowds) == 300
    assert all(crowd.count > 1 and crowd.label.startswith(f"{crowd.count} between ") for crowd in crowds)
    few = binned_scatter([(item, item["bias"], 1.0) for item in items[:3]], _group, label=label)
    assert [point.label for point in few.points] == ["Ann (-2)", "R0 (+1)", "R1 (+1.001)"]
