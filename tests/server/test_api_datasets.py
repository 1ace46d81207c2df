"""Uploads (good and bad), listing, preview, schema editing, download and delete."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from synthera.cli import app as cli_app
from tests.server.conftest import CSV, Server


def stored_files(server: Server) -> list[Path]:
    root = server.settings.data_dir
    return [p for p in (root / "files").rglob("*") if p.is_file()] + list((root / "tmp").iterdir())


def cli_message(tmp_path: Path, name: str, content: bytes, monkeypatch: pytest.MonkeyPatch) -> str:
    """What `synthera schema infer NAME` prints for the same file, run beside it."""
    folder = tmp_path / "cli"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(content)
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(cli_app, ["schema", "infer", name])
    assert result.exit_code == 1
    return " ".join(result.stderr.removeprefix("error:").split())


def test_upload_keeps_a_seeded_holdout_and_infers_a_schema(
    server: Server, alice: dict[str, str]
) -> None:
    files = {"file": ("people.csv", CSV.encode())}
    form = {"holdout_fraction": "0.25", "seed": "7"}
    response = server.client.post("/api/v1/datasets", files=files, data=form, headers=alice)
    assert response.status_code == 201
    dataset_id = response.json()["id"]
    dataset = server.client.get(f"/api/v1/datasets/{dataset_id}", headers=alice).json()
    assert dataset["name"] == "people.csv"
    assert (dataset["n_rows"], dataset["n_train"], dataset["n_holdout"]) == (120, 90, 30)
    assert dataset["columns"] == ["age", "city", "score", "member"]
    kinds = {c["name"]: c["kind"] for c in dataset["schema"]["columns"]}
    assert kinds == {
        "age": "integer",
        "city": "categorical",
        "score": "numeric",
        "member": "boolean",
    }
    # The same seed gives the same split.
    again = server.upload(alice)
    preview = server.client.get(f"/api/v1/datasets/{dataset_id}/preview?rows=5", headers=alice)
    other = server.client.get(f"/api/v1/datasets/{again}/preview?rows=5", headers=alice)
    assert preview.json()["n_rows"] == 90 and other.json()["n_rows"] == 96
    holdout = server.client.get(
        f"/api/v1/datasets/{dataset_id}/preview?part=holdout&rows=1000", headers=alice
    ).json()
    assert holdout["n_rows"] == 30 and len(holdout["rows"]) == 30
    # The stored file is the uploaded bytes, under a generated name.
    download = server.client.get(f"/api/v1/datasets/{dataset_id}/file", headers=alice)
    assert download.content == CSV.encode()
    assert 'filename="people.csv"' in download.headers["content-disposition"]
    names = {p.name for p in stored_files(server)}
    assert "people.csv" not in names and "original.csv" in names


def test_parquet_and_gzip_uploads_read_like_the_cli(server: Server, alice: dict[str, str]) -> None:
    frame = pd.read_csv(io.StringIO(CSV))
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    parquet_id = server.upload(alice, buffer.getvalue(), name="people.parquet")
    gzip_id = server.upload(alice, gzip.compress(CSV.encode()), name="people.csv.gz")
    for dataset_id in (parquet_id, gzip_id):
        dataset = server.client.get(f"/api/v1/datasets/{dataset_id}", headers=alice).json()
        assert dataset["n_rows"] == 120 and dataset["columns"] == list(frame.columns)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.csv", b""),
        ("binary.csv", bytes(range(256)) * 8),
        ("ragged.csv", b"a,b\n1,2\n3,4,5\n6,7\n"),
        ("header_only.csv", b"a,b,c\n"),
        ("sheet.xlsx", b"PK\x03\x04" + b"\x00" * 64),
        ("dupes.csv", b"a,a\n1,2\n"),
    ],
)
def test_bad_uploads_get_the_cli_message_and_leave_nothing(
    server: Server,
    alice: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: bytes,
) -> None:
    response = server.client.post(
        "/api/v1/datasets", files={"file": (name, content)}, headers=alice
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail == cli_message(tmp_path, name, content, monkeypatch)
    assert "\n" not in detail and str(server.settings.data_dir) not in detail
    assert server.client.get("/api/v1/datasets", headers=alice).json() == []
    assert stored_files(server) == []


def test_uploads_over_the_limits_are_413(server: Server, alice: dict[str, str]) -> None:
    def post(name: str, content: bytes) -> tuple[int, str]:
        response = server.client.post(
            "/api/v1/datasets", files={"file": (name, content)}, headers=alice
        )
        return response.status_code, response.json()["detail"]

    huge = b"a,b\n" + b"1,2\n" * 40_000  # 160 kB against a 64 kB limit
    status, detail = post("huge.csv", huge)
    assert status == 413 and "upload limit of 64" in detail
    rows = "a\n" + "\n".join(str(i) for i in range(6_000))
    status, detail = post("long.csv", rows.encode())
    assert status == 413 and detail.startswith("long.csv has 6,000 rows")
    wide = ",".join(f"c{i}" for i in range(50)) + "\n" + ",".join("1" * 50) + "\n"
    wide += ",".join("2" * 50) + "\n"
    status, detail = post("wide.csv", wide.encode())
    assert status == 413 and "at most 40" in detail
    assert stored_files(server) == []


def test_a_too_small_table_for_the_holdout_is_refused(
    server: Server, alice: dict[str, str]
) -> None:
    response = server.client.post(
        "/api/v1/datasets", files={"file": ("one.csv", b"a,b\n1,2\n")}, headers=alice
    )
    assert response.status_code == 422
    assert "both parts need at least one row" in response.json()["detail"]
    response = server.client.post(
        "/api/v1/datasets",
        files={"file": ("one.csv", b"a,b\n1,2\n")},
        data={"holdout_fraction": "0"},
        headers=alice,
    )
    assert response.status_code == 201


def test_schema_edits_are_validated_and_stored(server: Server, alice: dict[str, str]) -> None:
    dataset_id = server.upload(alice)
    url = f"/api/v1/datasets/{dataset_id}/schema"
    schema = server.client.get(f"/api/v1/datasets/{dataset_id}", headers=alice).json()["schema"]
    schema["columns"] = [c for c in schema["columns"] if c["name"] != "score"]  # drop a column
    for column in schema["columns"]:
        if column["name"] == "age":
            column["kind"] = "categorical"
    schema["target"] = "member"
    schema["sensitive"] = ["city"]
    response = server.client.put(url, json=schema, headers=alice)
    assert response.status_code == 200, response.text
    saved = response.json()["schema"]
    assert [c["name"] for c in saved["columns"]] == ["age", "city", "member"]
    assert saved["target"] == "member" and saved["sensitive"] == ["city"]
    bad_kind = {**schema, "columns": [{"name": "age", "kind": "colour"}]}
    response = server.client.put(url, json=bad_kind, headers=alice)
    assert response.status_code == 422 and "unknown kind 'colour'" in response.json()["detail"]
    bad_target = {**schema, "target": "nope"}
    response = server.client.put(url, json=bad_target, headers=alice)
    assert response.status_code == 422 and "'nope' does not exist" in response.json()["detail"]
    unknown = {**schema, "columns": [*schema["columns"], {"name": "ghost", "kind": "numeric"}]}
    response = server.client.put(url, json=unknown, headers=alice)
    assert response.status_code == 422 and "ghost" in response.json()["detail"]


def test_delete_removes_rows_and_files(server: Server, alice: dict[str, str]) -> None:
    dataset_id = server.upload(alice)
    assert stored_files(server)
    assert server.client.delete(f"/api/v1/datasets/{dataset_id}", headers=alice).status_code == 204
    assert server.client.get(f"/api/v1/datasets/{dataset_id}", headers=alice).status_code == 404
    assert stored_files(server) == []


def test_errors_are_one_line_json(server: Server, alice: dict[str, str]) -> None:
    response = server.client.get("/api/v1/datasets/abc/preview?rows=0", headers=alice)
    assert response.status_code == 422
    assert response.json() == {"detail": "query.rows: Input should be greater than or equal to 1"}
    response = server.client.post("/api/v1/runs", content=b"{not json", headers=alice)
    assert response.status_code == 422 and isinstance(response.json()["detail"], str)
