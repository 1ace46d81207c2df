"""Each step's outputs, kept in its own folder under the output folder and reused while
the step's key is unchanged.

A key hashes everything that decides a step's outputs: its settings, the content of the
files it reads, the keys of the steps it builds on and the Synthera version. A step is
written into a hidden partial folder and renamed into place only once complete, its
manifest (`.step.json`, holding the key) last; so an interrupted run leaves either the
old folder or none, and the next run redoes exactly the steps that did not finish.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthera import __version__
from synthera.metrics.result import jsonable

MANIFEST = ".step.json"
_PARTIAL = ".partial-"
_TRASH = ".trash-"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, NumPy values made plain."""
    return json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"), default=str)


def step_key(
    kind: str,
    settings: Mapping[str, Any],
    files: Mapping[str, str],
    upstream: Sequence[str],
) -> str:
    """The hash of everything a step's outputs depend on (`files`: name -> digest)."""
    payload = {
        "kind": kind,
        "settings": settings,
        "files": dict(files),
        "upstream": list(upstream),
        "synthera": __version__,
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@dataclass
class Manifest:
    """What a finished step wrote: its key, how long it took, its files and a summary."""

    step: str
    key: str
    seconds: float
    files: dict[str, int]  # path relative to the step folder -> size in bytes
    summary: dict[str, Any] = field(default_factory=dict)
    synthera_version: str = __version__

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "key": self.key,
            "seconds": self.seconds,
            "files": self.files,
            "summary": jsonable(self.summary),
            "synthera_version": self.synthera_version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        return cls(
            step=str(data["step"]),
            key=str(data["key"]),
            seconds=float(data["seconds"]),
            files={str(k): int(v) for k, v in data["files"].items()},
            summary=dict(data.get("summary") or {}),
            synthera_version=str(data.get("synthera_version", "")),
        )


class StepCache:
    """The step folders under one output folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, step: str) -> Path:
        return self.root / step

    def lookup(self, step: str, key: str) -> Manifest | None:
        """The manifest of `step` when it was finished with this key and its files are intact."""
        folder = self.folder(step)
        try:
            manifest = Manifest.from_dict(
                json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if manifest.key != key:
            return None
        for name, size in manifest.files.items():
            path = folder / name
            if not path.is_file() or path.stat().st_size != size:
                return None
        return manifest

    def begin(self, step: str) -> Path:
        """An empty partial folder beside the step's folder, on the same file system."""
        final = self.folder(step)
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(f".{final.name}{_PARTIAL}{secrets.token_hex(4)}")
        partial.mkdir()
        return partial

    def commit(
        self, step: str, partial: Path, key: str, seconds: float, summary: Mapping[str, Any]
    ) -> Manifest:
        """Seal `partial` with its manifest and move it into place, replacing an old folder."""
        files = {
            path.relative_to(partial).as_posix(): path.stat().st_size
            for path in sorted(partial.rglob("*"))
            if path.is_file() and path.name != MANIFEST
        }
        manifest = Manifest(step, key, round(seconds, 3), files, dict(summary))
        write_json(partial / MANIFEST, manifest.to_dict())
        final = self.folder(step)
        trash = None
        if final.exists():
            trash = final.with_name(f".{final.name}{_TRASH}{secrets.token_hex(4)}")
            final.rename(trash)
        partial.rename(final)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
        return manifest

    def abandon(self, partial: Path) -> None:
        shutil.rmtree(partial, ignore_errors=True)

    def clean_leftovers(self) -> list[Path]:
        """Remove partial and replaced folders that an interrupted run left behind."""
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        for path in sorted(self.root.rglob(".*")):
            if path.is_dir() and (_PARTIAL in path.name or _TRASH in path.name):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        return removed


def write_json(path: Path, data: Any) -> None:
    """Write JSON so that readers see the old file or the whole new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with temp.open("w", encoding="utf-8") as handle:
            json.dump(jsonable(data), handle, indent=2, ensure_ascii=False, allow_nan=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
