"""A bank-marketing-like table for the DP benchmark: 7,500 clients (6,000 training rows after
the 20% holdout), the heavy-tailed numbers of a telemarketing campaign (call duration,
balance with overdrafts, days since the last contact with -1 for never) and a rare positive
class (about 12%) that depends mostly on the call's duration. Generated, seeded; no real
person is in it."""

from __future__ import annotations

import numpy as np
import pandas as pd


def bank(n: int = 7_500, seed: int = 17) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = np.clip(np.round(rng.gamma(9.0, 4.6, n) + 0.0), 18, 95).astype(int)
    job = rng.choice(["admin.", "blue-collar", "entrepreneur", "housemaid", "management",
                      "retired", "self-employed", "services", "student", "technician",
                      "unemployed", "unknown"], n,
                     p=[.11, .22, .03, .03, .21, .05, .035, .09, .02, .17, .03, .005])
    job = np.where(age >= 62, np.where(rng.random(n) < 0.7, "retired", job), job)
    marital = rng.choice(["married", "single", "divorced"], n, p=[.6, .28, .12])
    education = rng.choice(["primary", "secondary", "tertiary", "unknown"], n,
                           p=[.15, .51, .3, .04])
    default = np.where(rng.random(n) < 0.018, "yes", "no")
    balance = np.round(np.where(rng.random(n) < 0.08, -rng.gamma(1.2, 400, n),
                                rng.lognormal(6.3, 1.5, n))).astype(int)
    balance = np.clip(balance, -8_000, 100_000)
    housing = np.where(rng.random(n) < 0.56, "yes", "no")
    loan = np.where(rng.random(n) < 0.16, "yes", "no")
    contact = rng.choice(["cellular", "telephone", "unknown"], n, p=[.65, .06, .29])
    day = rng.integers(1, 32, n)
    month = rng.choice(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                        "nov", "dec"], n,
                       p=[.03, .06, .01, .065, .3, .12, .15, .14, .013, .016, .088, .008])
    duration = np.clip(np.round(rng.lognormal(5.2, 0.8, n)), 0, 4_900).astype(int)
    campaign = np.clip(rng.geometric(0.38, n), 1, 63)
    contacted = rng.random(n) < 0.18
    pdays = np.where(contacted, np.clip(np.round(rng.gamma(2.2, 100, n)), 1, 871), -1)
    previous = np.where(contacted, np.clip(rng.geometric(0.35, n), 1, 275), 0)
    poutcome = np.where(contacted, rng.choice(["failure", "other", "success"], n,
                                              p=[.55, .2, .25]), "unknown")
    logit = (-4.2 + 0.0045 * duration + 1.8 * (poutcome == "success") - 0.5 * (housing == "yes")
             + 0.4 * (job == "retired") + 0.3 * (job == "student") - 0.05 * campaign)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({
        "age": age, "job": job, "marital": marital, "education": education,
        "default": default, "balance": balance, "housing": housing, "loan": loan,
        "contact": contact, "day": day, "month": month, "duration": duration,
        "campaign": campaign, "pdays": pdays, "previous": previous, "poutcome": poutcome,
        "y": y,
    })
