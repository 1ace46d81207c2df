"""Model directories that load without executing code: `model.json` + `weights.safetensors`.

A model's state is a tree of dicts, lists, JSON scalars and NumPy arrays. Numeric arrays
go to safetensors; everything else stays in JSON. `model.json` carries a checksum of its
own body and the SHA-256 of the weights file, so a corrupt or edited directory is refused
with a clear message instead of loading garbage.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from synthera.errors import ModelFileError

MODEL_FORMAT = "synthera-model"
MODEL_FORMAT_VERSION = 1
MODEL_JSON = "model.json"
WEIGHTS_FILE = "weights.safetensors"

_ARRAY_REF = "__array__"
_STRINGS = "__strings__"  # non-numeric arrays (safetensors holds numbers only) stay in JSON


def split_arrays(tree: Any, path: str = "") -> tuple[Any, dict[str, np.ndarray]]:
    """Replace every numeric array in `tree` by a reference; return (json_tree, arrays)."""
    arrays: dict[str, np.ndarray] = {}

    def walk(node: Any, where: str) -> Any:
        if isinstance(node, np.ndarray):
            if node.dtype.kind in "biuf":
                arrays[where] = np.ascontiguousarray(node)
                return {_ARRAY_REF: where}
            return {_STRINGS: node.tolist()}
        if isinstance(node, Mapping):
            return {str(k): walk(v, f"{where}/{k}") for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [walk(v, f"{where}/{i}") for i, v in enumerate(node)]
        if isinstance(node, np.generic):
            return node.item()
        if node is None or isinstance(node, str | int | float | bool):
            return node
        raise TypeError(f"model state holds an unsupported value of type {type(node).__name__}")

    return walk(tree, path), arrays


def join_arrays(tree: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """The inverse of `split_arrays`: put the arrays back where their references are."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {_ARRAY_REF}:
                key = node[_ARRAY_REF]
                if key not in arrays:
                    raise ModelFileError(f"weights file lacks the array {key!r}")
                return arrays[key]
            if set(node) == {_STRINGS}:
                return np.asarray(node[_STRINGS], dtype=object)
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(tree)


def _checksum(body: Mapping[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write(path: Path, write: Any) -> None:
    """Write via a temporary file in the same folder, then rename: never half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        Path(tmp).replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()


def write_model_dir(directory: str | Path, header: Mapping[str, Any], state: Any) -> Path:
    """Save `state` (tree with arrays) and `header` (JSON-able facts) as a model directory."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ModelFileError(f"cannot save the model: {directory} exists and is not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    json_state, arrays = split_arrays(state)
    weights = directory / WEIGHTS_FILE
    _atomic_write(weights, lambda p: save_file(arrays, str(p)))
    body = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        **header,
        "state": json_state,
        "weights_sha256": _file_sha256(weights),
    }
    document = {**body, "checksum": _checksum(body)}
    text = json.dumps(document, indent=1, ensure_ascii=False, allow_nan=True)
    _atomic_write(directory / MODEL_JSON, lambda p: p.write_text(text + "\n", encoding="utf-8"))
    return directory


def read_model_dir(directory: str | Path) -> tuple[dict[str, Any], Any]:
    """Read and verify a model directory; return (header, state with arrays restored)."""
    directory = Path(directory)
    body = read_model_header(directory)
    weights = directory / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelFileError(f"{directory} lacks its weights file {WEIGHTS_FILE}")
    if _file_sha256(weights) != body.get("weights_sha256"):
        raise ModelFileError(f"{weights} was modified or corrupted (checksum mismatch)")
    try:
        arrays = load_file(str(weights))
    except (SafetensorError, OSError, ValueError):
        raise ModelFileError(f"{weights} is not a valid safetensors file") from None
    state = join_arrays(body.pop("state", None), arrays)
    return body, state


def read_model_header(directory: str | Path) -> dict[str, Any]:
    """`model.json` alone, verified by its own checksum: the facts about a model (name,
    schema, privacy ledger) without reading its weights. Its "state" holds array refs."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelFileError(f"model directory not found: {directory}")
    meta_path = directory / MODEL_JSON
    if not meta_path.is_file():
        raise ModelFileError(f"{directory} is not a Synthera model (no {MODEL_JSON})")
    try:
        document = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{meta_path} is corrupt: not valid JSON") from None
    if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{meta_path} is not a Synthera model file")
    version = document.get("format_version")
    if not isinstance(version, int):
        raise ModelFileError(f"{meta_path} has no valid format version")
    if version > MODEL_FORMAT_VERSION:
        raise ModelFileError(
            f"{directory} was saved by a newer Synthera (model format {version}, this one "
            f"reads up to {MODEL_FORMAT_VERSION}); upgrade Synthera to load it"
        )
    body = {k: v for k, v in document.items() if k != "checksum"}
    if document.get("checksum") != _checksum(body):
        raise ModelFileError(f"{meta_path} was modified or corrupted (checksum mismatch)")
    return body
