"""The report's colour-map tables draw what matplotlib's colour maps of the same name draw."""

import numpy as np
import pytest

from cytomoe.core.analysis.colour_maps import CONTINUOUS, LISTED, colormap, listed_colors

matplotlib = pytest.importorskip("matplotlib", reason="the reference colour maps are matplotlib's")

# matplotlib looks a fraction up in a table of 256 colours: a step or two of 1/255 apart
TOLERANCE = 6 / 255


@pytest.mark.parametrize("name", [*CONTINUOUS, *(f"{n}_r" for n in CONTINUOUS)])
def test_continuous_map_matches_matplotlib(name):
    fractions = np.linspace(0, 1, 301)
    reference = matplotlib.colormaps[name](fractions)
    assert np.abs(colormap(name, fractions) - reference).max() < TOLERANCE


def test_continuous_map_keeps_the_shape_of_its_fractions_and_clips_them():
    colours = colormap("Greys", np.array([[-1.0, 0.0], [1.0, 2.0]]))
    assert colours.shape == (2, 2, 4)
    assert colours[0, 0].tolist() == [1, 1, 1, 1]  # below 0: Greys' white end
    assert colours[1, 1].tolist() == [0, 0, 0, 1]  # above 1: its black end


@pytest.mark.parametrize("name", LISTED)
def test_listed_map_has_matplotlibs_colours(name):
    expected = [matplotlib.colors.to_hex(c) for c in matplotlib.colormaps[name].colors]
    assert listed_colors(name) == expected
