"""Tests for synthera.io: reading every table people have, and failing clearly on the rest."""

from __future__ import annotations

import gzip
import io
import os
import random
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthera.errors import ColumnNotFoundError, ParameterError, TableReadError, TableWriteError
from synthera.io import DEFAULT_MISSING, read_table, split_holdout, write_table

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def put(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    data = content.encode(encoding) if isinstance(content, str) else content
    path.write_bytes(data)
    return path


def one_line_error(excinfo: pytest.ExceptionInfo[BaseException], *needles: str) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and message.strip() == message and message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [39, 50, 38, 53],
            "income": [1.5, np.nan, 3.25, -4.0],
            "city": ["Paris", None, "Zürich", "São Paulo"],
            "flag": [True, False, True, True],
        }
    )


# ---- round trips -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["t.csv", "t.tsv", "t.csv.gz", "t.parquet", "t.pq", "t.gz"])
def test_round_trip_keeps_values_and_dtypes(tmp_path: Path, name: str) -> None:
    df = sample_frame()
    written = write_table(df, tmp_path / name)
    assert written == tmp_path / name
    back = read_table(written)
    assert list(back.columns) == list(df.columns)
    assert pd.api.types.is_integer_dtype(back["age"])
    assert pd.api.types.is_float_dtype(back["income"])
    assert pd.api.types.is_bool_dtype(back["flag"])
    assert back["age"].tolist() == df["age"].tolist()
    assert back["income"].isna().tolist() == [False, True, False, False]
    assert back["city"].isna().tolist() == [False, True, False, False]
    assert back["city"].dropna().tolist() == ["Paris", "Zürich", "São Paulo"]
    # str dtype on pandas 3, object holding str on pandas 2.2
    assert back["city"].dtype == object or pd.api.types.is_string_dtype(back["city"])
    assert all(isinstance(v, str) for v in back["city"].dropna())


def test_round_trip_zip(tmp_path: Path) -> None:
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("inner/table.csv", "a,b\n1,x\n2,?\n")
        zf.writestr("README.txt", "not a table")
        zf.writestr("__MACOSX/inner/._table.csv", b"\x00\x05\x16\x07")
    df = read_table(archive)
    assert df["a"].tolist() == [1, 2]
    assert df["b"].isna().tolist() == [False, True]


def test_pandas_string_dtype_round_trip(tmp_path: Path) -> None:
    df = pd.DataFrame({"s": pd.array(["a", None, "c"], dtype="string"), "n": [1, 2, 3]})
    for name in ("s.csv", "s.parquet"):
        back = read_table(write_table(df, tmp_path / name))
        assert back["s"].isna().tolist() == [False, True, False]
        assert back["s"].dropna().tolist() == ["a", "c"]
        assert back["n"].tolist() == [1, 2, 3]


def test_write_csv_uses_iso_datetimes_and_empty_missing(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "day": pd.to_datetime(["2021-03-04", None]),
            "at": pd.to_datetime(["2021-03-04 05:06:07", "2022-01-01 00:00:01"]),
            "x": [1.0, np.nan],
        }
    )
    text = write_table(df, tmp_path / "d.csv").read_text()
    assert text == "day,at,x\n2021-03-04,2021-03-04 05:06:07,1.0\n,2022-01-01 00:00:01,\n"
    back = read_table(tmp_path / "d.csv")
    assert pd.to_datetime(back["at"]).tolist() == df["at"].tolist()


def test_gzip_output_is_deterministic(tmp_path: Path) -> None:
    a = write_table(sample_frame(), tmp_path / "a.csv.gz").read_bytes()
    time.sleep(0.01)
    b = write_table(sample_frame(), tmp_path / "b.csv.gz").read_bytes()
    assert a == b and a[:2] == b"\x1f\x8b"


