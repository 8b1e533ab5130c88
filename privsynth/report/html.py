"""A self-contained HTML page from the report JSON: no scripts, fonts or images fetched."""

from __future__ import annotations

import json
from html import escape
from typing import Any

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;
max-width:1100px;
padding:1.5rem;color:#1b1f24}
h1{font-size:1.6rem;margin:.2rem 0}
h2{border-bottom:2px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
.verdict{padding:1rem 1.2rem;border-radius:8px;font-size:1.1rem}

.released{background:#dafbe1;border:1px solid #1a7f37}
.withheld{background:#ffebe9;border:1px solid #cf222e}
table{border-collapse:collapse;width:100%;margin:.5rem 0}

th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.pass{color:#1a7f37;font-weight:600}
.fail,.error,.not_applicable{color:#cf222e;font-weight:600}
code,pre{font-family:ui-monospace,Consolas,monospace;font-size:.85rem}
pre{white-space:pre-wrap;background:#f6f8fa;padding:.6rem;border-radius:6px}
.muted{color:#57606a}
.sign td{height:2.2rem}
.grid{display:flex;flex-wrap:wrap;gap:.5rem}figure{margin:.3rem;border:1px solid #eee;padding:.3rem}
figcaption{font-size:.8rem;color:#57606a}
@media print{body{max-width:none;padding:0}
h2{break-after:avoid}
table,pre{break-inside:avoid}
}
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return _e(value)


def render_html(report: dict[str, Any]) -> str:
    if report.get("kind") == "linked_tables":
        from privsynth.report.tables_html import render_tables_html

        return render_tables_html(report)
    inp = report["input"]
    parts = [
        *page_head(report, "privsynth audit report"),
        *verdict_section(report["decision"], "data", "was"),
        "<section id='input'><h2>2. Input</h2><table>",
        *[f"<tr><th>{_e(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in inp.items()],
        "</table>",
        _notes(report.get("notes") or []),
        "</section>",
        "<section id='columns'><h2>3. Column inventory</h2>",
        _role_summary(report["columns"]),
        "<p class='muted'>Examples are redacted to their shape (X letter, 9 digit).</p>",
        "<details open>"
        if len(report["columns"]) <= COLLAPSE_AFTER
        else "<details><summary>Per-column detail</summary>",
        "<table><tr><th>Column</th><th>Role</th><th>Kind</th>"
        "<th>Entities (count, mean score)</th><th>Evidence</th><th>Treatment</th></tr>",
        *[_column_row(c) for c in report["columns"]],
        "</table></details></section>",
        "<section id='method'><h2>4. Method</h2>",
        _method_section(report["method"]),
        "</section>",
        "<section id='fidelity'><h2>5. Fidelity</h2>",
        _check_table([c for c in report["checks"] if c["category"] == "fidelity"]),
        _fidelity_plots(report.get("plots") or {}),
        "</section>",
        "<section id='privacy'><h2>6. Privacy</h2>",
        _check_table([c for c in report["checks"] if c["category"] == "privacy"]),
        _privacy_plots(report["checks"]),
        "</section>",
        "<section id='text'><h2>7. Text</h2>",
        _text_section(report.get("text", {})),
        "</section>",
        "<section id='reproducibility'><h2>8. Reproducibility</h2>",
        f"<pre>{_e(json.dumps(report['provenance'], indent=2))}</pre></section>",
        *signoff(9),
    ]
    return "\n".join(parts)


def page_head(report: dict[str, Any], title: str) -> list[str]:
    """The document's head (no scripts, nothing fetched) and its title line."""
    return [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>privsynth audit report {_e(report['report_id'])}</title><style>{_CSS}</style>",
        "</head><body>",
        f"<h1>{_e(title)}</h1><p class='muted'>Report {_e(report['report_id'])} · "
        f"schema {_e(report['schema_version'])} · {_e(report['created_at'])}</p>",
    ]


def verdict_section(decision: dict[str, Any], what: str, verb: str) -> list[str]:
    """Section 1: released or withheld, with the reasons linked to their checks."""
    released = decision["released"]
    verdict = (f"RELEASED: the synthetic {what} passed every check in the policy." if released
               else f"WITHHELD: the synthetic {what} {verb} not released.")
    return [
        f"<section id='verdict'><h2>1. Verdict</h2><div class='verdict "
        f"{'released' if released else 'withheld'}'><strong>{verdict}</strong><ul>",
        *[f"<li>{_reason_link(r)}</li>" for r in decision["reasons"]],
        "</ul></div></section>",
    ]


def signoff(number: int) -> list[str]:
    """The last section, for the reviewer's hand, and the end of the page."""
    return [
        f"<section id='signoff'><h2>{number}. Sign-off</h2><table class='sign'>",
        "<tr><th style='width:30%'>Reviewer name</th><td></td></tr><tr><th>Role</th><td></td></tr>",
        "<tr><th>Decision accepted (yes/no)</th><td></td></tr><tr><th>Date</th><td></td></tr>",
        "<tr><th>Signature</th><td></td></tr></table></section>",
        "</body></html>",
    ]


COLLAPSE_AFTER = 30
_PLOT_KEYS = {"histogram", "roc", "per_column", "per_subset"}


def _notes(notes: list[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{_e(n)}</li>" for n in notes)
    return f"<h3>What happened to the input</h3><ul class='notes'>{items}</ul>"


def _role_summary(columns: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for c in columns:
        counts[c["role"]] = counts.get(c["role"], 0) + 1
    return "<p>" + ", ".join(f"{n} {_e(role)}" for role, n in sorted(counts.items())) + "</p>"


def _check_table(checks: list[dict[str, Any]]) -> str:
    head = (
        "<table><tr><th>Check</th><th>Value</th><th>95% CI</th><th>Threshold</th>"
        "<th>Result</th><th>What it measures</th></tr>"
    )
    return head + "".join(_check_row(c) for c in checks) + "</table>"


def _fidelity_plots(plots: dict[str, Any]) -> str:
    from privsynth.report.plots import bars_svg, heatmap_svg

    cols = plots.get("columns", {})
    if not cols:
        return "<p>No structured columns were modelled.</p>"
    figs = []
    for name, p in cols.items():
        if p["type"] == "histogram":
            caption = f"{name}: real vs synthetic (1st–99th percentile range)"
            svg = bars_svg(p["real"], p["synthetic"], caption=caption)
        else:
            svg = bars_svg(p["real"], p["synthetic"], p["levels"], caption=name)
        figs.append(f"<figure>{svg}</figure>")
    opener = (
        "<details open><summary>Per-column distributions</summary>"
        if len(cols) <= COLLAPSE_AFTER
        else "<details><summary>Per-column distributions</summary>"
    )
    out = [opener, "<div class='grid'>", *figs, "</div></details>"]
    corr = plots.get("correlation_difference")
    if corr:
        out.append("<h3>Correlation difference |real − synthetic|</h3>")
        out.append(heatmap_svg(corr["columns"], corr["matrix"]))
    return "".join(out)


def _privacy_plots(checks: list[dict[str, Any]]) -> str:
    from privsynth.report.plots import bars_svg, roc_svg

    out = []
    by = {c["name"]: c for c in checks}
    hist = (by.get("dcr_share") or {}).get("details", {}).get("histogram")
    if hist:
        out.append(
            "<figure><figcaption>Distance from each synthetic row to the nearest training"
            " row vs the nearest holdout row</figcaption>"
            + bars_svg(
                hist["first"],
                hist["second"],
                names=("to training", "to holdout"),
                caption="distance (0 = identical)",
            )
            + "</figure>"
        )
    roc = (by.get("mia_auc") or {}).get("details", {}).get("roc")
    if roc:
        out.append(
            "<figure><figcaption>Membership-inference ROC</figcaption>"
            + roc_svg(roc, by["mia_auc"]["value"])
            + "</figure>"
        )
    return "<div class='grid'>" + "".join(out) + "</div>" if out else ""


def _reason_link(reason: str) -> str:
    name = reason.split(":", 1)[0]
    return f"<a href='#check-{_e(name)}'>{_e(reason)}</a>" if ":" in reason else _e(reason)


def _column_row(c: dict[str, Any]) -> str:
    ents = ", ".join(f"{e['type']} ({e['count']}, {e['mean_score']:.2f})" for e in c["entities"])
    return (
        f"<tr><td>{_e(c['name'])}</td><td>{_e(c['role'])}</td><td>{_e(c['kind'])}</td>"
        f"<td>{_e(ents) or '—'}</td><td>{'<br>'.join(_e(x) for x in c['evidence'])}</td>"
        f"<td>{_e(c['treatment'])}</td></tr>"
    )


def _check_row(c: dict[str, Any]) -> str:
    ci = "—" if not c["ci"] else f"[{c['ci'][0]:.4g}, {c['ci'][1]:.4g}]"
    goal = "≤" if c["goal"] == "at_most" else "≥"
    return (
        f"<tr id='check-{_e(c['name'])}'><td>{_e(c['name'])}</td>"
        f"<td>{_fmt(c['value'])}</td><td>{_e(ci)}</td><td>{goal} {_fmt(c['threshold'])}</td>"
        f"<td class='{_e(c['status'])}'>{_e(c['status'].replace('_', ' ').upper())}</td>"
        f"<td>{_e(c['explanation'])}<br><code>"
        f"{_e(json.dumps({k: v for k, v in c['details'].items() if k not in _PLOT_KEYS}))}"
        "</code></td></tr>"
    )


def _method_section(method: dict[str, Any]) -> str:
    synth = method.get("synthesizer") or {}
    out = []
    if isinstance(synth, str):
        out.append(f"<p>Synthesizer: {_e(synth)}</p>")
    elif synth:
        mixture = synth.get("mixture") or {}
        protection = synth.get("value_protection") or {}
        rare = (protection.get("rare_categories") or {}).get("columns", {})
        clipped = (protection.get("extreme_values") or {}).get("columns", {})
        rows = [
            ("Synthesizer", f"{synth.get('name')} ({synth.get('engine')})"),
            ("Fitted on", f"{synth.get('fit_rows')} of {synth.get('training_rows')} training rows"
             + (" (a uniform sample)" if synth.get("fitted_on_sample") else "")),
            ("Mixture", f"{mixture.get('components')} components, stratified by "
             f"{mixture.get('stratified_by') or 'nothing'}" if mixture else "single model"),
            ("Empirical marginals", ", ".join(synth.get("empirical_marginals") or []) or "none"),
            ("Rare categories replaced", ", ".join(
                f"{c} ({v.get('rare_levels')} levels)" for c, v in rare.items()) or "none"),
            ("Extreme values clipped (training values)", ", ".join(
                f"{c} ({v.get('training_values_clipped')})" for c, v in clipped.items()
                if v.get("training_values_clipped")) or "none"),
            ("Constraints", "; ".join(
                f"{c['type']}({', '.join(c['columns'])}) by {c['enforced_by']}"
                for c in synth.get("constraints") or []) or "none"),
            ("Suppressed before release", _counts(synth.get("suppression"))),
        ]
        out.append("<table>" + "".join(
            f"<tr><th>{_e(k)}</th><td>{_e(str(v))}</td></tr>" for k, v in rows) + "</table>")
        meta = synth.get("metadata") or {}
        if meta:
            out.append("<details><summary>Column metadata</summary><table><tr><th>column</th>"
                       "<th>kind</th><th>sdtype</th><th>format / decimals</th><th>levels</th>"
                       "<th>source</th></tr>")
            out.extend(
                f"<tr><td>{_e(c)}</td><td>{_e(m.get('kind'))}</td><td>{_e(m.get('sdtype'))}</td>"
                f"<td>{_e(m.get('datetime_format', m.get('decimals', '')))}</td>"
                f"<td>{_e(m.get('levels'))}</td><td>{_e(m.get('source'))}</td></tr>"
                for c, m in meta.items()
            )
            out.append("</table></details>")
    if isinstance(synth, dict) and synth.get("differential_privacy"):
        out.append(_dp_section(synth["differential_privacy"]))
    engine = method.get("engine") or {}
    if engine.get("engine") == "dask":
        out.append(
            "<p>Engine: Dask at " + _e(engine.get("scheduler")) + f", {_e(engine.get('workers'))}"
            f" workers, {_e(engine.get('threads'))} threads. Chunked on the cluster: PII "
            "detection, sampling with suppression, text generation and nearest-neighbour "
            "searches. Single-node: " + _e(engine.get("single_node_steps")) + ".</p>"
        )
    out.append("<details><summary>Full method record</summary>"
               f"<pre>{_e(json.dumps(method, indent=2))}</pre></details>")
    return "\n".join(out)


def _dp_section(dp: dict[str, Any]) -> str:
    """Privacy accounting: the budget, its split, what it covers, and what epsilon means."""
    if not dp.get("applied"):
        return f"<h3 id='dp'>Differential privacy</h3><p>Not applied: {_e(dp.get('reason'))}</p>"
    split = dp.get("split") or {}
    bins = split.get("bin_edges") or {}
    table = split.get("contingency_table") or {}
    rows = [
        ("Guarantee", f"({dp.get('epsilon'):g}, {dp.get('delta'):.3g})-differential privacy "
         f"({dp.get('definition')})"),
        ("Certified epsilon", f"{dp.get('certified_epsilon')} (OpenDP's conversion of rho)"),
        ("delta", f"{dp.get('delta'):.3g} ({dp.get('delta_source')})"),
        ("Mechanism", dp.get("mechanism")),
        ("Composition", dp.get("composition")),
        ("Budget: bin edges", f"rho {bins.get('rho', 0):.4g} for {len(bins.get('columns', []))} "
         f"number/date column(s), {bins.get('quantiles_per_column')} private quantiles each"),
        ("Budget: marginals", f"rho {table.get('rho', 0):.4g}; {table.get('detail')}"),
        ("Declared category lists", ", ".join(dp.get("declared_domains") or []) or "none"),
        ("Categories discovered privately", ", ".join(dp.get("discovered_categories") or [])
         or "none"),
        ("Columns covered", ", ".join(dp.get("columns_covered") or []) or "none"),
        ("Reproducibility", dp.get("reproducibility")),
    ]
    not_covered = dp.get("not_covered") or {}
    return (
        "<h3 id='dp'>Differential privacy</h3>"
        f"<p class='dp-explain'>{_e(dp.get('explanation'))}</p><table>"
        + "".join(f"<tr><th>{_e(k)}</th><td>{_e(str(v))}</td></tr>" for k, v in rows)
        + "</table><p>Not covered by the guarantee:</p><ul>"
        + "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in not_covered.items())
        + "</ul>"
    )


def _counts(d: dict[str, Any] | None) -> str:
    return ", ".join(f"{k}: {v}" for k, v in (d or {}).items()) or "none"


def _text_section(text: dict[str, Any]) -> str:
    if not text:
        return "<p>No free-text columns.</p>"
    out = []
    for col, info in text.items():
        stats, gen = info.get("stats", {}), info.get("generator", {})
        out.append(f"<h3>{_e(col)}</h3>")
        if stats:
            model = gen.get("generator", {})
            rows = [
                ("Texts generated / fallbacks", f"{stats.get('generated')} / "
                 f"{stats.get('fallbacks')}"),
                ("Rejected and regenerated", _counts(stats.get("rejected"))),
                ("Entities replaced after generation", _counts(stats.get("entities_replaced"))),
                ("Entities scrubbed from real text", _counts(info.get("scrubbed_entities"))),
                ("Exemplars shown to the model / excluded",
                 f"{gen.get('exemplars')} / {_counts(gen.get('exemplars_excluded'))}"),
                ("Exemplar edits (masked as XXXX, cut)", _counts(gen.get("exemplar_edits"))),
                ("Early ends overruled (length floor)", str(stats.get("early_ends_overruled",
                                                                      0))),
                ("Grouped by", f"{gen.get('group_column') or 'nothing'} "
                 f"({gen.get('group_column_chosen_by')})"),
                ("Length in words p10/p50/p90, real vs synthetic",
                 f"{stats.get('real_length_words_p10_p50_p90')} vs "
                 f"{stats.get('synthetic_length_words_p10_p50_p90')}"),
                ("Filter", _counts(gen.get("filter"))),
                ("Prompt", f"{gen.get('template')} ({model.get('prompting', '')})"),
                ("Speed", f"{stats.get('tokens')} tokens in {stats.get('seconds')} s, "
                 f"{stats.get('tokens_per_second')} tokens/s"),
            ]
            out.append("<table>" + "".join(
                f"<tr><th>{_e(k)}</th><td>{_e(str(v))}</td></tr>" for k, v in rows
            ) + "</table>")
        out.append(
            "<details><summary>All figures</summary><pre>"
            f"{_e(json.dumps({k: v for k, v in info.items() if k != 'examples'}, indent=2))}"
            "</pre></details>"
        )
        examples = info.get("examples", [])
        if examples:
            out.append("<p>Synthetic examples (generated, never real):</p><ul>")
            out.extend(f"<li>{_e(x)}</li>" for x in examples)
            out.append("</ul>")
        else:
            out.append(f"<p>{_e(info.get('note', 'No examples shown.'))}</p>")
    return "\n".join(out)
