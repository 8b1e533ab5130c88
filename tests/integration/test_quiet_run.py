"""A normal run tells the user what happened and nothing else: no traceback on stderr.

This is the demo's path (the sample table, the real GGUF, the fork pool of PII detection),
run as the CLI runs it, with fewer rows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.llm


def test_the_demo_path_prints_no_traceback(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "privsynth", "run", str(ROOT / "sample_data" / "customers.csv"),
         "-o", str(out), "--rows", "10", "--seed", "7", "--force"],
        capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    # Seed 7 is released by the default policy (seed 42 is not; the gate's tests say why).
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "report.html").exists() and (out / "synthetic.csv").exists()
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "Error" not in proc.stderr.replace("privsynth: error", ""), proc.stderr[-3000:]
    assert "stage text done" in proc.stderr


POOL_SCRIPT = """
import signal, sys
from privsynth.pii.detect import PiiDetector

class Raised(BaseException):
    pass

def handler(signum, frame):
    raise Raised()

# The CLI's handler: a forked worker that inherited it would raise when the pool ends it.
signal.signal(signal.SIGTERM, handler)
detector = PiiDetector(workers=2)
texts = [f"Call Maria Lopez on 415-555-{i:04d} about ticket {i}." for i in range(400)]
found = detector.detect(texts)
print(sum(len(spans) for spans in found))
"""


def test_fork_pool_workers_end_quietly_under_the_cli_signal_handler() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", POOL_SCRIPT], capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout.strip()) >= 400
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
