"""Command line: turns arguments into config, calls the library, maps errors to exit codes.

Exit codes: 0 released (or command succeeded), 3 withheld by the gate, 2 bad input or usage,
1 internal error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from privsynth.errors import PrivsynthError, UserError

EXIT_OK, EXIT_INTERNAL, EXIT_USER, EXIT_WITHHELD = 0, 1, 2, 3

logger = logging.getLogger("privsynth")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="privsynth",
        description="Offline synthetic copies of sensitive "
        "tables, with privacy checks, a fail-closed gate and an audit report.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="scan, synthesize, check, gate and report")
    run.add_argument(
        "input", help="CSV, TSV, Parquet or JSONL file, a folder or quoted glob of parts, or "
        "a database URL (sqlite:///bank.db, postgresql://user@host/db)"
    )
    run.add_argument("--tables", help="tables of a database to read, comma-separated "
                     "(default: all); the relations among them come along")
    run.add_argument("--to-db", metavar="URL", help="also write a released run into this "
                     "database, with its keys (it must be empty, or --force)")
    run.add_argument("-o", "--output", required=True, help="output directory")
    run.add_argument("--config", help="privsynth.toml with overrides of the defaults")
    run.add_argument("--rows", type=int, help="number of synthetic rows (default: train size)")
    run.add_argument("--seed", type=int, help="random seed (default 42)")
    run.add_argument("--model", help="path to a GGUF model (default: the bundled gemma-3-270m)")
    run.add_argument("--no-text", action="store_true", help="drop free-text columns; no LLM")
    run.add_argument("--force", action="store_true", help="replace a non-empty output directory")
    run.add_argument("--canaries", type=int, help="plant N fake records and prove none come out")
    run.add_argument("--policy", help="gate preset: default, strict or lenient")
    run.add_argument(
        "--max-memory",
        help="memory budget such as 4GB; a larger input is sampled down to fit (default: auto)",
    )
    run.add_argument(
        "--engine", choices=["local", "dask"],
        help="where chunked stages run (default local; dask needs privsynth[dask])",
    )
    run.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="Dask scheduler address such as tcp://host:8786 (implies --engine dask; "
        "without it, --engine dask starts a local cluster)",
    )

    scan = sub.add_parser("scan", help="print the PII inventory of a table")
    scan.add_argument("input")
    scan.add_argument("--config")
    scan.add_argument("--tables", help="tables of a database to scan, comma-separated")
    scan.add_argument("--json", action="store_true", help="print JSON instead of a table")

    check = sub.add_parser("check", help="check a synthetic table made by any generator")
    check.add_argument("real", help="the real rows the generator was trained on")
    check.add_argument("synthetic", help="the synthetic table")
    check.add_argument("--holdout", required=True, help="real rows the generator never saw")
    check.add_argument("-o", "--output", required=True, help="output directory for the report")
    check.add_argument("--config")
    check.add_argument("--policy", help="gate preset: default, strict or lenient")
    check.add_argument("--force", action="store_true")

    sub.add_parser("doctor", help="check that everything needed offline is present")

    verify = sub.add_parser("verify", help="check that an output folder matches its report")
    verify.add_argument("outdir")

    report = sub.add_parser("report", help="re-render report.html from report.json")
    report.add_argument("outdir")
    return parser


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(args_list)
    except UserError as exc:
        print(f"privsynth: error: {exc}", file=sys.stderr)
        return EXIT_USER
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if args.command is None:
        build_parser().print_help()
        return EXIT_USER
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logger.level)
    _setup_logging(args.quiet)
    try:
        return _run_command(args, args_list)
    finally:
        # main() may be called in-process (tests, notebooks): leave logging as it was found.
        root.handlers[:], root.level = saved[0], saved[1]
        logger.setLevel(saved[2])


def entry() -> None:
    """The ``privsynth`` command. After a SIGTERM the process ends at once with 143: native
    threads (JAX, OpenDP) left running can crash the interpreter's normal shutdown."""
    code = main()
    if code == EXIT_TERMINATED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


class _Terminated(BaseException):
    """SIGTERM, raised where the run is, so the same clean-up as for Ctrl-C happens."""


EXIT_TERMINATED = 143
TERMINATE_GRACE_SECONDS = 10.0


