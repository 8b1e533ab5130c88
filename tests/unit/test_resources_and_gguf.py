"""The memory guard and the GGUF completeness check."""

import struct
from pathlib import Path

import pandas as pd
import pytest

from privsynth.errors import ConfigError, ModelError
from privsynth.resources import estimate_peak, fit_to_memory, parse_memory
from privsynth.text.gguf import GgufFormatError, required_size
from privsynth.text.model import check_model_path


def test_sizes_parse_and_bad_sizes_are_config_errors() -> None:
    assert parse_memory("512MB") == 512 << 20
    assert parse_memory("1.5 GB") == int(1.5 * (1 << 30))
    assert parse_memory("2g") == 2 << 30
    assert parse_memory("off") is None
    assert parse_memory("auto") > 0
    for bad in ("lots", "-1GB", "0", "12 parsecs"):
        with pytest.raises(ConfigError, match="max_memory"):
            parse_memory(bad)


def test_the_guard_samples_down_only_when_needed_and_says_so() -> None:
    df = pd.DataFrame({"a": range(50_000), "b": ["word"] * 50_000})
    same, note = fit_to_memory(df, "off", 1)
    assert same is df and note is None
    same, note = fit_to_memory(df, f"{estimate_peak(df) + 1}", 1)
    assert same is df and note is None
    small, note = fit_to_memory(df, "5MB", 1)
    assert 1000 <= len(small) < len(df) and note and "input sampled from 50,000" in note
    again, _ = fit_to_memory(df, "5MB", 1)
    assert small.equals(again)  # seeded


def _gguf(tensor_elems: int, data_bytes: int, name: str = "tiny") -> bytes:
    def string(s: str) -> bytes:
        return struct.pack("<Q", len(s)) + s.encode()

    head = b"GGUF" + struct.pack("<IQQ", 3, 1, 1)
    head += string("general.name") + struct.pack("<I", 8) + string(name)
    head += string("w") + struct.pack("<I", 1) + struct.pack("<Q", tensor_elems)
    head += struct.pack("<IQ", 0, 0)  # F32 at offset 0
    head += b"\0" * (-len(head) % 32)
    return head + b"\0" * data_bytes


def test_required_size_reads_the_header(tmp_path: Path) -> None:
    whole = tmp_path / "whole.gguf"
    whole.write_bytes(_gguf(1024, 4096))
    assert required_size(whole) == whole.stat().st_size
    assert check_model_path(whole) == whole
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(_gguf(1024, 2048))
    with pytest.raises(ModelError, match="is truncated: its tensors need"):
        check_model_path(cut)
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(_gguf(1024, 4096, name="x" * 3000)[:1500])  # cut inside the metadata
    with pytest.raises(ModelError, match="is damaged: file ends inside its header"):
        check_model_path(broken)
    with pytest.raises(GgufFormatError):
        required_size(broken)