@pytest.mark.parametrize(
    ("writer", "name"),
    [
        (lambda df, p: p.write_bytes(gzip.compress(df.to_csv(index=False).encode())), "x.csv"),
        (lambda df, p: df.to_parquet(p, index=False), "x.csv"),
        (lambda df, p: df.to_parquet(p, index=False), "x.dat"),
        (lambda df, p: p.write_text(df.to_csv(index=False)), "x.parquet"),
        (lambda df, p: p.write_text(df.to_csv(index=False)), "x.gz"),
        (lambda df, p: p.write_text(df.to_csv(index=False)), "noextension"),
    ],
    ids=["gz-as-csv", "parquet-as-csv", "parquet-as-dat", "csv-as-parquet", "csv-as-gz", "csv"],
)
def test_misnamed_files_are_read_by_content(
    tmp_path: Path, writer: Callable[[pd.DataFrame, Path], object], name: str
) -> None:
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    writer(df, tmp_path / name)
    back = read_table(tmp_path / name)
    assert back["a"].tolist() == [1, 2] and back["b"].tolist() == ["x", "y"]


# ---- delimiters, quoting, encodings ------------------------------------------------------


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, sep: str) -> None:
    others = "".join(d for d in ",;\t|" if d != sep)
    rows = [
        sep.join(["id", "name", "note"]),
        sep.join(["1", "alice", f'"has {others} and {sep} inside"']),
        sep.join(["2", "bob", "plain"]),
        sep.join(["3", "carol", ""]),
    ]
    df = read_table(put(tmp_path / "t.txt", "\n".join(rows) + "\n"))
    assert list(df.columns) == ["id", "name", "note"]
    assert df["id"].tolist() == [1, 2, 3]
    assert df["note"].iloc[0] == f"has {others} and {sep} inside"
    assert pd.isna(df["note"].iloc[2])


def test_semicolon_file_with_decimal_commas(tmp_path: Path) -> None:
    text = "name;price;qty\nwidget;1,50;3\ngadget;2,75;4\nthing;3;5\n"
    df = read_table(put(tmp_path / "eu.csv", text))
    assert list(df.columns) == ["name", "price", "qty"]
    assert df["price"].tolist() == ["1,50", "2,75", "3"]


def test_quoted_fields_with_delimiters_and_newlines(tmp_path: Path) -> None:
    text = 'id,comment,score\n1,"hello, world",3\n2,"two\nlines, and ""quotes""",4\n3,x,5\n'
    df = read_table(put(tmp_path / "q.csv", text))
    assert df.shape == (3, 3)
    assert df["comment"].tolist() == ["hello, world", 'two\nlines, and "quotes"', "x"]
    assert df["score"].tolist() == [3, 4, 5]


def test_crlf_line_endings(tmp_path: Path) -> None:
    df = read_table(put(tmp_path / "w.csv", "a;b\r\n1;x\r\n2;y\r\n"))
    assert df["b"].tolist() == ["x", "y"]
    assert df["a"].tolist() == [1, 2]


def test_explicit_delimiter_is_honoured(tmp_path: Path) -> None:
    path = put(tmp_path / "semi.csv", "a;b\n1;2\n")
    df = read_table(path, delimiter=",")
    assert list(df.columns) == ["a;b"]  # read as one column, as asked
    assert read_table(path, delimiter="semicolon")["b"].tolist() == [2]
    assert read_table(put(tmp_path / "t.csv", "a\tb\n1\t2\n"), delimiter="\\t").shape == (1, 2)


def test_bad_delimiter_parameter(tmp_path: Path) -> None:
    path = put(tmp_path / "a.csv", "a,b\n1,2\n")
    with pytest.raises(ParameterError):
        read_table(path, delimiter=",,")


def test_single_column_file(tmp_path: Path) -> None:
    df = read_table(put(tmp_path / "one.csv", "value\n1\n2\n3\n"))
    assert list(df.columns) == ["value"] and df["value"].tolist() == [1, 2, 3]


def test_tsv_extension_prefers_tab(tmp_path: Path) -> None:
    df = read_table(put(tmp_path / "one.tsv", "a, b\tc\n1, 2\t3\n"))
    assert list(df.columns) == ["a, b", "c"]


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = put(tmp_path / "bom.csv", "\ufeffid,name\n1,Ünal\n")
    df = read_table(path)
    assert list(df.columns) == ["id", "name"]
    assert df["name"].tolist() == ["Ünal"]
    assert list(read_table(path, encoding="utf-8").columns) == ["id", "name"]


