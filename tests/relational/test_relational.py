"""Linked tables: keys, relations, the entity split, and the gate's oracle at the level of
people."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from privsynth.cli import main
from privsynth.config import load_config
from privsynth.gate import decide
from privsynth.pii.stage import metadata_of
from privsynth.pipeline import synthesize_tables
from privsynth.relational.canaries import plant_entities
from privsynth.relational.entities import (
    components,
    lookup_tables,
    split_by_entity,
    suppress_entities,
)
from privsynth.relational.evaluate import evaluate_tables, trend_results
from privsynth.relational.scan import scan_table_set
from privsynth.relational.schema import table_set
from tests.fakes import RecombiningGenerator
from tests.relational.linked import RELATIONS, RELATIONS_TOML, linked_tables

CFG = load_config(text__enabled=False)


@pytest.fixture(scope="module")
def real() -> dict[str, pd.DataFrame]:
    return linked_tables(400, seed=0)


@pytest.fixture(scope="module")
def run(real):
    return synthesize_tables(real, RELATIONS, CFG)


def test_keys_are_fresh_and_every_foreign_key_has_its_parent(real, run) -> None:
    assert run.released, run.decision.reasons
    out = run.synthetic
    assert set(out) == set(real)
    for rel in RELATIONS:
        parent, key = rel["parent"].split(".")
        child, fk = rel["child"].split(".")
        assert out[child][fk].isin(out[parent][key]).all(), rel  # referential integrity
        assert not out[parent][key].isin(real[parent][key]).any(), rel  # no real key
        assert out[parent][key].is_unique
    assert not out["customer"]["email"].isin(real["customer"]["email"]).any()
    # The owner's email on each account is the synthetic owner's fake, as it is in the input.
    email = out["customer"].set_index("customer_id")["email"]
    assert (out["account"]["owner_email"] == out["account"]["customer_id"].map(email)).all()
    assert not out["account"]["owner_email"].isin(real["customer"]["email"]).any()
    account = next(t for t in run.report["tables"] if t["name"] == "account")
    treatment = {c["name"]: c["treatment"] for c in account["columns"]}
    assert treatment["owner_email"] == "its synthetic parent's fake (customer.email)"
    for name in real:  # the set is synthesized at the input's size
        assert abs(len(out[name]) - len(real[name])) <= 0.1 * len(real[name]), name
    checks = {c["name"]: c for c in run.report["checks"]}
    assert checks["referential_integrity"]["value"] == 1.0
    assert checks["real_keys_in_output"]["value"] == 0


def test_children_follow_their_parents(real, run) -> None:
    out = run.synthetic

    def accounts_by_segment(t: dict[str, pd.DataFrame]) -> pd.Series:
        n = t["account"]["customer_id"].value_counts()
        c = t["customer"].assign(n=t["customer"]["customer_id"].map(n).fillna(0))
        return c.groupby("segment")["n"].mean()

    def balance_by_segment(t: dict[str, pd.DataFrame]) -> pd.Series:
        seg = t["customer"].set_index("customer_id")["segment"]
        return t["account"].assign(s=t["account"]["customer_id"].map(seg)) \
            .groupby("s")["balance"].median()

    for stat in (accounts_by_segment, balance_by_segment):
        r, s = stat(real), stat(out)
        assert list(r.sort_values().index) == list(s.sort_values().index), (stat, r, s)
        assert s["business"] > 1.5 * s["retail"], (stat, s)
    kind = out["account"].set_index("account_id")["kind"]
    amounts = out["payment"].assign(k=out["payment"]["account_id"].map(kind)) \
        .groupby("k")["amount"].median()
    assert amounts["savings"] > 2 * amounts["current"]


def test_parent_child_trends_tell_children_moved_to_random_parents(real, run) -> None:
    ts = table_set(real, RELATIONS)
    metas = {t: metadata_of(s, CFG) for t, s in scan_table_set(ts, CFG).scans.items()}
    same = trend_results(ts, metas, real, real, CFG)
    assert same.value == pytest.approx(1.0) and same.status == "pass"
    moved = {k: v.copy() for k, v in real.items()}  # accounts and payments to random owners
    for table, fk in (("account", "customer_id"), ("payment", "account_id")):
        moved[table][fk] = moved[table][fk].sample(frac=1, random_state=1).to_numpy()
    broken = trend_results(ts, metas, real, moved, CFG)
    ours = trend_results(ts, metas, real, run.synthetic, CFG)
    assert broken.value < ours.value, (broken.details, ours.details)
    assert "customer.customer_id -> account.customer_id" in ours.details["per_relation"]
    # The segment sets the accounts' count and balance: moved at random, the pairs break.
    lost = broken.details["per_relation"]["customer.customer_id -> account.customer_id"]
    kept = ours.details["per_relation"]["customer.customer_id -> account.customer_id"]
    assert lost < kept - 0.05, (lost, kept)
    checks = {c["name"]: c for c in run.report["checks"]}
    assert checks["parent_child_trends"]["status"] == "pass"


def test_a_parents_events_keep_their_order_and_realistic_gaps(real, run) -> None:
    def gaps(payments: pd.DataFrame) -> pd.Series:
        dated = payments.assign(day=pd.to_datetime(payments["paid_on"]))
        return dated.sort_values(["account_id", "day"]).groupby("account_id")["day"] \
            .diff().dropna().dt.days

    real_gaps, ours = gaps(real["payment"]), gaps(run.synthetic["payment"])
    assert len(ours) > 0.5 * len(real_gaps)
    for q in (0.25, 0.5, 0.75):  # about 20 days apart, as the real payments are
        assert abs(ours.quantile(q) - real_gaps.quantile(q)) <= 0.25 * real_gaps.quantile(q) + 1
    # Drawn one by one, a parent's dates would scatter over the two years.
    assert ours.median() < 60
    out = run.synthetic["payment"]
    assert out["account_id"].isin(run.synthetic["account"]["account_id"]).all()
    assert pd.to_datetime(out["paid_on"]).is_monotonic_increasing
    checks = {c["name"]: c for c in run.report["checks"]}
    assert checks["event_gap_similarity"]["status"] == "pass"
    assert list(checks["event_gap_similarity"]["details"]["per_relation"]) == [
        "payment.paid_on per account"]


def test_free_text_of_a_child_table_is_written_with_its_parents_row(real) -> None:
    gen = RecombiningGenerator()
    result = synthesize_tables(real, RELATIONS, load_config(), generator=gen)
    out = result.report
    # A model that strings real sentences together is told apart from real text, and
    # withheld for it: read the notes from inside the run.
    assert not result.released
    assert any("text_detection_auc" in reason for reason in result.decision.reasons)
    result = synthesize_tables(real, RELATIONS, load_config(
        gate__max_text_detection_auc=1.0), generator=RecombiningGenerator())
    assert result.synthetic is not None, result.decision.reasons
    notes = result.synthetic["account"]["note"]
    assert notes.notna().all() and (notes.str.split().str.len() >= 4).all()
    assert list(result.synthetic["account"].columns) == list(real["account"].columns)
    # The prompt shows the row and its parent's row (the customer's segment).
    assert any("customer.segment" in p for p in gen.prompts)
    real_names = {n for t in real["account"]["note"] for n in
                  t.removeprefix("Opened for ").split(" after")[:1]}
    run_notes = " ".join(notes)
    assert not any(name in run_notes for name in real_names)
    checks = {c["name"]: c for c in out["checks"]}
    for name in ("account:text_memorization", "account:text_length_similarity",
                 "account:text_fallback_share", "pii_replay"):
        assert checks[name]["status"] == "pass", (name, checks[name])
    account = next(t for t in out["tables"] if t["name"] == "account")
    assert {c["name"]: c["treatment"] for c in account["columns"]}["note"] == \
        "generated by the local LLM"
    assert out["text"]["account"]["note"]["stats"]["generated"] == len(notes)


def test_a_set_without_dated_events_is_not_refused_for_it(real) -> None:
    undated = {**real, "payment": real["payment"].drop(columns="paid_on")}
    result = synthesize_tables(undated, RELATIONS, CFG)
    checks = {c["name"]: c for c in result.report["checks"]}
    assert checks["event_gap_similarity"]["status"] == "not_applicable"
    assert result.released, result.decision.reasons


def test_reference_tables_and_whole_entities_in_the_holdout(real) -> None:
    ts = table_set(real, RELATIONS)
    lookups = lookup_tables(ts)
    assert lookups == {"branch", "advisor"}  # many children per row; an advisor joins people
    train, holdout, n_train, n_hold = split_by_entity(real, ts, lookups, 0.2, 42)
    assert n_hold == 80 and n_train == 320
    held = set(holdout["customer"]["customer_id"])
    assert not held & set(train["customer"]["customer_id"])
    # Every account and payment of a held-out customer is held out too.
    assert holdout["account"]["customer_id"].isin(held).all()
    assert not train["account"]["customer_id"].isin(held).any()
    assert holdout["payment"]["account_id"].isin(holdout["account"]["account_id"]).all()
    assert train["branch"].equals(real["branch"])  # reference rows are in both
    labels = components(real, ts.relations, lookups)
    assert len(set(labels["customer"])) == 400  # one entity per customer here


@pytest.fixture(scope="module")
def people() -> dict[str, pd.DataFrame]:
    """Enough people (1,000: 200 held out) for every disclosure check to see a copy."""
    return linked_tables(1_000, seed=3)


def _judged(real, synthetic):
    ts = table_set(real, RELATIONS)
    scan = scan_table_set(ts, CFG)
    metas = {t: metadata_of(s, CFG) for t, s in scan.scans.items()}
    lookups = lookup_tables(ts)
    train, holdout, _, _ = split_by_entity(real, ts, lookups, 0.2, 42)
    made = synthetic(train)
    results, _ = evaluate_tables(ts, metas, lookups, train, holdout, made, made, CFG)
    return {r.name: r for r in results}, decide(results, CFG.gate)


def test_a_copied_set_of_tables_is_refused_at_the_level_of_people(people) -> None:
    results, decision = _judged(people, lambda train: {k: v.copy() for k, v in train.items()})
    assert not decision.released
    entity = {n: r for n, r in results.items() if r.details.get("unit") == "entity"}
    for name in ("exact_match", "dcr_share", "nndr_share", "mia_auc", "mia_auc_domias",
                 "singling_out_risk", "pii_replay"):
        assert entity[name].status == "fail", (name, entity[name].value, entity[name].ci)
    assert results["real_keys_in_output"].status == "fail"


def test_an_independent_set_of_people_is_released(people) -> None:
    other = linked_tables(1_000, seed=4, id_offset=5_000_000)  # the input's size, as made
    results, decision = _judged(people, lambda train: other)
    assert decision.released, decision.reasons
    assert results["real_keys_in_output"].value == 0
    assert results["exact_match"].details["unit"] == "entity"


def _prepared(tables):
    """The set, its scan, metadata, reference tables and entity split, as the run makes
    them."""
    ts = table_set(tables, RELATIONS)
    scan = scan_table_set(ts, CFG)
    metas = {t: metadata_of(s, CFG) for t, s in scan.scans.items()}
    lookups = lookup_tables(ts)
    return ts, scan, metas, lookups, split_by_entity(tables, ts, lookups, 0.2, 42)


def test_canary_entities_are_planted_whole_and_found_when_copied(people) -> None:
    ts, scan, metas, lookups, (train, holdout, _, _) = _prepared(people)
    planted, canaries = plant_entities(5, train, ts, lookups, scan.scans, metas, 7, frozenset())
    assert len(canaries.records) == 5
    for name, rows in canaries.tables.items():  # whole entities: every row has its parent
        assert len(planted[name]) == len(train[name]) + len(rows)
        for r in ts.parents_of(name):
            parent = canaries.tables.get(r.parent, people[r.parent])
            assert rows[r.foreign_key].isin(parent[r.key]).all(), r
            if r.parent not in lookups:  # fresh keys, no real one
                assert not rows[r.foreign_key].isin(people[r.parent][r.key]).any(), r
    assert not canaries.tables["customer"]["email"].isin(people["customer"]["email"]).any()

    def judged(made):
        results, _ = evaluate_tables(ts, metas, lookups, planted, holdout, made, made, CFG,
                                     canaries)
        return {r.name: r for r in results}["canaries"]

    copied = judged({k: v.copy() for k, v in planted.items()})
    assert copied.status == "fail" and copied.value >= 10, copied.details  # names and rows
    assert copied.details["rows_reproduced"] == 5
    other = judged(linked_tables(1_000, seed=4, id_offset=5_000_000))
    assert other.status == "pass" and other.value == 0, other.details


def test_a_run_with_canary_entities_releases_none_of_them(real) -> None:
    cfg = load_config(text__enabled=False, checks__canaries=4)
    result = synthesize_tables(real, RELATIONS, cfg)
    checks = {c["name"]: c for c in result.report["checks"]}
    assert checks["canaries"]["status"] == "pass", checks["canaries"]
    assert checks["canaries"]["details"]["canaries"] == 4
    assert checks["canaries"]["details"]["unit"] == "entity"


def test_suppression_drops_copied_people_whole_and_few_others(people) -> None:
    ts, _, metas, lookups, (train, holdout, n_train, _) = _prepared(people)
    copied, counts = suppress_entities({k: v.copy() for k, v in train.items()}, train, holdout,
                                       ts, lookups, metas, CFG)
    assert counts["too_close"] == counts["entities"] == n_train
    for name in ("customer", "account", "payment", "advice"):  # every row of them goes
        assert copied[name].empty, name
    assert copied["branch"].equals(train["branch"])  # reference rows stay
    other = linked_tables(1_000, seed=4, id_offset=5_000_000)
    kept, counts = suppress_entities(other, train, holdout, ts, lookups, metas, CFG)
    dropped = counts["too_close"] + counts["rare_combination"]
    assert dropped <= 0.05 * counts["entities"], counts
    gone = set(other["customer"]["customer_id"]) - set(kept["customer"]["customer_id"])
    assert len(gone) == dropped
    assert not kept["account"]["customer_id"].isin(gone).any()  # children go with them


def test_orphans_are_counted_dropped_and_refused_under_the_strict_policy(real) -> None:
    tables = {k: v.copy() for k, v in real.items()}
    tables["payment"].loc[:4, "account_id"] = 7  # five payments of no account
    default = synthesize_tables(tables, RELATIONS, CFG)
    assert any("5 rows of account.account_id -> payment.account_id have no parent" in n
               for n in default.report["notes"])
    assert {r["child"]: r["orphans"] for r in default.report["relations"]}[
        "payment.account_id"] == 5
    strict = synthesize_tables(tables, RELATIONS, load_config(policy="strict",
                                                              text__enabled=False))
    assert not strict.released
    assert any("orphans" in r for r in strict.decision.reasons)


def test_the_same_seed_gives_the_same_tables(real, run) -> None:
    again = synthesize_tables(real, RELATIONS, CFG)
    for name, frame in run.synthetic.items():
        pd.testing.assert_frame_equal(frame, again.synthetic[name])


def test_run_on_a_folder_writes_every_table_and_a_report_without_input_values(
        real, tmp_path, capsys) -> None:
    folder = tmp_path / "bank"
    folder.mkdir()
    for name, frame in real.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    cfg = tmp_path / "privsynth.toml"
    cfg.write_text(RELATIONS_TOML, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["run", str(folder), "-o", str(out), "--config", str(cfg), "--no-text"])
    printed = capsys.readouterr()
    assert code == 0, printed.err[-2000:]
    assert "Traceback" not in printed.out + printed.err
    assert sorted(p.name for p in (out / "synthetic").iterdir()) == sorted(
        f"{n}.csv" for n in real)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["kind"] == "linked_tables"
    assert set(report["outputs"]["files"]) == {f"synthetic/{n}.csv" for n in real}
    assert set(report["input"]["tables"]) == set(real)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "customer.customer_id" in html
    assert main(["verify", str(out)]) == 0
    written = html + json.dumps(report) + printed.out + printed.err
    for email in real["customer"]["email"].head(50):
        assert email not in written
    (out / "synthetic" / "payment.csv").write_text("tampered", encoding="utf-8")
    assert main(["verify", str(out)]) != 0
