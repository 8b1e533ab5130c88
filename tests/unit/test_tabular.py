import pandas as pd
import pytest

from privsynth.errors import NotFittedError
from privsynth.schema import infer_schema
from privsynth.tabular import create, names
from privsynth.tabular.protect import RARE_MARKER, RareCategoryProtector


@pytest.fixture(scope="module")
def frame(customers) -> pd.DataFrame:
    return customers[["birth_date", "gender", "plan", "monthly_spend", "churned"]].head(400)


# The DP synthesizers fit Private-PGM (tens of seconds each): they run with the slow set.
@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n.startswith("dp-") else n
             for n in names()]
)
def test_every_registered_synthesizer_honours_the_contract(name: str, frame) -> None:
    schema = infer_schema(frame)
    synth = create(name, {}, seed=1)
    with pytest.raises(NotFittedError):
        synth.sample(5, seed=1)
    assert synth.fit(frame, schema) is synth
    a, b = synth.sample(50, seed=9), synth.sample(50, seed=9)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == list(frame.columns)
    assert a["birth_date"].str.match(r"^\d{4}-\d{2}-\d{2}$").all()
    assert a["monthly_spend"].round(2).equals(a["monthly_spend"])
    assert set(a["plan"]) <= set(frame["plan"])
    assert not synth.sample(50, seed=10).equals(a)


def test_rare_categories_are_never_reproduced() -> None:
    df = pd.DataFrame(
        {
            "zip": [f"{i:05d}" for i in range(50)] + ["11111"] * 50,
            "job": ["astronaut"] + ["clerk"] * 99,
        }
    )
    schema = infer_schema(df)
    prot = RareCategoryProtector(5, seed=0).fit(df, schema)
    pooled = prot.transform(df)
    restored = prot.inverse(pooled)
    rare_zips = set(df["zip"][:50])
    assert not set(restored["zip"]) & rare_zips
    assert restored["zip"].str.fullmatch(r"\d{5}").all()
    assert "astronaut" not in set(restored["job"]) and RARE_MARKER in set(restored["job"])
