"""The whole pipeline with a fake LLM: canaries, reproducibility, fail-closed behaviour."""

from __future__ import annotations

import json
import logging
import re

import pandas as pd
import pytest

from privsynth.api import write_report_dir
from privsynth.config import load_config
from privsynth.pipeline import synthesize
from tests.fakes import CopyingGenerator, RecombiningGenerator, ScriptedGenerator

CANARY_NAMES = [
    "Zebediah Quuxworth",
    "Philomena Wraxall",
    "Octavius Brinklemoor",
    "Marisol Tzankova",
    "Bartholomew Fennimore",
    "Ingeborg Vantwest",
]


def plant_canaries(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    df = df.copy()
    secrets = []
    for i, name in enumerate(CANARY_NAMES * 3):
        row = 10 + i * 13
        email = f"{name.split()[0].lower()}.canary{i}@quux-example.org"
        phone = f"(555) 010-{1000 + i}"
        df.loc[row, ["customer_name", "email", "phone"]] = [name, email, phone]
        df.loc[row, "notes"] = (
            f"{name} phoned about the outage. Write to {email} "
            f"or ring {phone}. {name.split()[0]} was upset."
        )
        secrets += [name, email, phone, name.split()[1]]
    return df, sorted(set(secrets))


@pytest.fixture(scope="module")
def canary_run(customers, tmp_path_factory):
    df, secrets = plant_canaries(customers)
    handler_records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            handler_records.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.DEBUG)
    try:
        # The whole sample (2,000 rows) under the default policy. On its first 300 rows the
        # QI-subset DCR share of the structured output shows a mild leak (zip codes seen only
        # in training), which the gate rightly refuses.
        result = synthesize(df, load_config(rows=120),
                            generator=RecombiningGenerator())
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    out = tmp_path_factory.mktemp("canary") / "out"
    write_report_dir(out, result.report, result.synthetic)
    return result, secrets, out, "\n".join(handler_records)


def test_canaries_appear_nowhere(canary_run, capsys) -> None:
    result, secrets, out, logs = canary_run
    assert result.released, result.decision.reasons
    blobs = {p.name: p.read_text().lower() for p in out.iterdir()}
    assert set(blobs) == {"synthetic.csv", "report.json", "report.html"}
    blobs["logs"] = logs.lower()
    captured = capsys.readouterr()
    blobs["stdio"] = (captured.out + captured.err).lower()
    for secret in secrets:
        for where, blob in blobs.items():
            assert secret.lower() not in blob, f"canary leaked into {where}"


def test_text_is_new_and_typical_and_the_text_checks_ran(canary_run) -> None:
    result, _, _, _ = canary_run
    checks = {c["name"]: c for c in result.report["checks"]}
    for name in ("text_memorization", "text_length_similarity", "text_vocabulary_similarity",
                 "text_fallback_share"):
        assert checks[name]["status"] == "pass", checks[name]
    stats = result.report["text"]["notes"]["stats"]
    assert stats["fallbacks"] == 0 and stats["generated"] == 120


def test_a_model_that_copies_real_text_never_gets_it_out(small_customers) -> None:
    df, secrets = plant_canaries(small_customers)
    # The lenient preset for this small table's structured checks; the default's text
    # fallback share (0.2), which a model that only copies must fail.
    cfg = load_config(rows=60, policy="lenient", gate__max_text_fallback_share=0.2)
    res = synthesize(df, cfg, generator=CopyingGenerator())
    stats = res.report["text"]["notes"]["stats"]
    assert stats["rejected"].get("too_close_to_real", 0) > 0 and stats["fallbacks"] > 0
    # Copies of the planted template (shared by 14 training texts once scrubbed) are
    # boilerplate and may pass; copies of distinctive texts may not (with five examples a
    # prompt, 16 of 60 rows had only those to copy). Either way the text is too poor to
    # release, and no canary comes out.
    assert not res.released
    assert any(r.startswith("text_") for r in res.decision.reasons)
    report = json.dumps(res.report).lower()
    assert not [s for s in secrets if s.lower() in report]


def test_report_contract_keys(canary_run) -> None:
    result, _, out, _ = canary_run
    report = json.loads((out / "report.json").read_text())
    assert isinstance(report["decision"]["released"], bool) and report["decision"]["reasons"]
    for check in report["checks"]:
        assert {"name", "value", "threshold", "passed"} <= set(check)
    for col in report["columns"]:
        assert {"name", "role", "entities"} <= set(col)
    prov = report["provenance"]
    assert re.fullmatch(r"[0-9a-f]{64}", prov["input_sha256"])
    assert {"config", "seed", "versions"} <= set(prov) and "model_sha256" in prov
    assert report["outputs"]["synthetic_csv_sha256"]


def test_identifier_columns_never_reach_the_synthesizer(small_customers, monkeypatch) -> None:
    from privsynth.tabular.sdv_adapter import SdvSynthesizer

    seen: list[list[str]] = []
    original = SdvSynthesizer.fit

    def spy(self, df, schema):
        seen.append(list(df.columns))
        return original(self, df, schema)

    monkeypatch.setattr(SdvSynthesizer, "fit", spy)
    synthesize(small_customers, load_config(rows=20, text__enabled=False))
    assert seen and not {"customer_name", "email", "phone", "ssn", "street_address", "notes"} & set(
        seen[0]
    )


