import re

from privsynth.checks.base import CheckResult
from privsynth.config import default_config
from privsynth.gate import decide
from privsynth.pii.scan import ColumnReport, EntityCount, ScanResult
from privsynth.report import build_report, render_html


def sample_report(released: bool = True) -> dict:
    check = CheckResult(
        "mia_auc",
        "privacy",
        "at_most",
        0.6,
        "pass" if released else "fail",
        0.51 if released else 0.9,
        (0.48, 0.54),
        "<b>explained</b>",
        {},
    )
    scan = ScanResult(
        (
            ColumnReport(
                "email",
                "identifier",
                "categorical",
                (EntityCount("EMAIL_ADDRESS", 9, 1.0),),
                ("shape x@x",),
                9,
                0.0,
                9,
            ),
        ),
        {},
    )
    return build_report(
        config=default_config(),
        scan=scan,
        treatments={"email": "faked"},
        checks=[check],
        decision=decide([check]),
        input_info={"file": "a.csv", "rows": 9, "columns": 1},
        method={},
        text={},
        command=["privsynth", "run"],
        timings={},
    )


def test_html_is_self_contained_and_escaped() -> None:
    html = render_html(sample_report())
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", html)
    assert "<script" not in html and "@import" not in html
    assert "&lt;b&gt;explained&lt;/b&gt;" in html
    for section in (
        "Verdict",
        "Input",
        "Column inventory",
        "Method",
        "Fidelity",
        "Privacy",
        "Text",
        "Reproducibility",
        "Sign-off",
    ):
        assert section in html
    assert "@media print" in html


def test_withheld_report_says_why() -> None:
    report = sample_report(released=False)
    assert report["decision"]["released"] is False
    assert "mia_auc" in report["decision"]["reasons"][0]
    assert "WITHHELD" in render_html(report)
