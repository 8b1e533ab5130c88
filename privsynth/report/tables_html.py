"""The HTML page of a run on linked tables: the verdict, a schema diagram (inline SVG), a
section per table, the entity-level privacy checks and the relational checks."""

from __future__ import annotations

import json
from typing import Any

from privsynth.report.html import (
    _check_table,
    _e,
    _fmt,
    _notes,
    page_head,
    signoff,
    verdict_section,
)

BOX_W, BOX_H, GAP_X, GAP_Y = 170, 46, 60, 70


def schema_svg(tables: list[dict[str, Any]], relations: list[dict[str, Any]]) -> str:
    """Tables as boxes in rows by depth (parents above children), an arrow per relation from
    the parent key to the foreign key."""
    depth: dict[str, int] = {}
    for t in tables:  # tables come parents first
        parents = [r["parent"].split(".", 1)[0] for r in relations
                   if r["child"].split(".", 1)[0] == t["name"]
                   and r["parent"].split(".", 1)[0] != t["name"]]
        depth[t["name"]] = 1 + max((depth.get(p, 0) for p in parents), default=-1)
    rows: dict[int, list[str]] = {}
    for name, d in depth.items():
        rows.setdefault(d, []).append(name)
    pos = {name: (20 + i * (BOX_W + GAP_X), 20 + d * (BOX_H + GAP_Y))
           for d, names in rows.items() for i, name in enumerate(names)}
    width = 40 + max(len(n) for n in rows.values()) * (BOX_W + GAP_X)
    height = 40 + len(rows) * (BOX_H + GAP_Y)
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
           f"role='img' aria-label='schema diagram'><defs><marker id='a' markerWidth='8' "
           "markerHeight='8' refX='7' refY='4' orient='auto'><path d='M0,0 L8,4 L0,8 z' "
           "fill='#57606a'/></marker></defs>"]
    for r in relations:
        p, c = r["parent"].split(".", 1)[0], r["child"].split(".", 1)[0]
        (x1, y1), (x2, y2) = pos[p], pos[c]
        out.append(f"<line x1='{x1 + BOX_W / 2}' y1='{y1 + BOX_H}' x2='{x2 + BOX_W / 2}' "
                   f"y2='{y2}' stroke='#57606a' marker-end='url(#a)'><title>"
                   f"{_e(r['parent'])} -&gt; {_e(r['child'])}</title></line>")
    for t in tables:
        x, y = pos[t["name"]]
        fill = "#f6f8fa" if t.get("reference_table") else "#ddf4ff"
        out.append(f"<rect x='{x}' y='{y}' width='{BOX_W}' height='{BOX_H}' rx='6' "
                   f"fill='{fill}' stroke='#0969da'/><text x='{x + 8}' y='{y + 19}' "
                   f"font-size='14' font-weight='600'>{_e(t['name'])}</text>"
                   f"<text x='{x + 8}' y='{y + 37}' font-size='12' fill='#57606a'>"
                   f"{t['rows']:,} rows · {len(t['columns']) + len(t['keys'])} columns</text>")
    out.append("</svg>")
    return "".join(out)


def _table_section(t: dict[str, Any], checks: list[dict[str, Any]]) -> str:
    keys = "".join(f"<tr><td>{_e(k['name'])}</td><td>{_e(k['role'])}</td><td>—</td>"
                   f"<td>{_e(', '.join(k['of']))}</td><td>fresh surrogate keys</td></tr>"
                   for k in t["keys"])
    cols = "".join(f"<tr><td>{_e(c['name'])}</td><td>{_e(c['role'])}</td>"
                   f"<td>{_e(c['kind'])}</td><td>{_e(', '.join(c['entities'])) or '—'}</td>"
                   f"<td>{_e(c['treatment'])}</td></tr>" for c in t["columns"])
    own = [c for c in checks if c["name"].startswith(f"{t['name']}:")]
    kind = " (reference table: no unseen rows, kept out of the entities)" \
        if t.get("reference_table") else ""
    return (f"<h3 id='table-{_e(t['name'])}'>{_e(t['name'])}{kind}</h3>"
            f"<p>{t['rows']:,} real rows ({t['rows_fitted']:,} fitted), "
            f"{t['rows_synthetic']:,} synthetic rows.</p>"
            "<table><tr><th>Column</th><th>Role</th><th>Kind</th><th>Entities / keys</th>"
            f"<th>Treatment</th></tr>{keys}{cols}</table>"
            + (_check_table(own) if own else ""))


def render_tables_html(report: dict[str, Any]) -> str:
    checks = report["checks"]
    entity = [c for c in checks if c["details"].get("unit") == "entity"]
    relational = [c for c in checks if c["details"].get("per_relation") is not None]
    ents = report["entities"]
    return "\n".join([
        *page_head(report, "privsynth audit report: linked tables"),
        *verdict_section(report["decision"], "tables", "were"),
        "<section id='schema'><h2>2. Tables and relations</h2>",
        schema_svg(report["tables"], report["relations"]),
        "<table><tr><th>Parent key</th><th>Foreign key</th><th>Orphan rows</th></tr>",
        *[f"<tr><td>{_e(r['parent'])}</td><td>{_e(r['child'])}</td>"
          f"<td>{_fmt(r['orphans'])}</td></tr>" for r in report["relations"]],
        "</table>", _notes(report.get("notes") or []), "</section>",
        "<section id='entities'><h2>3. People: entity-level privacy</h2>",
        f"<p>An entity is {_e(ents['definition'])}. {ents['train']:,} entities trained the "
        f"models and {ents['holdout']:,} were held out whole. Reference tables: "
        f"{_e(', '.join(ents['reference_tables']) or 'none')}. Each entity is judged as one "
        "record: " + _e(", ".join(ents["record_columns"])) + ".</p>",
        _check_table(entity), "</section>",
        "<section id='relations'><h2>4. Relations</h2>", _check_table(relational),
        "</section>",
        "<section id='tables'><h2>5. Tables</h2>",
        *[_table_section(t, checks) for t in report["tables"]], "</section>",
        "<section id='method'><h2>6. Method</h2>",
        f"<pre>{_e(json.dumps(report['method'], indent=2))}</pre></section>",
        "<section id='reproducibility'><h2>7. Reproducibility</h2>",
        f"<pre>{_e(json.dumps(report['provenance'], indent=2))}</pre></section>",
        *signoff(8),
    ])