def test_same_seed_same_output_and_other_seed_differs(small_customers) -> None:
    def run(seed: int) -> pd.DataFrame:
        res = synthesize(small_customers, load_config(rows=40, seed=seed, policy="lenient"),
                         generator=RecombiningGenerator())
        assert res.synthetic is not None
        return res.synthetic

    a, b, c = run(5), run(5), run(6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_no_text_drops_text_and_never_emits_real_text(customers) -> None:
    res = synthesize(customers, load_config(rows=30, text__enabled=False))
    cols = {c["name"]: c for c in res.report["columns"]}
    assert cols["notes"]["treatment"].startswith("dropped")
    assert res.synthetic is not None, res.decision.reasons
    assert "notes" not in res.synthetic.columns


def test_failing_check_withholds_and_report_has_no_rows(small_customers, monkeypatch) -> None:
    from privsynth.checks.privacy import dcr_share

    monkeypatch.setattr(
        dcr_share.DcrShare, "compute", lambda self, ctx: (_ for _ in ()).throw(RuntimeError("x"))
    )
    res = synthesize(small_customers, load_config(rows=20), generator=ScriptedGenerator())
    assert not res.released and res.synthetic is None
    assert "examples" not in res.report["text"]["notes"]


def test_rendered_report_scanned_by_our_own_scanner_holds_no_input_pii(canary_run,
                                                                      small_customers) -> None:
    from privsynth.metrics.identifiers import identifier_values
    from privsynth.pii.scrub import TextScrubber

    _, secrets, out, _ = canary_run
    html = (out / "report.html").read_text()
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    chunks = [text[i:i + 2000] for i in range(0, len(text), 2000)]
    found = TextScrubber().scrub(chunks).found_values
    real = identifier_values(list(small_customers["customer_name"]) + list(
        small_customers["email"]) + list(small_customers["phone"]) + secrets)
    assert not identifier_values(found) & real


def test_wide_table_report_stays_small_and_collapsed(tmp_path) -> None:
    import numpy as np

    from privsynth.api import check_dataframes

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"m{i}": rng.normal(size=600).round(3) for i in range(110)})
    frame["group"] = rng.choice(["a", "b", "c"], 600)
    res = check_dataframes(frame.iloc[:300], frame.iloc[300:500], frame.iloc[500:],
                           load_config(checks__attacks=200, checks__bootstrap=20))
    out = tmp_path / "wide"
    write_report_dir(out, res.report, None)
    html = (out / "report.html").read_text()
    assert (out / "report.html").stat().st_size < 10 * 1024 * 1024
    assert "<details><summary>Per-column detail</summary>" in html
    assert len(res.report["columns"]) == 111


def test_a_model_failure_mid_run_writes_nothing(small_customers, tmp_path, monkeypatch,
                                                capsys) -> None:
    from privsynth.cli import main
    from privsynth.errors import TextGenerationError
    from privsynth.text.generator import LlamaGenerator

    csv = tmp_path / "in.csv"
    small_customers.to_csv(csv, index=False)
    calls: list[int] = []

    def flaky(self, prompt, *, seed, max_tokens, stop):
        calls.append(1)
        if len(calls) > 2:
            raise TextGenerationError("generation failed: RuntimeError")
        return " <PERSON> asked about the plan and the bill today."

    def flaky_many(self, prompts, *, seeds, max_tokens, stop):
        return [flaky(self, p, seed=s, max_tokens=m, stop=stop)
                for p, s, m in zip(prompts, seeds, max_tokens, strict=True)]

    monkeypatch.setattr(LlamaGenerator, "generate", flaky)
    monkeypatch.setattr(LlamaGenerator, "generate_many", flaky_many)
    monkeypatch.setattr(LlamaGenerator, "chat", property(lambda self: False))
    code = main(["run", str(csv), "-o", str(tmp_path / "out"), "--rows", "10"])
    err = capsys.readouterr().err
    assert code == 1 and len(calls) == 3
    assert "generation failed" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_model_that_writes_real_identifiers_has_them_replaced_before_release(
    small_customers,
) -> None:
    """Real names, emails, phones and SSNs the run knows never reach the output, whatever
    the detector finds: digit runs the model writes are masked before anything else (as
    XXXX), and the exact-match pass turns the name and email into the row's own fakes."""
    real = small_customers.iloc[3]
    text = (f" {real['customer_name']} asked about the plan. Mail {real['email']}, ring "
            f"{real['phone']}, SSN {real['ssn']}.")
    res = synthesize(small_customers, load_config(rows=20, policy="lenient"),
                     generator=ScriptedGenerator(text))
    stats = res.report["text"]["notes"]["stats"]
    assert stats["entities_replaced"]["KNOWN_IDENTIFIER"] >= 20 * 2
    assert stats["repairs"]["numbers_masked"] >= 20 * 2
    replay = {c["name"]: c for c in res.report["checks"]}["pii_replay"]
    assert replay["value"] == 0
    out = res.synthetic if res.synthetic is not None else None
    blob = json.dumps(res.report).lower() + (out.to_csv().lower() if out is not None else "")
    for column in ("customer_name", "email", "phone", "ssn"):
        assert str(real[column]).lower() not in blob
