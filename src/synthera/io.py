"""Reading and writing tables: CSV (plain, gzip, zip) and Parquet, with clear errors.

`read_table` accepts what people actually have on disk: any of four delimiters, UTF-8 with
or without a BOM (Windows-1252 / Latin-1 as a fallback), misnamed compressed files and
UCI-style missing markers. Every problem with a file becomes a one-line `TableReadError`
that names the file, never a parser traceback. `write_table` never clobbers the input and
never leaves a half-written file behind.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import os
import re
import secrets
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from synthera.errors import (
    ColumnNotFoundError,
    ParameterError,
    TableReadError,
    TableWriteError,
    one_line,
)

__all__ = [
    "DEFAULT_MISSING",
    "SUPPORTED_READ_FORMATS",
    "SUPPORTED_WRITE_FORMATS",
    "read_table",
    "split_holdout",
    "write_table",
]

# Cells equal to one of these (after leading spaces) read as missing. Deliberately much
# shorter than pandas' own list, which also swallows "n/a", "#N/A", "<NA>", "-nan", ...
DEFAULT_MISSING: tuple[str, ...] = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?")

SUPPORTED_READ_FORMATS = ".csv, .tsv, .txt, .csv.gz, .gz, .zip (holding CSV), .parquet, .pq"
SUPPORTED_WRITE_FORMATS = ".csv, .tsv, .csv.gz, .tsv.gz, .parquet, .pq"

DELIMITERS = ",;\t|"

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a normal archive, an empty archive
_PARQUET_MAGIC = b"PAR1"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy Office (.xls)
_SPREADSHEETS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".numbers")

_SAMPLE_CHUNK = 1 << 16
_SAMPLE_MAX = 8 << 20  # read more than one chunk only for very wide headers
_SAMPLE_LINES = 50  # lines wanted in the sample for sniffing and header checks
_SNIFF_CHARS = 8192  # csv.Sniffer is regex based and slow on long input

# Control characters that never occur in a text table; tab, newlines, form feed excluded.
_CONTROL_CHARS = "".join(chr(c) for c in [*range(0, 9), *range(14, 32), 11, 127])
_CONTROL_TABLE = str.maketrans("", "", _CONTROL_CHARS)
_BINARY_SHARE = 0.01

_FALLBACK_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")  # latin-1 decodes any byte

# pandas 3 parses floats exactly and deprecates the option; 2.x needs it asked for, so that
# a float written by write_table reads back bit for bit.
_FLOAT_OPTIONS: dict[str, Any] = (
    {} if int(pd.__version__.split(".", 1)[0]) >= 3 else {"float_precision": "round_trip"}
)

_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


# ---- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """Where the bytes of a text table come from; `open` may be called more than once."""

    label: str  # how messages name the table
    name: str  # the file or member name, whose extension hints at the delimiter
    open: Callable[[], IO[bytes] | io.BufferedIOBase]  # the caller closes what it returns
    container: str  # "plain", "gzip" or "zip", for messages about corrupt files
    path: Path | None = None  # a plain file: pandas reads it faster by name than by handle


def read_table(
    path: str | Path,
    *,
    delimiter: str | None = None,
    missing_values: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    encoding: str | None = None,
    member: str | None = None,
) -> pd.DataFrame:
    """Read a CSV (plain, .gz or inside a .zip) or Parquet file into a DataFrame.

    The format is found from the file's first bytes, then its extension, so a misnamed file
    still reads. For CSV, `delimiter=None` sniffs one of `, ; tab |`; `encoding=None` tries
    UTF-8 (BOM or not), then Windows-1252, then Latin-1. Cells equal to one of
    `missing_values` (default `DEFAULT_MISSING`) become missing; empty cells are always
    missing, so `missing_values=[]` keeps every non-empty string as it is. Leading spaces
    of cells and surrounding spaces of column names are dropped. `columns` reads only those
    columns, in that order. `member` names the CSV to read from a zip archive holding
    several; `archive.zip/inner/file.csv` works as a path too. Parquet ignores the
    text-only options.
    """
    path = Path(path).expanduser()
    delimiter = _check_delimiter(delimiter)
    if encoding is not None:
        _check_encoding(encoding)
    if isinstance(columns, str):
        columns = [columns]  # list("age") would ask for columns 'a', 'g' and 'e'
    if isinstance(missing_values, str):
        missing_values = [missing_values]
    wanted = list(dict.fromkeys(columns)) if columns is not None else None
    if wanted == []:
        raise ParameterError("columns is empty: name at least one column to read, or pass None")
    path, member = _split_zip_path(path, member)
    _check_file(path)

    head = _read_head(path)
    kind = _detect_kind(path, head)
    if member is not None and kind != "zip":
        raise TableReadError(f"{path} is not a zip archive, so it has no member {member!r}")
    if kind == "parquet":
        return _read_parquet(path, wanted)
    if kind == "gzip":
        source = _Source(str(path), path.name, lambda: gzip.open(path, "rb"), "gzip")  # noqa: SIM115
    elif kind == "zip":
        source = _zip_source(path, member)
    else:
        source = _Source(str(path), path.name, lambda: path.open("rb"), "plain", path)
    markers = DEFAULT_MISSING if missing_values is None else tuple(missing_values)
    return _read_text_table(
        source,
        delimiter=delimiter,
        missing=markers,
        columns=wanted,
        encoding=encoding,
    )


def _check_delimiter(delimiter: str | None) -> str | None:
    if delimiter is None:
        return None
    # Spelled out by people typing on a command line.
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    delimiter = named.get(delimiter.lower(), delimiter)
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise ParameterError(
            f"delimiter must be one character such as ',' or ';', not {delimiter!r}"
        )
    return delimiter


def _check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ParameterError(
            f"unknown text encoding {encoding!r} (try 'utf-8' or 'cp1252')"
        ) from None


def _split_zip_path(path: Path, member: str | None) -> tuple[Path, str | None]:
    """`data.zip/inner/file.csv` means member `inner/file.csv` of `data.zip`."""
    if member is not None or path.exists():
        return path, member
    for parent in path.parents:
        if parent.suffix.lower() == ".zip" and parent.is_file():
            return parent, path.relative_to(parent).as_posix()
    return path, member


def _check_file(path: Path) -> None:
    if not path.exists():
        hint = ""
        if not path.parent.exists():
            hint = f" (folder {path.parent} does not exist either)"
        raise TableReadError(f"file not found: {path}{hint}")
    if path.is_dir():
        raise TableReadError(f"{path} is a folder, not a table file")
    if not path.is_file():
        raise TableReadError(f"{path} is not a regular file")
    if path.stat().st_size == 0:
        raise TableReadError(f"{path} is empty (0 bytes)")


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(8)
    except OSError as exc:
        raise TableReadError(f"{path} cannot be opened: {exc.strerror or exc}") from None


def _detect_kind(path: Path, head: bytes) -> str:
    """'parquet', 'gzip', 'zip' or 'text': magic bytes first, so misnamed files read."""
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if head.startswith(_ZIP_MAGIC):
        if path.suffix.lower() in _SPREADSHEETS:
            raise TableReadError(_spreadsheet_message(path))
        return "zip"
    suffix = path.suffix.lower()
    if suffix in _SPREADSHEETS or head.startswith(_OLE_MAGIC):
        raise TableReadError(_spreadsheet_message(path))
    if suffix in (".parquet", ".pq") and not _looks_like_text(head):
        raise TableReadError(f"{path} is not a valid Parquet file (it lacks the PAR1 marker)")
    if suffix in (".gz", ".zip") and not _looks_like_text(head):
        what = "gzip file" if suffix == ".gz" else "zip archive"
        raise TableReadError(f"{path} is not a valid {what} (corrupt or not compressed)")
    return "text"


def _looks_like_text(head: bytes) -> bool:
    return not _is_binary(head.decode("latin-1"))


def _spreadsheet_message(path: Path) -> str:
    return (
        f"{path} looks like a spreadsheet, which is not supported: save it as CSV "
        f"(supported formats: {SUPPORTED_READ_FORMATS})"
    )


def _zip_source(path: Path, member: str | None) -> _Source:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [i.filename for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise TableReadError(f"{path} is not a valid zip archive ({one_line(str(exc))})") from None
    if member is None:
        tables = [n for n in names if _is_table_member(n)]
        if not tables:
            excel = " (it looks like an Excel workbook: save it as CSV)" * (
                "xl/workbook.xml" in names
            )
            raise TableReadError(
                f"{path} holds no CSV file{excel} (members: {_short_list(names) or 'none'})"
            )
        if len(tables) > 1:
            raise TableReadError(
                f"{path} holds several CSV files ({_short_list(tables)}); "
                "name the one to read as member"
            )
        member = tables[0]
    elif member not in names:
        # Accept a bare file name when exactly one member has it.
        matches = [n for n in names if n.rsplit("/", 1)[-1] == member]
        if len(matches) != 1:
            raise TableReadError(
                f"{path} has no member {member!r} (members: {_short_list(names) or 'none'})"
            )
        member = matches[0]
    chosen = member

    def open_member() -> IO[bytes]:
        archive = zipfile.ZipFile(path)
        try:
            # The member handle keeps working after the archive object is dropped.
            return archive.open(chosen)
        finally:
            archive.close()

    return _Source(f"{chosen} in {path}", chosen, open_member, "zip")


def _is_table_member(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    # macOS adds "__MACOSX/._name.csv" resource forks to archives it makes.
    if name.startswith("__MACOSX/") or base.startswith("._"):
        return False
    return base.lower().endswith((".csv", ".tsv"))


def _read_sample(source: _Source) -> tuple[bytes, bool]:
    """The first bytes of the table and whether they are all of it."""
    chunks: list[bytes] = []
    size = lines = 0
    try:
        with source.open() as handle:
            while size < _SAMPLE_MAX:
                chunk = handle.read(_SAMPLE_CHUNK)
                if not chunk:
                    return b"".join(chunks), True
                chunks.append(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
                if lines > _SAMPLE_LINES:
                    break
    except (
        OSError,
        EOFError,
        zlib.error,
        zipfile.BadZipFile,
        RuntimeError,
        NotImplementedError,
    ) as exc:
        raise _corrupt(source, exc) from None
    return b"".join(chunks), False


def _corrupt(source: _Source, exc: BaseException) -> TableReadError:
    if source.container == "plain":
        return TableReadError(f"{source.label} cannot be read: {one_line(str(exc))}")
    what = "gzip file" if source.container == "gzip" else "zip archive"
    return TableReadError(
        f"{source.label} could not be decompressed; the {what} is corrupt or truncated "
        f"({one_line(str(exc)) or type(exc).__name__})"
    )


def _decode_sample(
    sample: bytes, at_end: bool, encoding: str | None, label: str
) -> tuple[str, list[str]]:
    """The sample as text and the encodings to try on the whole file, best first."""
    if encoding is not None:
        candidates = [encoding]
    elif sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]  # Excel's "Unicode text" export
    else:
        candidates = list(_FALLBACK_ENCODINGS)
    for index, name in enumerate(candidates):
        decoder = codecs.getincrementaldecoder(name)(errors="strict")
        try:
            return decoder.decode(sample, final=at_end), candidates[index:]
        except UnicodeDecodeError as exc:
            if encoding is not None:
                raise TableReadError(
                    f"{label} is not valid {encoding} text (byte {exc.object[exc.start]:#04x} "
                    f"at position {exc.start}); check the encoding"
                ) from None
    raise TableReadError(f"{label} does not look like a text table")  # unreachable: latin-1


def _is_binary(text: str) -> bool:
    if not text:
        return False
    if "\x00" in text:
        return True
    controls = len(text) - len(text.translate(_CONTROL_TABLE))
    return controls / len(text) > _BINARY_SHARE


def _read_text_table(
    source: _Source,
    *,
    delimiter: str | None,
    missing: tuple[str, ...],
    columns: list[str] | None,
    encoding: str | None,
) -> pd.DataFrame:
    label = source.label
    sample, at_end = _read_sample(source)
    if not sample:
        raise TableReadError(f"{label} is empty once decompressed")
    text, encodings = _decode_sample(sample, at_end, encoding, label)
    if _is_binary(text):
        raise TableReadError(
            f"{label} does not look like a text table (binary content); "
            f"supported formats: {SUPPORTED_READ_FORMATS}"
        )
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise TableReadError(f"{label} contains only blank space; expected a header and rows")
    if not at_end:
        # The last line of a partial sample may be cut short; leave it out of the checks.
        text = text[: text.rfind("\n") + 1] or text
    if delimiter is None:
        delimiter = _sniff_delimiter(text, tab_first=".tsv" in source.name.lower())
    header, first_row = _parse_head(text, delimiter, complete=at_end, label=label)
    positions = _check_header(header, columns, label)
    if first_row is not None and first_row[1] > len(header):
        line, fields = first_row
        raise TableReadError(_ragged_message(label, line, fields, len(header), delimiter))

    # All columns are parsed even when only some are wanted: with `usecols` pandas skips
    # its check for rows with too many fields, and such a row shifts values silently.
    df = _parse_csv(source, delimiter, encodings, missing)
    if df.empty and len(df.columns) > 0:
        raise TableReadError(f"{label} has a header but no rows")
    if len(df.columns) == len(header):
        df.columns = pd.Index(header)  # unmangled, stripped names
    else:  # pragma: no cover - pandas and the csv module split the header alike
        positions = None
        df.columns = pd.Index([str(c).strip().removeprefix("\ufeff").strip() for c in df.columns])
    if columns is None:
        return df
    if positions is not None:
        df = df.iloc[:, positions]
    return df[columns]


def _parse_csv(
    source: _Source,
    delimiter: str,
    encodings: list[str],
    missing: tuple[str, ...],
) -> pd.DataFrame:
    label = source.label
    # Empty cells are always missing: without "" pandas would keep a numeric column with
    # a gap as strings.
    na_values = list(dict.fromkeys(["", *missing]))
    for position, encoding in enumerate(encodings):
        try:
            with contextlib.ExitStack() as stack:
                handle = source.path or stack.enter_context(source.open())
                return pd.read_csv(
                    handle,
                    sep=delimiter,
                    encoding=encoding,
                    compression=None,  # decided from the bytes already, not the name
                    engine="c",
                    header=0,
                    index_col=False,  # never turn a surplus first field into the index
                    na_values=na_values,
                    keep_default_na=False,
                    skipinitialspace=True,  # UCI files write ", State-gov"
                    on_bad_lines="error",
                    low_memory=False,  # one dtype per column, not one per chunk
                    quotechar='"',
                    **_FLOAT_OPTIONS,
                )
        except UnicodeDecodeError as exc:
            # Only a file whose bad bytes lie past the sniffed sample gets here.
            if position + 1 < len(encodings):
                continue
            raise TableReadError(
                f"{label} is not valid {encoding} text ({one_line(str(exc))}); check the encoding"
            ) from None
        except pd.errors.EmptyDataError:
            raise TableReadError(f"{label} has no header line") from None
        except pd.errors.ParserError as exc:
            raise TableReadError(_parser_message(label, str(exc), delimiter)) from None
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile, NotImplementedError) as exc:
            raise _corrupt(source, exc) from None
        except (ValueError, RuntimeError) as exc:
            raise TableReadError(f"{label} cannot be read: {one_line(str(exc))}") from None
    raise AssertionError("no encoding tried")  # pragma: no cover - encodings is never empty


def _parser_message(label: str, message: str, delimiter: str) -> str:
    ragged = _RAGGED.search(message)
    if ragged:
        expected, line, saw = (int(g) for g in ragged.groups())
        return _ragged_message(label, line, saw, expected, delimiter)
    open_quote = _OPEN_QUOTE.search(message)
    if open_quote:
        line = int(open_quote.group(1)) + 1
        return f"{label}: a quoted value that starts on line {line} is never closed (missing '\"')"
    detail = message.replace("Error tokenizing data. C error: ", "")
    return f"{label} is not a well-formed CSV file: {one_line(detail)}"


def _ragged_message(label: str, line: int, fields: int, expected: int, delimiter: str) -> str:
    return one_line(
        f"{label}: line {line} has {fields} fields but the header has {expected}; "
        f"quote values that contain {_delimiter_name(delimiter)}"
    )


def _delimiter_name(delimiter: str) -> str:
    return "tabs" if delimiter == "\t" else repr(delimiter)


def _records(text: str, delimiter: str) -> Iterable[tuple[int, list[str]]]:
    """(first line number, fields) of each non-blank record in `text`."""
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar='"',
        skipinitialspace=True,
        strict=False,
    )
    line = 1
    try:
        for row in reader:
            if row:
                yield line, row
            line = reader.line_num + 1
    except csv.Error:
        return  # a sample cut inside a huge field; what was read so far is enough


def _field_counts(text: str, delimiter: str) -> list[int]:
    counts = []
    for _, row in _records(text, delimiter):
        counts.append(len(row))
        if len(counts) >= _SAMPLE_LINES:
            break
    return counts


def _sniff_delimiter(text: str, *, tab_first: bool = False) -> str:
    """The delimiter among `, ; tab |` that splits the sample into steady columns."""
    scores: dict[str, tuple[float, int]] = {}
    for candidate in DELIMITERS:
        counts = _field_counts(text, candidate)
        if not counts or counts[0] < 2:
            continue
        rows = counts[1:]
        steady = sum(c == counts[0] for c in rows) / len(rows) if rows else 1.0
        scores[candidate] = (steady, counts[0])
    if not scores:
        return "\t" if tab_first else ","  # one column: any delimiter reads it the same
    regular = [d for d, (share, _) in scores.items() if share >= 0.9]
    if tab_first and "\t" in regular:
        return "\t"
    sniffed = _csv_sniffer(text)
    if sniffed is not None and sniffed in regular:
        return sniffed
    # Steadiest first, then the one giving more columns; string order breaks ties.
    return max(scores, key=lambda d: (scores[d], -DELIMITERS.index(d)))


def _csv_sniffer(text: str) -> str | None:
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return None


def _parse_head(
    text: str, delimiter: str, *, complete: bool, label: str
) -> tuple[list[str], tuple[int, int] | None]:
    """The header names and (line, field count) of the first data row, if the sample has one."""
    records = iter(_records(text, delimiter))
    first = next(records, None)
    if first is None:
        raise TableReadError(f"{label} has no header line")
    header = [name.strip().removeprefix("\ufeff").strip() for name in first[1]]
    second = next(records, None)
    if second is None:
        if complete:
            raise TableReadError(f"{label} has a header but no rows")
        return header, None
    return header, (second[0], len(second[1]))


def _check_header(header: list[str], columns: list[str] | None, label: str) -> list[int] | None:
    """Reject headers pandas would silently repair; map `columns` to positions."""
    if columns is None:
        empty = [str(i + 1) for i, name in enumerate(header) if not name]
        if empty:
            hint = ""
            if empty == [str(len(header))]:
                hint = " (does every line end with a delimiter?)"
            elif empty == ["1"]:
                hint = " (a saved row index?)"
            raise TableReadError(
                f"{label}: the header has no name for column {', '.join(empty)}{hint}; "
                "name every column"
            )
        selected = header
    else:
        missing = [c for c in columns if c not in header]
        if missing:
            shown = ", ".join(repr(m) for m in missing[:5])
            raise ColumnNotFoundError(
                f"{label} has no column {shown} (columns: {_short_list(header)})"
            )
        selected = [name for name in header if name in columns]
    duplicated = sorted({n for n in selected if selected.count(n) > 1})
    if duplicated:
        shown = ", ".join(repr(d) for d in duplicated)
        raise TableReadError(f"{label}: the header names column {shown} more than once")
    if columns is None:
        return None
    return [i for i, name in enumerate(header) if name in columns]


def _read_parquet(path: Path, columns: list[str] | None) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as parquet:
            names = list(parquet.schema_arrow.names)
            if columns is not None:
                missing = [c for c in columns if c not in names]
                if missing:
                    shown = ", ".join(repr(m) for m in missing[:5])
                    raise ColumnNotFoundError(
                        f"{path} has no column {shown} (columns: {_short_list(names)})"
                    )
            table = parquet.read(columns=columns, use_pandas_metadata=True)
        df = table.to_pandas()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise TableReadError(f"{path} is not a valid Parquet file ({one_line(str(exc))})") from None
    if any(name is not None for name in df.index.names):
        df = df.reset_index()  # a named index is data the writer meant to keep
    elif not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index(drop=True)
    names = [str(c) for c in df.columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        shown = ", ".join(repr(d) for d in duplicated)
        raise TableReadError(f"{path} names column {shown} more than once")
    if len(df.columns) == 0:
        raise TableReadError(f"{path} has no columns")
    if df.empty:
        raise TableReadError(f"{path} has columns but no rows")
    return df[columns] if columns is not None else df


def _short_list(names: Sequence[Any], limit: int = 8) -> str:
    shown = ", ".join(str(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# ---- writing ------------------------------------------------------------------------------


def write_table(
    df: pd.DataFrame,
    path: str | Path,
    *,
    protect: Iterable[str | Path] = (),
    overwrite: bool = True,
) -> Path:
    """Write `df` as CSV (.csv, .tsv, gzipped with .gz) or Parquet (.parquet, .pq).

    Refuses to write onto any file in `protect` (the inputs, however spelled) and, with
    `overwrite=False`, onto any existing file. The file appears complete or not at all.
    Missing values are written as empty CSV cells, datetimes in ISO format; the index is
    not written. Returns the path written.
    """
    path = Path(path).expanduser()
    kind, separator, compressed = _output_format(path)
    for guarded in protect:
        if _same_file(path, Path(guarded).expanduser()):
            raise TableWriteError(
                f"refusing to write {path}: it is the input file {guarded}; choose another path"
            )
    if path.is_dir():
        raise TableWriteError(f"cannot write {path}: it is a folder")
    names = [str(c) for c in df.columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        # read_table refuses such a file, so do not write one.
        shown = ", ".join(repr(d) for d in duplicated)
        raise TableWriteError(f"cannot write {path}: the table has column {shown} twice")
    if not overwrite and path.exists():
        raise TableWriteError(f"{path} already exists; remove it or allow overwriting")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = _reserve_temp(path)
    except OSError as exc:
        raise TableWriteError(f"cannot write {path}: {exc.strerror or exc}") from None

    done = False
    try:
        if kind == "parquet":
            df.to_parquet(temp, index=False, engine="pyarrow")
        else:
            _write_csv(df, temp, separator, compressed=compressed)
        _fsync(temp)
        if path.exists():
            # Keep the permissions the user gave the file being replaced.
            temp.chmod(stat.S_IMODE(path.stat().st_mode))
        temp.replace(path)  # atomic: readers see the old file or the new one
        done = True
    except OSError as exc:
        raise TableWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
    except (ValueError, TypeError, NotImplementedError) as exc:
        # pandas and pyarrow refusing the data, e.g. a column mixing numbers and text.
        # pyarrow puts several strings in args, which str() would print as a tuple.
        detail = "; ".join(str(a) for a in exc.args) if exc.args else type(exc).__name__
        hint = " (Parquet needs one type per column)" if kind == "parquet" else ""
        raise TableWriteError(one_line(f"cannot write {path}: {detail}{hint}")) from None
    finally:
        if not done:
            with contextlib.suppress(OSError):
                temp.unlink()
    return path


def _write_csv(df: pd.DataFrame, temp: Path, separator: str, *, compressed: bool) -> None:
    with contextlib.ExitStack() as stack:
        raw: IO[bytes] | gzip.GzipFile = stack.enter_context(temp.open("wb"))
        if compressed:
            # No file name (it would be the temp name) and mtime 0: same table, same bytes.
            raw = stack.enter_context(
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
            )
        text = stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        df.to_csv(text, sep=separator, index=False, na_rep="", lineterminator="\n")


def _output_format(path: Path) -> tuple[str, str, bool]:
    """(kind, CSV separator, gzipped) for an output path."""
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet", ",", False
    compressed = name.endswith(".gz")
    base = name.removesuffix(".gz")
    if base.endswith(".tsv"):
        return "csv", "\t", compressed
    if base.endswith((".csv", ".txt")) or (compressed and "." not in base):
        return "csv", ",", compressed
    raise TableWriteError(
        f"cannot write {path}: unsupported extension (supported formats: {SUPPORTED_WRITE_FORMATS})"
    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.resolve() == b.resolve():
            return True
    except (OSError, RuntimeError):
        pass
    try:
        return a.samefile(b)  # hard links, case-insensitive file systems
    except OSError:
        return False


def _reserve_temp(target: Path) -> Path:
    """A new empty file beside `target`, so that os.replace stays on one file system."""
    while True:
        temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            # 0o666 lets the umask decide, as for any file the user creates.
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return temp


def _fsync(path: Path) -> None:
    with path.open("rb+") as handle:  # writable, as Windows wants for fsync
        os.fsync(handle.fileno())


# ---- splitting ----------------------------------------------------------------------------


def split_holdout(
    df: pd.DataFrame,
    *,
    fraction: float = 0.2,
    seed: int = 0,
    stratify: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into (train, holdout) with `fraction` of them held out, reproducibly.

    With `stratify`, each value of that column (missing included) keeps its share on both
    sides; if some value has fewer than two rows the split is plain random. Both parts
    keep the original row order and get a fresh 0..n-1 index.
    """
    if not 0 < fraction < 1:
        raise ParameterError(f"holdout fraction must be between 0 and 1, not {fraction}")
    n_rows = len(df)
    n_holdout = round(n_rows * fraction)
    if n_holdout < 1 or n_holdout >= n_rows:
        raise ParameterError(
            f"cannot hold out {fraction:.0%} of {n_rows} rows: both parts need at least one row"
        )
    rng = np.random.default_rng(seed)
    chosen: np.ndarray | None = None
    if stratify is not None:
        if stratify not in df.columns:
            raise ColumnNotFoundError(
                f"stratify column {stratify!r} does not exist (columns: "
                f"{_short_list(list(df.columns))})"
            )
        codes, _ = pd.factorize(df[stratify], use_na_sentinel=False)
        counts = np.bincount(codes)
        if counts.min() >= 2:
            chosen = _stratified_pick(codes, counts, n_holdout, rng)
    if chosen is None:
        chosen = rng.choice(n_rows, size=n_holdout, replace=False)
    mask = np.zeros(n_rows, dtype=bool)
    mask[chosen] = True
    train = df.iloc[np.flatnonzero(~mask)].reset_index(drop=True)
    holdout = df.iloc[np.flatnonzero(mask)].reset_index(drop=True)
    return train, holdout


def _stratified_pick(
    codes: np.ndarray, counts: np.ndarray, n_holdout: int, rng: np.random.Generator
) -> np.ndarray:
    """Row positions for the holdout, each class getting its share (largest remainders)."""
    quotas = counts * n_holdout / counts.sum()
    take = np.floor(quotas).astype(int)
    short = n_holdout - int(take.sum())
    if short:
        # Classes with the largest remainders get one more row; random among equals.
        order = np.lexsort((rng.random(len(counts)), -(quotas - take)))
        take[order[:short]] += 1
    picks = [
        rng.choice(np.flatnonzero(codes == k), size=int(n), replace=False)
        for k, n in enumerate(take)
        if n
    ]
    return np.concatenate(picks) if picks else np.empty(0, dtype=int)
