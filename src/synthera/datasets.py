"""Built-in real tables, shipped by light dependencies, for demos and smoke runs.

The demo table is the Palmer penguins data (Gorman, Williams & Fraser 2014, Palmer Station
LTER), raw version: 344 penguins × 17 columns with measurements, categories, dates, ids,
yes/no flags, free-text comments and missing values. The data is CC0; it ships inside the
`palmerpenguins` package (MIT).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

from synthera.io import read_table


@dataclass(frozen=True)
class BuiltinTable:
    name: str
    frame: pd.DataFrame
    target: str
    sensitive: tuple[str, ...]
    source: str


DEMO_SOURCE = (
    "Palmer penguins, raw table (Gorman, Williams & Fraser 2014; Palmer Station LTER), "
    "CC0, shipped in the palmerpenguins package"
)


def load_demo_table() -> BuiltinTable:
    """The built-in demo table: Palmer penguins (raw), target `Species`, sensitive `Sex`."""
    data = resources.files("palmerpenguins") / "data" / "penguins-raw.csv"
    with resources.as_file(data) as path:
        frame = read_table(path)
    return BuiltinTable(
        name="penguins",
        frame=frame,
        target="Species",
        sensitive=("Sex",),
        source=DEMO_SOURCE,
    )
