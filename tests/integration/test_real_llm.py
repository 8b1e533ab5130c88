"""A few runs with the real bundled GGUF model, end to end, kept small for the CI budget."""

from __future__ import annotations

import pytest

from privsynth.config import load_config
from privsynth.pipeline import synthesize
from privsynth.text.generator import LlamaGenerator
from privsynth.text.model import resolve_model

pytestmark = [pytest.mark.llm, pytest.mark.slow]


@pytest.fixture(scope="module")
def generator() -> LlamaGenerator:
    return LlamaGenerator(resolve_model(None), n_threads=2, n_ctx=2048)


def test_model_is_verified_and_generation_is_seeded(generator: LlamaGenerator) -> None:
    assert generator.model.sha256 == resolve_model(None).sha256
    prompt = (
        "Support notes.\nRecord: plan=Basic\nEntry: <PERSON> asked about a refund.\n"
        "Record: plan=Premium\nEntry:"
    )
    a = generator.generate(prompt, seed=11, max_tokens=20, stop=["\n"])
    b = generator.generate(prompt, seed=11, max_tokens=20, stop=["\n"])
    assert a == b and a.strip()
    assert generator.tokens_generated > 0


def test_pipeline_with_real_llm_writes_pii_free_text(small_customers, generator) -> None:
    cfg = load_config(rows=4, text__max_tokens=40)
    result = synthesize(small_customers, cfg, generator=generator)
    replay = next(c for c in result.report["checks"] if c["name"] == "pii_replay")
    assert replay["value"] == 0
    stats = result.report["text"]["notes"]["stats"]
    assert stats["generated"] + stats["fallbacks"] == 4
    if result.synthetic is not None:
        notes = result.synthetic["notes"].tolist()
        assert all(isinstance(t, str) and t.strip() for t in notes)
        real_emails = set(small_customers["email"].str.lower())
        assert not any(e in t.lower() for t in notes for e in real_emails)
