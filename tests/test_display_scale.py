"""Axes in instrument values: where the decades fall on arcsinh and logicle axes."""

import flowkit as fk
import numpy as np
import pytest

from cytomoe.core.evaluation.display_scale import (
    ARCSINH,
    LINEAR,
    LOGICLE,
    DisplayScale,
    decade_label,
    decade_ticks,
    scale_for,
)


def test_decades_are_written_as_powers_of_ten():
    assert [decade_label(v) for v in (0, 10, 100, 1e4, -1000)] == ["0", "10", "10²", "10⁴", "-10³"]


def test_an_arcsinh_axis_is_ticked_at_zero_and_the_decades_on_both_sides():
    scale = DisplayScale(ARCSINH, 150)
    low, high = scale.forward(np.array([-5_000.0, 200_000.0]))
    ticks = decade_ticks(scale, low, high)
    labels = [label for _, label in ticks.major if label]
    assert labels == ["-10³", "0", "10³", "10⁴", "10⁵"]
    positions = dict((label, p) for p, label in ticks.major if label)
    assert positions["10³"] == pytest.approx(np.arcsinh(1000 / 150))


def test_minor_ticks_fall_between_the_decades():
    scale = DisplayScale(ARCSINH, 5)
    ticks = decade_ticks(scale, 0.0, float(scale.forward(np.array(10_000.0))))
    between = [p for p in ticks.minor if scale.forward(np.array(1e3)) < p < scale.forward(1e4)]
    assert len(between) == 8  # 2000 ... 9000


def test_decades_squeezed_near_zero_keep_their_tick_but_lose_their_label():
    scale = DisplayScale(ARCSINH, 150)
    ticks = decade_ticks(scale, 0.0, float(scale.forward(np.array(250_000.0))))
    assert (float(scale.forward(np.array(10.0))), "") in ticks.major


def test_logicle_matches_flowkit_and_inverts():
    values = np.array([-800.0, -10.0, 0.0, 50.0, 1_000.0, 90_000.0, 250_000.0])
    scale = scale_for(LOGICLE, 150.0, values)
    exact = fk.transforms.LogicleTransform(scale.top, scale.width, scale.decades, 0.0)
    expected = exact.apply(values.reshape(-1, 1)).ravel()
    assert scale.forward(values) == pytest.approx(expected, abs=1e-6)
    assert scale.inverse(scale.forward(values)) == pytest.approx(values, rel=1e-6, abs=1e-3)


def test_logicle_widens_its_linear_zone_for_data_below_zero():
    rng = np.random.default_rng(0)
    tight = scale_for(LOGICLE, 150.0, rng.normal(5_000, 100, 10_000))
    spread = scale_for(LOGICLE, 150.0, rng.normal(0, 2_000, 10_000))
    assert spread.width > tight.width


def test_a_channel_without_a_cofactor_stays_linear_under_either_choice():
    assert scale_for(ARCSINH, None).kind == LINEAR
    assert scale_for(LOGICLE, None, np.arange(10.0)).kind == LINEAR