def test_latin1_and_cp1252_fallback(tmp_path: Path) -> None:
    df = read_table(put(tmp_path / "l.csv", "city,price\nBogotá,5 €\nMünchen,3\n", "cp1252"))
    assert df["city"].tolist() == ["Bogotá", "München"]
    assert df["price"].tolist() == ["5 €", "3"]
    # 0x81 is undefined in cp1252, so only Latin-1 can decode this one.
    df = read_table(put(tmp_path / "m.csv", b"a,b\n\xe9\x81,1\n"))
    assert df["a"].tolist() == ["é\x81"]


def test_fallback_when_bad_bytes_lie_past_the_sample(tmp_path: Path) -> None:
    rows = [f"{i},{'x' * 40}" for i in range(3000)]
    path = put(tmp_path / "late.csv", "\n".join(["n,s", *rows, "3000,café"]) + "\n", "latin-1")
    df = read_table(path)
    assert len(df) == 3001 and df["s"].iloc[-1] == "café"


def test_explicit_encoding_is_honoured(tmp_path: Path) -> None:
    path = put(tmp_path / "l.csv", "a\ncafé\n", "latin-1")
    with pytest.raises(TableReadError) as excinfo:
        read_table(path, encoding="utf-8")
    one_line_error(excinfo, "l.csv", "utf-8")
    assert read_table(path, encoding="latin-1")["a"].tolist() == ["café"]
    with pytest.raises(ParameterError):
        read_table(path, encoding="no-such-codec")


def test_utf16_with_bom(tmp_path: Path) -> None:
    df = read_table(put(tmp_path / "u.txt", "a\tb\n1\tÅse\n", "utf-16"))
    assert df["b"].tolist() == ["Åse"]


# ---- missing values, whitespace, columns -----------------------------------------------


def test_default_missing_markers(tmp_path: Path) -> None:
    text = "n,s\n1,NA\n?,N/A\n3,null\n4,None\n,nan\n6,kept\n7,n/a\n"
    df = read_table(put(tmp_path / "m.csv", text))
    assert df["n"].isna().tolist() == [False, True, False, False, True, False, False]
    assert pd.api.types.is_float_dtype(df["n"])
    assert df["s"].isna().tolist() == [True, True, True, True, True, False, False]
    assert df["s"].iloc[-1] == "n/a"  # not one of ours, though pandas would drop it
    assert "?" in DEFAULT_MISSING and "" in DEFAULT_MISSING


def test_custom_missing_markers(tmp_path: Path) -> None:
    path = put(tmp_path / "m.csv", "country,weight\nNA,?\nFR,70\nDE,\n")
    df = read_table(path, missing_values=["?"])
    assert df["country"].tolist() == ["NA", "FR", "DE"]  # Namibia survives
    assert df["weight"].isna().tolist() == [True, False, True]
    assert pd.api.types.is_float_dtype(df["weight"])
    df = read_table(path, missing_values=[])
    assert df["weight"].tolist()[:2] == ["?", "70"] and pd.isna(df["weight"].iloc[2])


def test_uci_style_leading_spaces_and_question_marks(tmp_path: Path) -> None:
    text = "age, workclass, hours\n39, State-gov, 40\n50, ?, 13\n38, Private, ?\n"
    df = read_table(put(tmp_path / "adult.data", text))
    assert list(df.columns) == ["age", "workclass", "hours"]
    assert df["workclass"].tolist()[0] == "State-gov"
    assert df["workclass"].isna().tolist() == [False, True, False]
    assert df["hours"].isna().tolist() == [False, False, True]


def test_columns_are_selected_in_requested_order(tmp_path: Path) -> None:
    path = put(tmp_path / "c.csv", "a,b,c\n1,2,3\n4,5,6\n")
    df = read_table(path, columns=["c", "a"])
    assert list(df.columns) == ["c", "a"] and df["c"].tolist() == [3, 6]
    parquet = write_table(read_table(path), tmp_path / "c.parquet")
    assert list(read_table(parquet, columns=["c", "a"]).columns) == ["c", "a"]


