"""The shared benchmark tables: where they live, how to read them, their targets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from synthera.io import DEFAULT_MISSING, read_table

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


@dataclass(frozen=True)
class BenchmarkTable:
    name: str
    file: str
    target: str
    sensitive: tuple[str, ...] = ()
    member: str | None = None
    missing: tuple[str, ...] = DEFAULT_MISSING

    @property
    def path(self) -> Path:
        return SHARED / self.file

    def read(self) -> pd.DataFrame:
        return read_table(self.path, member=self.member, missing_values=self.missing)


TABLES = {
    t.name: t
    for t in (
        BenchmarkTable("census", "census.csv.gz", "income", ("sex", "race")),
        BenchmarkTable("bank_marketing", "bank_marketing.csv.gz", "y", ("marital",)),
        BenchmarkTable("creditcard_default", "creditcard_default.csv.gz", "has_default", ("sex",)),
        BenchmarkTable("online_shoppers", "online_shoppers.csv.gz", "Revenue"),
        BenchmarkTable(
            "diabetes130",
            "diabetes130.zip",
            "readmitted",
            ("race", "gender"),
            member="dataset_diabetes/diabetic_data.csv",
            missing=("?",),  # "None" is a real category there ("not measured")
        ),
    )
}
