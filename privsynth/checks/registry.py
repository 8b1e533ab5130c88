"""The checks that run by default, and the runner that turns errors into failed results."""

from __future__ import annotations

import logging
import time
from typing import Any

from privsynth.checks.base import (
    ERROR,
    FAIL,
    NOT_APPLICABLE,
    Check,
    CheckContext,
    CheckResult,
    Measurement,
    NotApplicable,
)
from privsynth.checks.fidelity.column_shapes import ColumnShapes
from privsynth.checks.fidelity.detection import Detection
from privsynth.checks.fidelity.pair_trends import ColumnPairTrends
from privsynth.checks.fidelity.utility import MlUtility
from privsynth.checks.judge import detectable, has_interval, judge, leak_z
from privsynth.checks.power import EXPLANATION as POWER_EXPLANATION
from privsynth.checks.power import NAME as POWER_NAME
from privsynth.checks.power import power_result
from privsynth.checks.privacy.canaries import Canaries
from privsynth.checks.privacy.cap import CapDisclosure
from privsynth.checks.privacy.dcr_share import DcrShare
from privsynth.checks.privacy.dcr_share_qi import DcrShareQuasi
from privsynth.checks.privacy.exact_match import ExactMatch
from privsynth.checks.privacy.inference import Inference
from privsynth.checks.privacy.linkability import Linkability
from privsynth.checks.privacy.mia_distance import MiaDistance
from privsynth.checks.privacy.mia_domias import MiaDomias
from privsynth.checks.privacy.mia_outliers import MiaOutliers
from privsynth.checks.privacy.mia_tpr import MiaTpr
from privsynth.checks.privacy.near_match import NearMatch
from privsynth.checks.privacy.nndr import NndrShare
from privsynth.checks.privacy.pii_replay import PiiReplay
from privsynth.checks.privacy.singling_out import SinglingOut
from privsynth.checks.privacy.too_close import TooClose
from privsynth.checks.text.detection import TextDetection
from privsynth.checks.text.fallbacks import TextFallbacks
from privsynth.checks.text.length import TextLength
from privsynth.checks.text.memorization import TextMemorization
from privsynth.checks.text.retelling import TextRetelling
from privsynth.checks.text.vocabulary import TextVocabulary
from privsynth.config import GateConfig
from privsynth.vocab import Category, Goal, Status

logger = logging.getLogger(__name__)

DEFAULT_CHECKS: tuple[type[Check], ...] = (
    ExactMatch,
    NearMatch,
    TooClose,
    DcrShare,
    DcrShareQuasi,
    NndrShare,
    MiaDistance,
    MiaTpr,
    MiaOutliers,
    MiaDomias,
    SinglingOut,
    Linkability,
    Inference,
    CapDisclosure,
    PiiReplay,
    Canaries,
    TextMemorization,
    TextRetelling,
    ColumnShapes,
    ColumnPairTrends,
    Detection,
    MlUtility,
    TextLength,
    TextVocabulary,
    TextFallbacks,
    TextDetection,
)


# Up to this many rows (training plus synthetic), checks run their models on one thread:
# multithreaded gradient boosting and BLAS cost more than they save on small tables, and
# very much more on a busy machine (ml_utility on 1,000 rows: 118 s on two threads while two
# other processes ran, under a second on one).
ONE_THREAD_ROWS = 40_000


def _threads_for(rows: int) -> Any:
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    return threadpool_limits(1) if rows <= ONE_THREAD_ROWS else nullcontext()


def _measure(cls: type[Check], ctx: CheckContext) -> tuple[
        type[Check], Measurement | None, Status | None, dict[str, Any]]:
    start = time.perf_counter()
    m: Measurement | None = None
    status: Status | None = None
    details: dict[str, Any] = {}
    try:
        m = cls().compute(ctx)
        details = dict(m.details)
    except NotApplicable as exc:
        status, details = NOT_APPLICABLE, {"reason": str(exc)}
    except Exception as exc:  # noqa: BLE001 - fail closed on any error, say which
        logger.warning("check %s failed to compute: %s", cls.name, type(exc).__name__)
        status, details = ERROR, {"error": type(exc).__name__}
    details["seconds"] = round(time.perf_counter() - start, 2)
    return cls, m, status, details