@pytest.mark.parametrize("name", ["c.csv", "c.parquet"])
def test_unknown_column_is_named(tmp_path: Path, name: str) -> None:
    path = write_table(pd.DataFrame({f"col{i}": [i] for i in range(20)}), tmp_path / name)
    with pytest.raises(ColumnNotFoundError) as excinfo:
        read_table(path, columns=["col1", "nope"])
    message = one_line_error(excinfo, "'nope'", name, "col0", "(20 in all)")
    assert "col19" not in message  # the list of columns is shortened


def test_single_strings_are_not_split_into_letters(tmp_path: Path) -> None:
    path = put(tmp_path / "c.csv", "age,NA\n1,NA\n2,x\n")
    df = read_table(path, columns="age", missing_values="NA")
    assert df.to_dict("list") == {"age": [1, 2]}
    assert read_table(path, missing_values="NA")["NA"].isna().tolist() == [True, False]


def test_very_wide_header(tmp_path: Path) -> None:
    names = [f"column_number_{i}" for i in range(6000)]  # a header line of ~100 KB
    text = ";".join(names) + "\n" + ";".join(map(str, range(6000))) + "\n"
    df = read_table(put(tmp_path / "wide.csv", text))
    assert df.shape == (1, 6000) and df["column_number_5999"].iloc[0] == 5999


def test_empty_columns_argument(tmp_path: Path) -> None:
    with pytest.raises(ParameterError):
        read_table(put(tmp_path / "c.csv", "a\n1\n"), columns=[])


# ---- bad inputs ------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TableReadError) as excinfo:
        read_table(tmp_path / "nope.csv")
    one_line_error(excinfo, "not found", "nope.csv")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(TableReadError) as excinfo:
        read_table(tmp_path)
    one_line_error(excinfo, "folder", str(tmp_path))


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty (0 bytes)"),
        (b"   \n\n\t \r\n", "only blank space"),
        (b"\xef\xbb\xbf\n", "only blank space"),
        (b"a,b,c\n", "has a header but no rows"),
        (b"a,b,c\n\n\n", "has a header but no rows"),
        (gzip.compress(b"", mtime=0), "empty once decompressed"),
        (gzip.compress(b"a,b\n", mtime=0), "has a header but no rows"),
    ],
    ids=["zero-bytes", "blank", "bom-only", "header", "header-blank", "gz-empty", "gz-header"],
)
def test_empty_tables(tmp_path: Path, content: bytes, needle: str) -> None:
    with pytest.raises(TableReadError) as excinfo:
        read_table(put(tmp_path / "e.csv", content))
    one_line_error(excinfo, needle, "e.csv")


def test_parquet_without_rows(tmp_path: Path) -> None:
    pd.DataFrame({"a": pd.Series([], dtype="int64")}).to_parquet(tmp_path / "e.parquet")
    with pytest.raises(TableReadError) as excinfo:
        read_table(tmp_path / "e.parquet")
    one_line_error(excinfo, "e.parquet", "no rows")


