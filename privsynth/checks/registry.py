"""The checks that run by default, and the runner that turns errors into failed results."""

from __future__ import annotations

import logging
import math
import time

from privsynth.checks.base import (
    ERROR,
    FAIL,
    NOT_APPLICABLE,
    PASS,
    Check,
    CheckContext,
    CheckResult,
    NotApplicable,
)
from privsynth.checks.fidelity.column_shapes import ColumnShapes
from privsynth.checks.fidelity.detection import Detection
from privsynth.checks.fidelity.pair_trends import ColumnPairTrends
from privsynth.checks.fidelity.utility import MlUtility
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
from privsynth.checks.privacy.nndr import NndrShare
from privsynth.checks.privacy.pii_replay import PiiReplay
from privsynth.checks.privacy.singling_out import SinglingOut
from privsynth.checks.text.fallbacks import TextFallbacks
from privsynth.checks.text.length import TextLength
from privsynth.checks.text.memorization import TextMemorization
from privsynth.checks.text.vocabulary import TextVocabulary
from privsynth.config import GateConfig

logger = logging.getLogger(__name__)

DEFAULT_CHECKS: tuple[type[Check], ...] = (
    ExactMatch,
    DcrShare,
    DcrShareQuasi,
    NndrShare,
    MiaDistance,
    MiaOutliers,
    MiaDomias,
    SinglingOut,
    Linkability,
    Inference,
    CapDisclosure,
    PiiReplay,
    Canaries,
    TextMemorization,
    ColumnShapes,
    ColumnPairTrends,
    Detection,
    MlUtility,
    TextLength,
    TextVocabulary,
    TextFallbacks,
)


def judged_value(goal: str, value: float, ci: tuple[float, float] | None, upper: bool) -> float:
    """The number the policy compares: the pessimistic CI bound when asked, else the value."""
    if not upper or ci is None or any(math.isnan(x) for x in ci):
        return value
    return max(value, ci[1]) if goal == "at_most" else min(value, ci[0])


def run_checks(
    ctx: CheckContext, gate: GateConfig, checks: tuple[type[Check], ...] = DEFAULT_CHECKS
) -> list[CheckResult]:
    results = []
    for cls in checks:
        check = cls()
        threshold = float(getattr(gate, cls.threshold_key))
        value = ci = None
        details: dict[str, object] = {}
        start = time.perf_counter()
        try:
            m = check.compute(ctx)
            value, ci, details = m.value, m.ci, dict(m.details)
            judged = judged_value(cls.goal, value, ci, gate.judge_upper_ci)
            details["judged_on"] = (
                "value"
                if judged == value
                else ("upper CI bound" if cls.goal == "at_most" else "lower CI bound")
            )
            if value is None or math.isnan(value) or math.isnan(judged):
                status, details["error"] = ERROR, "the check produced no value"
            elif cls.goal == "at_most":
                status = PASS if judged <= threshold else FAIL
            else:
                status = PASS if judged >= threshold else FAIL
        except NotApplicable as exc:
            status, details = NOT_APPLICABLE, {"reason": str(exc)}
        except Exception as exc:  # noqa: BLE001 - fail closed on any error, say which
            logger.warning("check %s failed to compute: %s", cls.name, type(exc).__name__)
            status, details = ERROR, {"error": type(exc).__name__}
        details["seconds"] = round(time.perf_counter() - start, 2)
        results.append(
            CheckResult(
                cls.name,
                cls.category,
                cls.goal,
                threshold,
                status,
                value,
                ci,
                cls.explanation,
                details,
            )
        )
        logger.info("check %s: %s", cls.name, status)
    return results
