"""``ModelSettings``: the model's settings as analysis files, the CLI and the app hold them.

They are made from ``MoESimVAE.__init__``: one field per parameter (all but the panel's
markers and cofactors) with its annotation and default, so both are written only there.
Creating or replacing settings checks every value against its declared range
(parameters.py) and raises ``InvalidSetting`` naming the setting.
"""

from dataclasses import asdict, field, fields, make_dataclass

import pandas as pd

from cytomoe.core.model.estimator import MoESimVAE, panel_parameters
from cytomoe.core.model.parameters import check_setting
from cytomoe.core.preprocessing.panel import Panel


class _SettingsMethods:
    def __post_init__(self) -> None:
        if isinstance(self.hidden_sizes, list):
            self.hidden_sizes = tuple(self.hidden_sizes)
        for setting in fields(self):
            check_setting(setting.name, getattr(self, setting.name), setting.type)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["hidden_sizes"] = list(self.hidden_sizes)
        return data

    def estimator(
        self, panel: Panel | None = None, spillover: pd.DataFrame | None = None
    ) -> MoESimVAE:
        """An untrained ``MoESimVAE`` with these settings, on ``panel``'s markers (whose
        events were compensated with ``spillover``)."""
        data = panel_parameters(panel, spillover) if panel else {}
        return MoESimVAE(**self.to_dict(), **data)


ModelSettings = make_dataclass(
    "ModelSettings",
    [
        (name, parameter.annotation, field(default=parameter.default))
        for name, parameter in MoESimVAE.setting_parameters().items()
    ],
    bases=(_SettingsMethods,),
)
ModelSettings.__module__ = __name__
ModelSettings.__doc__ = "Settings of MoE-Sim-VAE training; see ``MoESimVAE`` for each one."
