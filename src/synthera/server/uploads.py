"""An uploaded file becomes a dataset: the same reading and checks as the CLI.

The file is streamed to a private folder under tmp/, read with `read_table` (so a bad file
gets exactly the message `synthera schema infer` would print, naming the uploaded file),
checked against the upload limits, split into train and holdout parts (seeded) and given
an inferred schema. Only when all of that worked does the folder move into files/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from synthera.errors import SyntheraError, one_line
from synthera.io import read_table, split_holdout, write_table
from synthera.schema import Schema
from synthera.server.config import MB, Settings
from synthera.server.storage import Storage, remove

CHUNK = 1 << 20
_KNOWN_SUFFIXES = (".csv.gz", ".tsv.gz", ".txt.gz")
_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


class UploadTooLargeError(SyntheraError):
    """The upload breaks one of the server's limits (bytes, rows or columns)."""


@dataclass
class StoredTable:
    """What an upload produced: a tmp folder holding the parts, and facts for the database."""

    folder: Path
    name: str
    file_format: str
    size_bytes: int
    n_rows: int
    n_train: int
    n_holdout: int
    columns: list[str]
    schema: Schema
    notes: list[str]


def display_name(filename: str | None) -> str:
    """The name messages use: the last part of what the browser sent, without oddities."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:200] or "upload"


def stored_suffix(name: str) -> str:
    """The extension kept on the stored original, since read_table looks at it."""
    lower = name.lower()
    for suffix in _KNOWN_SUFFIXES:
        if lower.endswith(suffix):
            return suffix
    suffix = Path(lower).suffix
    return suffix if _SAFE_SUFFIX.match(suffix) else ""


def receive_upload(
    source: BinaryIO,
    filename: str | None,
    settings: Settings,
    storage: Storage,
    *,
    holdout_fraction: float,
    seed: int,
) -> StoredTable:
    """Store and check one upload; on any error nothing is left behind."""
    name = display_name(filename)
    folder = storage.new_tmp_dir()
    try:
        original = folder / f"original{stored_suffix(name)}"
        size = _copy_limited(source, original, settings.max_upload_bytes, name)
        try:
            table = read_table(original)
        except SyntheraError as exc:
            # The CLI's message, naming the file as the user knows it.
            raise type(exc)(one_line(str(exc).replace(str(original), name))) from None
        _check_shape(table, settings, name)
        return _split_and_describe(table, folder, original, name, size, holdout_fraction, seed)
    except BaseException:
        remove(folder)
        raise


def _copy_limited(source: BinaryIO, target: Path, limit: int, name: str) -> int:
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise UploadTooLargeError(too_large_message(name, limit))
            out.write(chunk)
    return size


def too_large_message(name: str, limit: int) -> str:
    size = f"{limit / MB:g} MB" if limit >= MB else f"{limit // 1024:,} kB"
    return (
        f"{name} is larger than this server's upload limit of {size}; upload a smaller file "
        "or ask an admin to raise SYNTHERA_MAX_UPLOAD_MB"
    )


def _check_shape(table: pd.DataFrame, settings: Settings, name: str) -> None:
    rows, columns = table.shape
    if rows > settings.max_rows:
        raise UploadTooLargeError(
            f"{name} has {rows:,} rows; this server accepts at most {settings.max_rows:,} "
            "(SYNTHERA_MAX_ROWS)"
        )
    if columns > settings.max_columns:
        raise UploadTooLargeError(
            f"{name} has {columns:,} columns; this server accepts at most "
            f"{settings.max_columns:,} (SYNTHERA_MAX_COLUMNS)"
        )


def _split_and_describe(
    table: pd.DataFrame,
    folder: Path,
    original: Path,
    name: str,
    size: int,
    holdout_fraction: float,
    seed: int,
) -> StoredTable:
    if holdout_fraction > 0:
        train, holdout = split_holdout(table, fraction=holdout_fraction, seed=seed)
        write_table(holdout, folder / "holdout.parquet")
    else:
        train, holdout = table, table.iloc[0:0]
    write_table(train, folder / "train.parquet")
    schema, notes = infer_schema(train)
    return StoredTable(
        folder=folder,
        name=name,
        file_format=original.suffix.lstrip(".") or "csv",
        size_bytes=size,
        n_rows=len(table),
        n_train=len(train),
        n_holdout=len(holdout),
        columns=[str(c) for c in table.columns],
        schema=schema,
        notes=notes,
    )


def infer_schema(train: pd.DataFrame) -> tuple[Schema, list[str]]:
    """`Schema.infer`, leaving out (with a note) columns that hold no value at all."""
    empty = [str(c) for c in train.columns if train[c].isna().all()]
    schema = Schema.infer(train, drop=empty)
    notes = [*schema.notes]
    notes += [f"{c!r} is entirely missing: left out of the schema" for c in empty]
    return schema, notes