def _refused_whatever_follows(cls: type[Check], m: Measurement | None, gate: GateConfig,
                              z_most: float) -> bool:
    """Does this measurement fail even at the strictest leak test any family of ``checks``
    could set (``z_most``)? A larger family only raises the bar for a leak, so such a failure
    stands however many checks produce an interval; and a failed check withholds the data."""
    if m is None:
        return False
    threshold = float(getattr(gate, cls.threshold_key))
    return judge(cls.goal, cls.category, m.value, m.ci, threshold, gate.rule,
                 z_most, m.bound).status == FAIL


def run_checks(
    ctx: CheckContext, gate: GateConfig, checks: tuple[type[Check], ...] = DEFAULT_CHECKS,
    stop_at_refusal: bool = False,
) -> list[CheckResult]:
    """Every check's measurement, then the policy's judgement of each (``checks/judge.py``)
    and, under the leak-evidence rule, the power floor.

    ``stop_at_refusal`` ends the run at the first check that fails whatever the others
    measure: the verdict (withheld) is the same, the results are not all there. For callers
    that need the verdict only, such as the gate's calibration benchmark; never for a report,
    and not where a DP guarantee may set failed checks aside."""
    measured: list[tuple[type[Check], Measurement | None, Status | None, dict[str, Any]]] = []
    z_most = leak_z(gate.alpha, sum(1 for cls in checks if cls.category == Category.PRIVACY))
    with _threads_for(len(ctx.train) + len(ctx.synthetic)):
        for cls in checks:
            measured.append(_measure(cls, ctx))
            if stop_at_refusal and _refused_whatever_follows(cls, measured[-1][1], gate, z_most):
                break
    stopped = len(measured) < len(checks)
    # The leak test's family: the privacy checks that produced an interval.
    family = sum(
        1 for cls, m, _, _ in measured
        if m is not None and cls.category == Category.PRIVACY and has_interval(m.ci)
    )
    z = leak_z(gate.alpha, family)
    results = []
    for cls, m, status, details in measured:
        threshold = float(getattr(gate, cls.threshold_key))
        value = ci = None
        if m is not None:
            value, ci = m.value, m.ci
            verdict = judge(cls.goal, cls.category, m.value, m.ci, threshold, gate.rule, z,
                            m.bound)
            status, details["judged_on"] = verdict.status, verdict.judged_on
            if verdict.status == ERROR:
                details["error"] = "the check produced no value"
            else:
                details["judged_number"] = round(verdict.number, 6)
            if verdict.judged_on == "leak evidence" and m.ci is not None:
                details["leak_test"] = {"z": round(z, 4), "family": family,
                                        "alpha": gate.alpha}
                details["refuses_values_above"] = round(
                    detectable(m.ci, cls.goal, threshold, z), 6)
        assert status is not None
        results.append(CheckResult(cls.name, cls.category, cls.goal, threshold, status,
                                   value, ci, cls.explanation, details))
        logger.info("check %s: %s", cls.name, status)
    # The power floor is about the privacy checks: a fidelity-only run (a table of several
    # linked ones) has none to power.
    private = any(cls.category == Category.PRIVACY for cls in checks)
    if gate.rule == "leak_evidence" and not stopped and private:
        start = time.perf_counter()
        try:
            power = power_result(ctx, gate, z)
        except Exception as exc:  # noqa: BLE001 - fail closed on any error, say which
            logger.warning("the power floor failed to compute: %s", type(exc).__name__)
            power = CheckResult(POWER_NAME, Category.PRIVACY, Goal.AT_LEAST, gate.min_power,
                                ERROR, None, None, POWER_EXPLANATION,
                                {"error": type(exc).__name__})
        power.details["seconds"] = round(time.perf_counter() - start, 2)
        results.append(power)
        logger.info("check %s: %s", results[-1].name, results[-1].status)
    return results
