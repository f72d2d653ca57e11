"""One data set of events as cytomoe sees it, in the vocabulary of FlowKit."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class Sample:
    """Events of one FCS data set (or one event table) in instrument units.

    ``channels`` are the $PnN names, made unique when a file repeats one; ``markers`` the
    $PnS names, falling back to $PnN where empty. ``spillover`` is a square DataFrame
    indexed and labelled by channel names, or None.
    """

    events: np.ndarray  # float32, shape (n_events, n_channels)
    channels: list[str]
    markers: list[str]
    path: Path
    keywords: dict[str, str] = field(default_factory=dict)
    spillover: pd.DataFrame | None = None
    instrument: str = ""
    dataset: int = 0
    well: str | None = None
    fcs_version: str = ""
    # Non-numeric columns of an event table (e.g. a text label column), one row per event.
    annotations: pd.DataFrame | None = None

    @property
    def n_events(self) -> int:
        return int(self.events.shape[0])

    @property
    def name(self) -> str:
        """File name, with the data-set number when the file holds several."""
        suffix = f" [{self.dataset + 1}]" if self.dataset else ""
        return f"{Path(self.path).name}{suffix}"

    def to_frame(self) -> pd.DataFrame:
        """Events as a DataFrame with one column per channel ($PnN)."""
        return pd.DataFrame(self.events, columns=self.channels, copy=False)
