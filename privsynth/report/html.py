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
    d = report["decision"]
    verdict_cls = "released" if d["released"] else "withheld"
    verdict = (
        "RELEASED: the synthetic data passed every check in the policy."
        if d["released"]
        else "WITHHELD: the synthetic data was not released."
    )
    inp = report["input"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>privsynth audit report {_e(report['report_id'])}</title><style>{_CSS}</style>",
        "</head><body>",
        f"<h1>privsynth audit report</h1><p class='muted'>Report {_e(report['report_id'])} · "
        f"schema {_e(report['schema_version'])} · {_e(report['created_at'])}</p>",
        f"<section id='verdict'><h2>1. Verdict</h2><div class='verdict {verdict_cls}'>"
        f"<strong>{verdict}</strong><ul>",
        *[f"<li>{_reason_link(r)}</li>" for r in d["reasons"]],
        "</ul></div></section>",
        "<section id='input'><h2>2. Input</h2><table>",
        *[f"<tr><th>{_e(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in inp.items()],
        "</table></section>",
        "<section id='columns'><h2>3. Column inventory</h2>",
        "<p class='muted'>Examples are redacted to their shape (X letter, 9 digit).</p><table>",
        "<tr><th>Column</th><th>Role</th><th>Kind</th><th>Entities (count, mean score)</th>"
        "<th>Evidence</th><th>Treatment</th></tr>",
        *[_column_row(c) for c in report["columns"]],
        "</table></section>",
        "<section id='method'><h2>4. Method</h2>",
        f"<pre>{_e(json.dumps(report['method'], indent=2))}</pre></section>",
        "<section id='checks'><h2>5–6. Fidelity and privacy checks</h2><table>",
        "<tr><th>Check</th><th>Category</th><th>Value</th><th>95% CI</th><th>Threshold</th>"
        "<th>Result</th><th>What it measures</th></tr>",
        *[_check_row(c) for c in report["checks"]],
        "</table></section>",
        "<section id='text'><h2>7. Text</h2>",
        _text_section(report.get("text", {})),
        "</section>",
        "<section id='reproducibility'><h2>8. Reproducibility</h2>",
        f"<pre>{_e(json.dumps(report['provenance'], indent=2))}</pre></section>",
        "<section id='signoff'><h2>9. Sign-off</h2><table class='sign'>",
        "<tr><th style='width:30%'>Reviewer name</th><td></td></tr><tr><th>Role</th><td></td></tr>",
        "<tr><th>Decision accepted (yes/no)</th><td></td></tr><tr><th>Date</th><td></td></tr>",
        "<tr><th>Signature</th><td></td></tr></table></section>",
        "</body></html>",
    ]
    return "\n".join(parts)


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
        f"<tr id='check-{_e(c['name'])}'><td>{_e(c['name'])}</td><td>{_e(c['category'])}</td>"
        f"<td>{_fmt(c['value'])}</td><td>{_e(ci)}</td><td>{goal} {_fmt(c['threshold'])}</td>"
        f"<td class='{_e(c['status'])}'>{_e(c['status'].replace('_', ' ').upper())}</td>"
        f"<td>{_e(c['explanation'])}<br><code>{_e(json.dumps(c['details']))}</code></td></tr>"
    )


def _text_section(text: dict[str, Any]) -> str:
    if not text:
        return "<p>No free-text columns.</p>"
    out = []
    for col, info in text.items():
        out.append(
            f"<h3>{_e(col)}</h3><pre>{_e(json.dumps(info.get('stats', {}), indent=2))}</pre>"
        )
        examples = info.get("examples", [])
        if examples:
            out.append("<p>Synthetic examples (generated, never real):</p><ul>")
            out.extend(f"<li>{_e(x)}</li>" for x in examples)
            out.append("</ul>")
        else:
            out.append(f"<p>{_e(info.get('note', 'No examples shown.'))}</p>")
    return "\n".join(out)