class _TerminationGuard:
    """SIGTERM ends a run with exit 143, no traceback and no output, wherever it arrives.

    The Python handler raises ``_Terminated`` in the main thread. Two things can defeat that,
    and the guard covers both. A library may call back into Python from native code, where
    the exception is swallowed and the native caller may crash (OpenDP's callbacks did, with
    a segmentation fault): inside such a library the handler only records the request, an
    "ignored exception" report is silenced, and an error the library raises next is reported
    as the termination. And native code may not return to Python for a long time (a large DP
    fit): the C-level handler also wakes a watchdog thread through ``signal.set_wakeup_fd``;
    if the run has not ended ``TERMINATE_GRACE_SECONDS`` later, the watchdog removes
    unfinished output folders and ends the process itself.
    """

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.done = threading.Event()
        self._saved: tuple[Any, ...] | None = None

    def __enter__(self) -> _TerminationGuard:
        if threading.current_thread() is not threading.main_thread():
            return self
        import socket

        reader, writer = socket.socketpair()
        writer.setblocking(False)
        previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        self._saved = (previous, previous_fd, reader, writer, sys.unraisablehook)
        sys.unraisablehook = self._unraisable
        threading.Thread(target=self._watch, args=(reader,), daemon=True,
                         name="privsynth-sigterm").start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        if self._saved is None:
            return
        previous, previous_fd, reader, writer, hook = self._saved
        signal.signal(signal.SIGTERM, previous)
        signal.set_wakeup_fd(previous_fd)
        sys.unraisablehook = hook
        writer.close()  # ends the watchdog's read
        reader.close()

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.requested.set()
        if _inside_native_callers(frame):
            return  # raising here can crash the native caller; the watchdog ends the run
        raise _Terminated()

    def _unraisable(self, info: Any) -> None:
        if isinstance(info.exc_value, _Terminated):
            return
        assert self._saved is not None
        self._saved[4](info)

    def _watch(self, reader: Any) -> None:
        try:
            while not self.done.is_set():
                data = reader.recv(64)
                if not data:
                    return
                if signal.SIGTERM in data:
                    break
            else:
                return
        except OSError:
            return
        self.requested.set()
        if self.done.wait(TERMINATE_GRACE_SECONDS):
            return
        from privsynth.io import remove_unfinished_outputs

        remove_unfinished_outputs()
        print("privsynth: terminated; no output was written", file=sys.stderr, flush=True)
        os._exit(EXIT_TERMINATED)


# Libraries that call back into Python from native code: an exception raised in such a
# callback is swallowed, and the native caller may then crash (a SIGTERM during an OpenDP fit
# ended in a segmentation fault).
_NATIVE_CALLERS = ("/opendp/", "/polars/", "/jax/", "/jaxlib/")


def _inside_native_callers(frame: Any) -> bool:
    while frame is not None:
        if any(part in frame.f_code.co_filename for part in _NATIVE_CALLERS):
            return True
        frame = frame.f_back
    return False


def _run_command(args: argparse.Namespace, args_list: list[str]) -> int:
    with _TerminationGuard() as guard:
        try:
            return _run_guarded(args, args_list, guard)
        except _Terminated:
            pass
        except BaseException:
            if not guard.requested.is_set():
                raise
        print("privsynth: terminated; no output was written", file=sys.stderr)
        return EXIT_TERMINATED


