"""Well ids of multi-well plates: parsing from keywords or file names, and plate order."""

import re
from pathlib import Path

# A row letter (A-P, 96 or 384 wells) and a column number 1-24, standing alone in a name.
_WELL = re.compile(r"(?<![A-Za-z0-9])([A-Pa-p])0?([1-9]|1[0-9]|2[0-4])(?![0-9])")
_WELL_KEYWORDS = ("wellid", "well id", "well", "src", "fil")


def normalise_well(text: str) -> str | None:
    """'b01', 'B1', 'B01' -> 'B1'; None when the text is not a well id."""
    match = re.fullmatch(r"\s*([A-Pa-p])0?([1-9]|1[0-9]|2[0-4])\s*", text)
    return f"{match.group(1).upper()}{int(match.group(2))}" if match else None


def well_in_name(name: str) -> str | None:
    """The last well-like token of a name: 'Yeast_B1_B01' -> 'B1', 'RFP_Well_A6' -> 'A6'."""
    stem = re.sub(r"\.(fcs|lmd|csv|tsv|txt)$", "", name, flags=re.IGNORECASE)
    stem = re.sub(r"\.\d+$", "", stem)  # instrument counters such as '.001'
    matches = list(_WELL.finditer(stem.replace("_", " ").replace("-", " ")))
    if not matches:
        return None
    match = matches[-1]
    return f"{match.group(1).upper()}{int(match.group(2))}"


def well_from_keywords(keywords: dict[str, str], path: str | Path) -> str | None:
    """$WELLID first (exact), then well-like tokens in $SRC, $FIL or the file name."""
    for key in ("wellid", "well id", "well"):
        well = normalise_well(keywords.get(key, ""))
        if well:
            return well
    for candidate in (keywords.get("src", ""), Path(path).name, keywords.get("fil", "")):
        well = well_in_name(candidate) if candidate else None
        if well:
            return well
    return None


def well_sort_key(well: str | None) -> tuple[int, int, int]:
    """Plate order A1, A2, ... H12; samples without a well go last."""
    if not well:
        return (1, 0, 0)
    return (0, ord(well[0]) - ord("A"), int(well[1:]))
