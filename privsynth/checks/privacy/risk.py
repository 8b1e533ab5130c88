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
    """Risk (attack - control) / (1 - control), with an interval that covers both rates.

    The difference of the rates gets Newcombe's hybrid score interval (method 10, from the
    two Wilson intervals), divided by 1 - control: the control rate is estimated too, and at
    small sizes its error is as large as the attack's."""
    rate, low, high = wilson(attack, n_attack)
    c_rate, c_low, c_high = wilson(control, n_control)
    denom = max(1 - c_rate, 1e-9)
    diff = rate - c_rate
    lower = diff - math.sqrt((rate - low) ** 2 + (c_high - c_rate) ** 2)
    upper = diff + math.sqrt((high - rate) ** 2 + (c_rate - c_low) ** 2)
    details = {
        "attack_rate": round(rate, 4),
        "control_rate": round(c_rate, 4),
        "attacks": n_attack,
        "controls": n_control,
    }
    return diff / denom, (lower / denom, upper / denom), details