def _run_guarded(args: argparse.Namespace, args_list: list[str],
                 guard: _TerminationGuard) -> int:
    try:
        return int(_COMMANDS[args.command](args, args_list))
    except _Terminated:
        raise
    except PrivsynthError as exc:
        if guard.requested.is_set():  # an error after a swallowed SIGTERM is the SIGTERM
            raise _Terminated() from None
        print(f"privsynth: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("privsynth: interrupted; no output was written", file=sys.stderr)
        return 130
    except MemoryError:
        print("privsynth: error: out of memory; try --rows or a smaller input", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback, no values
        if guard.requested.is_set():  # an error after a swallowed SIGTERM is the SIGTERM
            raise _Terminated() from None
        print(
            f"privsynth: internal error ({type(exc).__name__}); please report it. "
            "Set PRIVSYNTH_DEBUG=1 for details.",
            file=sys.stderr,
        )
        if os.environ.get("PRIVSYNTH_DEBUG"):
            raise
        return EXIT_INTERNAL


def _setup_logging(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("privsynth: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logger.setLevel(logging.ERROR if quiet else logging.INFO)
    for noisy in (
        "presidio-analyzer",
        "presidio-anonymizer",
        "SingleTableSynthesizer",
        "sdv",
        "copulas",
        "rdt",
        "ctgan",
    ):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore")


def _cmd_run(args: argparse.Namespace, argv: list[str]) -> int:
    from privsynth.api import run_file
    from privsynth.database import is_url, masked

    result = run_file(
        args.input,
        args.output,
        config_path=args.config,
        rows=args.rows,
        seed=args.seed,
        model=args.model,
        no_text=args.no_text,
        force=args.force,
        canaries=args.canaries,
        policy=args.policy,
        max_memory=args.max_memory,
        engine=args.engine,
        scheduler=args.scheduler,
        command=["privsynth", *(masked(a) if is_url(a) else a for a in argv)],
        progress=not args.quiet,
        tables=_table_list(args.tables),
        to_db=args.to_db,
    )
    out = Path(args.output)
    if result.released:
        table = out / "synthetic.csv"
        if not table.exists():
            table = out / "synthetic"
        print(f"released: {table} (report: {out / 'report.html'})")
        return EXIT_OK
    print(f"withheld: see {out / 'report.html'}", file=sys.stderr)
    for reason in result.decision.reasons:
        print(f"  - {reason}", file=sys.stderr)
    return EXIT_WITHHELD


def _cmd_scan(args: argparse.Namespace, argv: list[str]) -> int:
    from privsynth.api import has_relations, scan_file
    from privsynth.database import is_url

    if has_relations(args.config) or is_url(args.input):
        return _scan_tables(args)
    result = scan_file(args.input, config_path=args.config)
    rows = [_scan_row(c) for c in result.columns]
    if args.json:
        print(json.dumps({"columns": rows, "seconds": round(result.seconds, 2)}, indent=2))
        return EXIT_OK
    width = max(len(r["name"]) for r in rows)
    print(f"{'column':<{width}}  {'role':<16}  {'kind':<11}  entities (count, mean score)")
    for r in rows:
        ents = ", ".join(f"{e['type']}({e['count']}, {e['mean_score']:.2f})" for e in r["entities"])
        print(f"{r['name']:<{width}}  {r['role']:<16}  {r['kind']:<11}  {ents or '-'}")
    return EXIT_OK


def _scan_tables(args: argparse.Namespace) -> int:
    from privsynth.api import scan_tables

    found = scan_tables(args.input, config_path=args.config,
                        tables=_table_list(args.tables)).to_dict()
    if args.json:
        print(json.dumps(found, indent=2))
        return EXIT_OK
    for table in found["tables"]:
        print(f"table {table['name']} ({table['rows']:,} rows)")
        for k in table["keys"]:
            print(f"  {k['name']:<24}  {k['role']:<16}  {', '.join(k['of'])}")
        for c in table["columns"]:
            ents = ", ".join(c["entities"]) or "-"
            print(f"  {c['name']:<24}  {c['role']:<16}  {c['kind']:<11}  {ents}")
    print("relations (parent key -> foreign key)")
    for r in found["relations"]:
        orphans = f"  {r['orphans']:,} orphan rows" if r["orphans"] else ""
        print(f"  {r['parent']} -> {r['child']}{orphans}")
    return EXIT_OK


def _table_list(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _scan_row(c: Any) -> dict[str, Any]:
    return {
        "name": c.name,
        "role": c.role,
        "kind": c.kind,
        "entities": [
            {"type": e.type, "count": e.count, "mean_score": e.mean_score} for e in c.entities
        ],
        "dominant_entity": c.dominant_entity,
        "evidence": list(c.evidence),
        "sampled_values": c.sampled,
    }


def _cmd_check(args: argparse.Namespace, argv: list[str]) -> int:
    from privsynth.api import check_files

    result = check_files(
        args.real,
        args.synthetic,
        args.holdout,
        args.output,
        config_path=args.config,
        force=args.force,
        command=["privsynth", *argv],
        policy=args.policy,
    )
    verdict = "passed" if result.released else "failed"
    print(f"checks {verdict}: see {Path(args.output) / 'report.html'}")
    for reason in result.decision.reasons:
        print(f"  - {reason}")
    return EXIT_OK if result.released else EXIT_WITHHELD


def _cmd_doctor(args: argparse.Namespace, argv: list[str]) -> int:
    from privsynth.api import doctor

    ok = True
    for item in doctor():
        ok &= item["ok"]
        print(f"[{'ok' if item['ok'] else 'MISSING'}] {item['name']}: {item['detail']}")
    return EXIT_OK if ok else EXIT_USER


def _cmd_verify(args: argparse.Namespace, argv: list[str]) -> int:
    from privsynth.api import verify_dir

    problems = verify_dir(args.outdir)
    if problems:
        for p in problems:
            print(f"MISMATCH: {p}")
        return EXIT_WITHHELD
    print(f"ok: {args.outdir} matches its report")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace, argv: list[str]) -> int:
    from privsynth.api import rerender_report

    path = rerender_report(args.outdir)
    print(f"rendered {path}")
    return EXIT_OK


_COMMANDS = {
    "run": _cmd_run,
    "scan": _cmd_scan,
    "check": _cmd_check,
    "doctor": _cmd_doctor,
    "verify": _cmd_verify,
    "report": _cmd_report,
}