@pytest.mark.parametrize(
    ("header", "names"),
    [("a,b,a", "'a'"), ("x,y,x,y", "'x', 'y'"), ("a, b,b ", "'b'")],
)
def test_duplicate_column_names(tmp_path: Path, header: str, names: str) -> None:
    width = header.count(",") + 1
    path = put(tmp_path / "d.csv", f"{header}\n" + ",".join(["1"] * width) + "\n")
    with pytest.raises(TableReadError) as excinfo:
        read_table(path)
    one_line_error(excinfo, "d.csv", names, "more than once")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a,,c\n1,2,3\n", "column 2;"),
        (",a,b\n0,1,2\n", "column 1 (a saved row index?)"),
        ("a,b,\n1,2,\n", "column 3 (does every line end with a delimiter?)"),
        ('a,"  ",c,\n1,2,3,\n', "column 2, 4;"),
    ],
)
def test_empty_column_names(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(TableReadError) as excinfo:
        read_table(put(tmp_path / "n.csv", text))
    one_line_error(excinfo, "n.csv", "no name", needle)


def test_bad_names_outside_the_selection_are_fine(tmp_path: Path) -> None:
    df = read_table(put(tmp_path / "n.csv", ",a,b\n0,1,2\n1,3,4\n"), columns=["b"])
    assert df["b"].tolist() == [2, 4]
    path = put(tmp_path / "d.csv", "a,a,b\n1,2,3\n")
    assert read_table(path, columns=["b"]).to_dict("list") == {"b": [3]}
    with pytest.raises(TableReadError) as excinfo:
        read_table(path, columns=["b", "a"])
    one_line_error(excinfo, "d.csv", "'a' more than once")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a,b\n1,2\n3,4,5\n6,7\n", 3),
        ("a,b\n0,1,2\n1,3,4\n", 2),  # pandas would silently make column 0 the index
        ("a,b\n\n1,2\n\n3,4,5\n", 5),
        ("a;b\n1;2\n3;4\n5;6;7\n", 4),
    ],
)
def test_ragged_rows_name_the_line(tmp_path: Path, text: str, line: int) -> None:
    with pytest.raises(TableReadError) as excinfo:
        read_table(put(tmp_path / "r.csv", text))
    one_line_error(excinfo, "r.csv", f"line {line} has 3 fields but the header has 2")


def test_ragged_rows_are_caught_when_reading_some_columns(tmp_path: Path) -> None:
    path = put(tmp_path / "r.csv", "name,age,city\nAnn,30,Oslo\nSmith, John,40,Rome\n")
    with pytest.raises(TableReadError) as excinfo:
        read_table(path, columns=["age"])
    one_line_error(excinfo, "r.csv", "line 3 has 4 fields but the header has 3")


def test_ragged_row_past_the_sample(tmp_path: Path) -> None:
    rows = [f"{i},x" for i in range(2, 500)]
    rows[300] = "302,x,extra"
    path = put(tmp_path / "r.csv.gz", gzip.compress(("a,b\n" + "\n".join(rows)).encode()))
    with pytest.raises(TableReadError) as excinfo:
        read_table(path)
    one_line_error(excinfo, "r.csv.gz", "line 302 has 3 fields")


def test_unclosed_quote(tmp_path: Path) -> None:
    with pytest.raises(TableReadError) as excinfo:
        read_table(put(tmp_path / "q.csv", 'a,b\n1,"open\n2,3\n'))
    one_line_error(excinfo, "q.csv", "line 2", "never closed")


