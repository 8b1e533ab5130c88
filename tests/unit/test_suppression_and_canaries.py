import pandas as pd

from privsynth.config import load_config
from privsynth.schema import infer_schema
from privsynth.tabular.suppress import SuppressionRule
from tests.unit.test_checks_oracle import MODELLED, population


def test_suppression_flags_copies_and_rare_combinations_only() -> None:
    pop = population(3000, seed=4)[MODELLED]
    train, holdout, fresh = pop.iloc[:1600], pop.iloc[1600:2000], pop.iloc[2000:2400]
    schema = infer_schema(pop)
    rule = SuppressionRule.fit(train, holdout, schema, ["age", "region"],
                               load_config().suppression)
    close, _ = rule.flags(train.head(200))
    assert close.all()
    close_f, rare_f = rule.flags(fresh)
    assert close_f.mean() < 0.05 and rare_f.mean() < 0.2
    rare_row = train.head(1).assign(age=17, region="r-unique")
    combo_rule = SuppressionRule.fit(pd.concat([train, rare_row]), holdout, infer_schema(
        pd.concat([pop, rare_row])), ["age", "region"], load_config().suppression)
    assert combo_rule.flags(rare_row)[1].all()


def test_at_scale_the_search_uses_the_fitted_rows_and_hashes_catch_every_copy() -> None:
    pop = population(3000, seed=5)[MODELLED]
    train, holdout, fresh = pop.iloc[:1600], pop.iloc[1600:2000], pop.iloc[2000:2400]
    fitted = train.iloc[:400]  # the rows the model saw
    rule = SuppressionRule.fit(train, holdout, infer_schema(pop), [],
                               load_config().suppression, fitted=fitted, seed=1)
    assert rule.train_encoded is not None and len(rule.train_encoded) == 400
    # Exact copies of rows the model never saw are still caught, by their hashes.
    assert rule.flags(train.iloc[1000:1100])[0].all()
    assert rule.flags(fresh)[0].mean() < 0.05


def test_pipeline_plants_canaries_and_none_come_out(small_customers) -> None:
    from privsynth.pipeline import synthesize
    from tests.fakes import ScriptedGenerator

    res = synthesize(small_customers, load_config(rows=60, checks__canaries=4),
                     generator=ScriptedGenerator())
    canary = next(c for c in res.report["checks"] if c["name"] == "canaries")
    assert canary["status"] == "pass" and canary["details"]["canaries"] == 4
    assert res.report["input"]["canaries_planted"] == 4


def test_a_model_that_copies_its_examples_cannot_leak_a_canary(small_customers) -> None:
    from privsynth.pipeline import synthesize
    from tests.fakes import CopyingGenerator

    # Scrubbing removes the canary's name and email but not its unique phrase. Exemplars show
    # no word and no n-gram fewer than k texts share (they become XXXX), and a copy of a
    # distinctive text is regenerated, so even a model that copies verbatim cannot leak it.
    gen = CopyingGenerator()
    res = synthesize(small_customers, load_config(rows=60, checks__canaries=4), generator=gen)
    canary = next(c for c in res.report["checks"] if c["name"] == "canaries")
    assert canary["status"] == "pass" and canary["details"]["strings_found"] == 0
    edits = res.report["text"]["notes"]["generator"]["exemplar_edits"]
    assert edits["rare_words_masked"] + edits.get("rare_ngrams_broken", 0) >= 4
    assert gen.prompts  # test_text_synth shows a canary's own phrase is masked


def test_blocked_nearest_search_matches_brute_force_below_one_mismatch() -> None:
    import numpy as np

    from privsynth.metrics.distance import MixedEncoder, knn, nearest_below_mismatch

    pop = population(2500, seed=7)[MODELLED]
    ref, query = pop.iloc[:1500], pop.iloc[1500:]
    # Some exact copies and near copies, so small distances occur.
    query = pd.concat([query, ref.iloc[:50]])
    schema = infer_schema(pop)
    enc = MixedEncoder(schema).fit(pop)
    r, q = enc.transform(ref), enc.transform(query)
    n = len(MODELLED)
    got, cap = nearest_below_mismatch(r, q, enc.exact_, n)
    brute = knn(r, q, 1, n)[0][:, 0]
    assert np.isclose(cap, 1 / np.sqrt(n))
    below = brute < cap
    assert below.sum() > 50 and (~below).sum() >= 10  # both regimes are exercised
    # brute force works through dot products, so an exact copy can come out as 1e-8
    assert np.allclose(got[below], brute[below], atol=1e-6)
    assert np.all(got[~below] == cap)
    # The rule's threshold from the blocked search is the brute-force quantile.
    from privsynth.tabular.suppress import _reference_quantile

    for qq in (0.01, 0.05):
        assert np.isclose(_reference_quantile(r, q, enc.exact_, n, qq), np.quantile(brute, qq))
