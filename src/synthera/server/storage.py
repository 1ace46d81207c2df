"""Files under the data directory, named by generated ids, never by anything a user sent.

    files/datasets/<id>/original.<ext>   the uploaded bytes, as sent
    files/datasets/<id>/train.parquet    the part models learn from
    files/datasets/<id>/holdout.parquet  the part kept aside for evaluation (if any)
    files/runs/<id>/model/               the fitted model directory
    files/synthetic/<id>/table.parquet   generated rows
    files/evaluations/<id>/report.json   the report, and report.html beside it
    tmp/                                 work in progress; emptied at start

Work is written under tmp/ and moved into place with one rename, so a folder under files/
is either complete or absent.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
from pathlib import Path

KINDS = ("datasets", "runs", "synthetic", "evaluations")


class Storage:
    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir
        self.files = data_dir / "files"
        self.tmp = data_dir / "tmp"

    def prepare(self) -> None:
        for kind in KINDS:
            (self.files / kind).mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def clear_tmp(self) -> None:
        """Remove unfinished work left by a process that stopped (called at start)."""
        if self.tmp.exists():
            for entry in self.tmp.iterdir():
                remove(entry)

    def folder(self, kind: str, item_id: str) -> Path:
        if kind not in KINDS or not item_id.isalnum():
            raise ValueError(f"bad storage key {kind}/{item_id}")
        return self.files / kind / item_id

    def new_tmp_dir(self) -> Path:
        path = self.tmp / secrets.token_hex(8)
        path.mkdir(parents=True)
        return path

    def commit(self, tmp_dir: Path, kind: str, item_id: str) -> Path:
        """Move a finished tmp folder into place under files/ (one rename)."""
        final = self.folder(kind, item_id)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            remove(final)
        tmp_dir.rename(final)
        return final

    def delete(self, kind: str, item_id: str) -> None:
        remove(self.folder(kind, item_id))


def remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
