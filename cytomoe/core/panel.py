"""The marker panel: which channels enter the model and each channel's arcsinh cofactor."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cytomoe.core.errors import InputError

PANEL_FORMAT_VERSION = 1


@dataclass
class Panel:
    """Channel selection and transform of an analysis.

    ``channels`` are $PnN names in file order; ``markers`` maps $PnN to its display name
    ($PnS, editable); ``selected`` lists the $PnN names used for clustering;
    ``cofactors`` maps $PnN to an arcsinh cofactor, None meaning "no transform" (data that
    arrives already transformed). ``compensate`` applies the files' spillover first.
    """

    channels: list[str]
    markers: dict[str, str] = field(default_factory=dict)
    selected: list[str] = field(default_factory=list)
    cofactors: dict[str, float | None] = field(default_factory=dict)
    compensate: bool = True

    def display_name(self, channel: str) -> str:
        return self.markers.get(channel) or channel

    def to_dict(self) -> dict:
        return {"format_version": PANEL_FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "Panel":
        data = dict(data)
        version = data.pop("format_version", PANEL_FORMAT_VERSION)
        if version > PANEL_FORMAT_VERSION:
            raise InputError(f"This panel was saved by a newer cytomoe (format {version}).")
        try:
            return cls(**data)
        except TypeError as error:
            raise InputError(f"Not a cytomoe panel: {error}.") from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "Panel":
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as error:
            raise InputError(f"{Path(path).name}: cannot read the panel ({error}).") from None
        return cls.from_dict(data)
