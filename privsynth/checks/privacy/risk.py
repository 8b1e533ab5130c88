"""Shared arithmetic of the anonymeter-style attacks (Giomi et al., PoPETs 2023)."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float, float]:
    """Wilson score interval for a success rate: (rate, low, high)."""
    if n == 0:
        return (float("nan"),) * 3
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)


def privacy_risk(
    attack: int, control: int, n_attack: int, n_control: int
) -> tuple[float, tuple[float, float], dict[str, float]]:
    """Risk (attack - control) / (1 - control), with the attack rate's Wilson interval."""
    rate, low, high = wilson(attack, n_attack)
    c_rate, _, _ = wilson(control, n_control)
    denom = max(1 - c_rate, 1e-9)

    def risk(r: float) -> float:
        return (r - c_rate) / denom

    details = {
        "attack_rate": round(rate, 4),
        "control_rate": round(c_rate, 4),
        "attacks": n_attack,
        "controls": n_control,
    }
    return risk(rate), (risk(low), risk(high)), details
