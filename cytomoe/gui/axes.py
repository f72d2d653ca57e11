"""Plot axes that read in instrument values: decades (0, 10², 10³, ...) on arcsinh and
logicle axes, thousands as 50K on linear ones (scatter), as in FlowJo."""

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from cytomoe.core.analysis.analysis_file import CONTOUR, DENSITY
from cytomoe.core.evaluation.display_scale import (
    ARCSINH,
    LINEAR,
    LOGICLE,
    DisplayScale,
    decade_ticks,
)


class ScaleAxis(pg.AxisItem):
    """An axis ticked for its channel's `DisplayScale`; a linear axis keeps pyqtgraph's
    spacing and writes 1000s as K."""

    def __init__(self, orientation: str, **kwargs: object):
        super().__init__(orientation, **kwargs)
        self.display_scale = DisplayScale()
        self._labels: dict[float, str] = {}  # of the ticks last asked for, by position
        self.enableAutoSIPrefix(False)
        self.setStyle(tickLength=6)  # outside the plot, as FlowJo draws them
        self.setPen("#555")
        self.setTextPen("#222")

    def set_scale(self, scale: DisplayScale) -> None:
        self.display_scale = scale
        self.picture = None  # pyqtgraph's cached drawing
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803
        if self.display_scale.kind == LINEAR:
            return super().tickValues(minVal, maxVal, size)
        ticks = decade_ticks(self.display_scale, minVal, maxVal)
        self._labels = dict(ticks.major)
        return [(1.0, [p for p, _ in ticks.major]), (0.1, ticks.minor)]

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:  # noqa: N802
        if self.display_scale.kind != LINEAR:
            return [self._labels.get(v, "") for v in values]
        return [_thousands(v, spacing) for v in values]


def _thousands(value: float, spacing: float) -> str:
    if spacing >= 1000 and value % 1000 == 0:
        return f"{value / 1000:g}K"
    return f"{value:g}"


STYLES = [("Pseudocolour", DENSITY), ("Contour", CONTOUR)]


class ScaleChooser(QComboBox):
    """Arcsinh or logicle for the channels that have a cofactor (the others stay linear)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.addItem("arcsinh", ARCSINH)
        self.addItem("logicle", LOGICLE)
        self.setToolTip(
            "How fluorescence and mass channels are drawn: arcsinh with each channel's "
            "cofactor, or logicle as FlowJo's biexponential. Scatter and time stay linear."
        )

    def kind(self) -> str:
        return self.currentData()


class PlotOptions(QWidget):
    """How the gating plot draws: the scale of transformed channels and the plot style
    (pseudocolour density or contours)."""

    style_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.scale = ScaleChooser()
        self.style = QComboBox()
        for text, style in STYLES:
            self.style.addItem(text, style)
        self.style.currentIndexChanged.connect(
            lambda: self.style_changed.emit(self.style.currentData())
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Scale"))
        row.addWidget(self.scale)
        row.addWidget(QLabel("Style"))
        row.addWidget(self.style)
        row.addStretch(1)