@pytest.mark.parametrize(
    "content",
    [
        random.Random(0).randbytes(4096),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)),
        b"a,b\n1,\x00\x00\x00\n",
        b"\x01\x02\x03\x04\x05\x06\x07\x08garbage\x0e\x0f",
    ],
    ids=["random", "png", "nul", "controls"],
)
def test_binary_garbage(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(TableReadError) as excinfo:
        read_table(put(tmp_path / "g.csv", content))
    one_line_error(excinfo, "g.csv", "does not look like a text table", ".parquet")


@pytest.mark.parametrize(
    "content", [b"PK\x03\x04" + bytes(60), b"\xd0\xcf\x11\xe0" + bytes(60)], ids=["xlsx", "xls"]
)
def test_spreadsheets_are_refused_with_the_supported_formats(
    tmp_path: Path, content: bytes
) -> None:
    with pytest.raises(TableReadError) as excinfo:
        read_table(put(tmp_path / "book.xlsx", content))
    one_line_error(excinfo, "book.xlsx", "spreadsheet", "save it as CSV", ".csv.gz, .gz")


def test_excel_workbook_renamed_to_zip(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "book.zip", "w") as zf:
        zf.writestr("[Content_Types].xml", "<xml/>")
        zf.writestr("xl/workbook.xml", "<xml/>")
    with pytest.raises(TableReadError) as excinfo:
        read_table(tmp_path / "book.zip")
    one_line_error(excinfo, "book.zip", "no CSV file", "Excel", "xl/workbook.xml")


def test_zip_without_csv(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as zf:
        zf.writestr("notes.txt", "hello")
    with pytest.raises(TableReadError) as excinfo:
        read_table(tmp_path / "z.zip")
    one_line_error(excinfo, "z.zip", "no CSV file", "notes.txt")
    with zipfile.ZipFile(tmp_path / "empty.zip", "w"):
        pass
    with pytest.raises(TableReadError) as excinfo:
        read_table(tmp_path / "empty.zip")
    one_line_error(excinfo, "empty.zip", "no CSV file", "members: none")


def test_zip_with_several_csvs_needs_a_member(tmp_path: Path) -> None:
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("d/first.csv", "a\n1\n")
        zf.writestr("d/second.csv", "b\n2\n")
    with pytest.raises(TableReadError) as excinfo:
        read_table(archive)
    one_line_error(excinfo, "two.zip", "several CSV files", "d/first.csv", "d/second.csv")
    assert read_table(archive, member="d/second.csv")["b"].tolist() == [2]
    assert read_table(archive, member="first.csv")["a"].tolist() == [1]
    assert read_table(archive / "d" / "second.csv")["b"].tolist() == [2]
    with pytest.raises(TableReadError) as excinfo:
        read_table(archive, member="third.csv")
    one_line_error(excinfo, "two.zip", "no member 'third.csv'", "d/first.csv")


def test_member_of_a_plain_file(tmp_path: Path) -> None:
    with pytest.raises(TableReadError) as excinfo:
        read_table(put(tmp_path / "a.csv", "a\n1\n"), member="x.csv")
    one_line_error(excinfo, "a.csv", "not a zip archive")


def test_error_inside_zip_member_names_both(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as zf:
        zf.writestr("t.csv", "a,b\n")
    with pytest.raises(TableReadError) as excinfo:
        read_table(tmp_path / "z.zip")
    one_line_error(excinfo, "t.csv in", "z.zip", "no rows")


def test_corrupt_zip(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "ok.zip", "w") as zf:
        zf.writestr("t.csv", "a,b\n" + "1,2\n" * 1000)
    data = (tmp_path / "ok.zip").read_bytes()
    with pytest.raises(TableReadError) as excinfo:
        read_table(put(tmp_path / "cut.zip", data[: len(data) // 2]))
    one_line_error(excinfo, "cut.zip", "not a valid zip archive")


def test_corrupt_gzip(tmp_path: Path) -> None:
    data = gzip.compress(("a,b\n" + "".join(f"{i},{i * 7}\n" for i in range(50000))).encode())
    with pytest.raises(TableReadError) as excinfo:
        read_table(put(tmp_path / "cut.csv.gz", data[: len(data) // 2]))
    one_line_error(excinfo, "cut.csv.gz", "corrupt or truncated")
    with pytest.raises(TableReadError) as excinfo:
        read_table(put(tmp_path / "bad.gz", b"\x1f\x8b" + bytes(range(200))))
    one_line_error(excinfo, "bad.gz", "corrupt or truncated")


def test_corrupt_parquet(tmp_path: Path) -> None:
    sample_frame().to_parquet(tmp_path / "ok.parquet")
    data = (tmp_path / "ok.parquet").read_bytes()
    for name, content in [("cut.parquet", data[: len(data) // 2]), ("junk.pq", bytes(range(256)))]:
        with pytest.raises(TableReadError) as excinfo:
            read_table(put(tmp_path / name, content))
        one_line_error(excinfo, name, "not a valid Parquet file")


def test_parquet_named_index_is_kept_as_a_column(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": [1, 2]}, index=pd.Index([10, 20], name="row_id"))
    df.to_parquet(tmp_path / "i.parquet")
    assert read_table(tmp_path / "i.parquet").to_dict("list") == {"row_id": [10, 20], "x": [1, 2]}
    df.rename_axis(None).iloc[::-1].to_parquet(tmp_path / "j.parquet")
    back = read_table(tmp_path / "j.parquet")
    assert list(back.columns) == ["x"] and back.index.tolist() == [0, 1]


# ---- writing ---------------------------------------------------------------------------


def test_write_refuses_to_clobber_the_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = put(tmp_path / "in.csv", "a\n1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(source)
    monkeypatch.chdir(tmp_path / "sub")
    spellings: list[str | Path] = [
        source,
        "../in.csv",
        "./../in.csv",
        tmp_path / "sub" / ".." / "in.csv",
    ]
    for spelling in spellings:
        with pytest.raises(TableWriteError) as excinfo:
            write_table(pd.DataFrame({"a": [2]}), spelling, protect=["../in.csv"])
        one_line_error(excinfo, "in.csv", "refusing")
    with pytest.raises(TableWriteError):
        write_table(pd.DataFrame({"a": [2]}), "../link.csv", protect=[source])
    with pytest.raises(TableWriteError):
        write_table(pd.DataFrame({"a": [2]}), source, protect=["../link.csv"])
    assert source.read_text() == "a\n1\n"


def test_write_without_overwrite(tmp_path: Path) -> None:
    path = put(tmp_path / "out.csv", "old\n")
    with pytest.raises(TableWriteError) as excinfo:
        write_table(pd.DataFrame({"a": [1]}), path, overwrite=False)
    one_line_error(excinfo, "out.csv", "already exists")
    assert path.read_text() == "old\n"
    write_table(pd.DataFrame({"a": [1]}), path)
    assert path.read_text() == "a\n1\n"


def test_write_creates_parents_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "out.parquet"
    write_table(sample_frame(), target)
    write_table(sample_frame(), target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.parquet"]


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = write_table(pd.DataFrame({"a": [1]}), tmp_path / "out.parquet")
    before = target.read_bytes()
    bad = pd.DataFrame({"mixed": [1, "two", 3.0, b"x"]})
    with pytest.raises(TableWriteError) as excinfo:
        write_table(bad, target)
    one_line_error(excinfo, "out.parquet")
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]


def test_write_keeps_the_permissions_of_a_replaced_file(tmp_path: Path) -> None:
    target = put(tmp_path / "out.csv", "x\n")
    target.chmod(0o640)
    write_table(pd.DataFrame({"a": [1]}), target)
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = write_table(pd.DataFrame({"a": [1]}), tmp_path / "fresh.csv")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("name", ["out.xlsx", "out.json", "out"])
def test_write_unsupported_extension(tmp_path: Path, name: str) -> None:
    with pytest.raises(TableWriteError) as excinfo:
        write_table(pd.DataFrame({"a": [1]}), tmp_path / name)
    one_line_error(excinfo, name, ".parquet")


def test_write_refuses_duplicate_columns(tmp_path: Path) -> None:
    df = pd.DataFrame([[1, 2]], columns=["a", "a"])
    for name in ("d.csv", "d.parquet"):
        with pytest.raises(TableWriteError) as excinfo:
            write_table(df, tmp_path / name)
        one_line_error(excinfo, name, "'a'")
    assert list(tmp_path.iterdir()) == []


def test_write_onto_a_folder(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(TableWriteError) as excinfo:
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "dir.csv")
    one_line_error(excinfo, "dir.csv", "folder")


def test_tsv_output_uses_tabs(tmp_path: Path) -> None:
    text = write_table(pd.DataFrame({"a": [1], "b": ["x,y"]}), tmp_path / "o.tsv").read_text()
    assert text == "a\tb\n1\tx,y\n"


# ---- holdout split ---------------------------------------------------------------------


def test_split_holdout_sizes_and_determinism() -> None:
    df = pd.DataFrame({"i": range(101), "y": ["a", "b"] * 50 + ["a"]})
    train, holdout = split_holdout(df, fraction=0.2, seed=3)
    assert (len(train), len(holdout)) == (81, 20)
    assert sorted([*train["i"], *holdout["i"]]) == list(range(101))
    assert train["i"].is_monotonic_increasing and holdout["i"].is_monotonic_increasing
    assert train.index.tolist() == list(range(81))
    again = split_holdout(df, fraction=0.2, seed=3)
    pd.testing.assert_frame_equal(holdout, again[1])
    other = split_holdout(df, fraction=0.2, seed=4)[1]
    assert holdout["i"].tolist() != other["i"].tolist()


def test_split_holdout_stratifies() -> None:
    y = ["rare"] * 10 + ["common"] * 90
    df = pd.DataFrame({"y": y, "x": range(100)})
    for seed in range(5):
        train, holdout = split_holdout(df, fraction=0.3, seed=seed, stratify="y")
        assert holdout["y"].value_counts().to_dict() == {"common": 27, "rare": 3}
        assert train["y"].value_counts().to_dict() == {"common": 63, "rare": 7}


def test_split_holdout_stratifies_missing_as_a_class() -> None:
    df = pd.DataFrame({"y": [None] * 10 + ["a"] * 10, "x": range(20)})
    _, holdout = split_holdout(df, fraction=0.5, seed=0, stratify="y")
    assert holdout["y"].isna().sum() == 5


def test_split_holdout_falls_back_to_plain() -> None:
    df = pd.DataFrame({"y": ["solo", *["b"] * 19], "x": range(20)})
    train, holdout = split_holdout(df, fraction=0.25, seed=1, stratify="y")
    assert (len(train), len(holdout)) == (15, 5)


def test_split_holdout_bad_arguments() -> None:
    df = pd.DataFrame({"y": [1, 2, 3]})
    for fraction in (0.0, 1.0, -0.1, 0.01):
        with pytest.raises(ParameterError):
            split_holdout(df, fraction=fraction)
    with pytest.raises(ColumnNotFoundError) as excinfo:
        split_holdout(df, stratify="nope")
    one_line_error(excinfo, "'nope'", "y")


# ---- optional real data ----------------------------------------------------------------


@pytest.mark.skipif(not (DATASETS / "census.csv.gz").exists(), reason="needs ../shared/datasets")
def test_census_dataset() -> None:
    df = read_table(DATASETS / "census.csv.gz")
    assert df.shape == (48842, 15)
    assert df["workclass"].isna().any()  # UCI's "?" marks
    assert pd.api.types.is_integer_dtype(df["age"])


@pytest.mark.skipif(not (DATASETS / "diabetes130.zip").exists(), reason="needs ../shared/datasets")
def test_diabetes_dataset() -> None:
    df = read_table(
        DATASETS / "diabetes130.zip",
        member="dataset_diabetes/diabetic_data.csv",
        missing_values=["?"],
    )
    assert df.shape == (101766, 50)
    assert df["weight"].isna().mean() > 0.9
    assert "None" in set(df["max_glu_serum"])  # a real level here: "not measured"


def test_reading_a_larger_csv_is_quick(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    df = pd.DataFrame(
        {"a": rng.integers(0, 100, n), "b": rng.normal(size=n), "c": rng.choice(["x", "y"], n)}
    )
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    start = time.perf_counter()
    back = read_table(path)
    elapsed = time.perf_counter() - start
    assert back.shape == (n, 3)
    start = time.perf_counter()
    pd.read_csv(io.BytesIO(path.read_bytes()))
    baseline = time.perf_counter() - start
    assert elapsed < 5 * baseline + 0.5


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ints=st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=20),
    data=st.data(),
)
def test_round_trip_is_exact_for_numbers_and_plain_text(
    tmp_path: Path, ints: list[int], data: st.DataObject
) -> None:
    n = len(ints)
    floats = data.draw(
        st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=n, max_size=n)
    )
    words = data.draw(
        st.lists(
            st.text("abcXYZ_-é€ ,;\"'\n", min_size=1).map(lambda s: "w" + s), min_size=n, max_size=n
        )
    )
    df = pd.DataFrame({"i": ints, "f": floats, "w": words})
    for name in ("p.csv", "p.csv.gz", "p.parquet"):
        back = read_table(write_table(df, tmp_path / name))
        assert back["i"].tolist() == ints
        assert back["f"].tolist() == floats
        assert back["w"].tolist() == words
