"""A generated set of linked tables with known structure, for the relational tests.

branch (a reference table: few rows, many children each) -> customer -> account -> payment,
and advice, a link table with two parents (customer and advisor). Known dependencies: a
customer's segment sets how many accounts they hold and the accounts' balances; an
account's kind sets its payments' amounts; an account's payments are events in time, about
20 days apart. An account repeats its owner's email and has a free-text note naming its
owner."""

from __future__ import annotations

import numpy as np
import pandas as pd

RELATIONS = [
    {"parent": "branch.branch_id", "child": "customer.branch_id"},
    {"parent": "customer.customer_id", "child": "account.customer_id"},
    {"parent": "account.account_id", "child": "payment.account_id"},
    {"parent": "customer.customer_id", "child": "advice.customer_id"},
    {"parent": "advisor.advisor_id", "child": "advice.advisor_id"},
]

FIRST = ["Maria", "James", "Aisha", "Tomasz", "Chen", "Olga", "Rafael", "Priya", "Liam"]
LAST = ["Kowalski", "Okafor", "Lindqvist", "Ramirez", "Nakamura", "Haddad", "Brennan"]
PURPOSES = ["wants to save for a house", "salary will be paid in here",
            "asked for a card with contactless payments", "moving money from another bank",
            "needs an overdraft for the business", "opened it for a child's savings"]

RELATIONS_TOML = "".join(
    f'[[relations]]\nparent = "{r["parent"]}"\nchild = "{r["child"]}"\n' for r in RELATIONS)


def linked_tables(customers: int = 400, seed: int = 0, id_offset: int = 0,
                  ) -> dict[str, pd.DataFrame]:
    """``id_offset`` moves every key, so two sets drawn with different offsets share none."""
    rng = np.random.default_rng(seed)
    branch = pd.DataFrame({"branch_id": np.arange(1, 9) + id_offset,
                           "region": ["north", "south", "east", "west"] * 2,
                           "size": rng.integers(5, 50, 8)})
    segment = rng.choice(["retail", "premium", "business"], customers, p=[.6, .25, .15])
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(customers)]
    customer = pd.DataFrame({
        "customer_id": np.arange(1000, 1000 + customers) + id_offset,
        "branch_id": rng.choice(branch["branch_id"], customers),
        "age": rng.integers(18, 90, customers),
        "segment": segment,
        "email": [f"client{seed}_{i}_{id_offset}@example.org" for i in range(customers)],
    })
    per = {"retail": 1, "premium": 2, "business": 4}
    n_acc = np.array([rng.poisson(per[s]) + 1 for s in segment])
    owner = np.repeat(customer["customer_id"].to_numpy(), n_acc)
    owner_segment = np.repeat(segment, n_acc)
    scale = {"retail": 1_000.0, "premium": 20_000.0, "business": 80_000.0}
    account = pd.DataFrame({
        "account_id": np.arange(50_000, 50_000 + len(owner)) + id_offset,
        "customer_id": owner,
        "owner_email": np.repeat(customer["email"].to_numpy(), n_acc),
        "note": [f"Opened for {name} after a branch visit; {rng.choice(PURPOSES)}."
                 for name in np.repeat(names, n_acc)],
        "kind": rng.choice(["current", "savings"], len(owner), p=[.7, .3]),
        "balance": np.round([rng.gamma(2.0, scale[s] / 2) for s in owner_segment], 2),
    })
    n_pay = rng.poisson(3, len(account))
    pay_acc = np.repeat(account["account_id"].to_numpy(), n_pay)
    pay_kind = np.repeat(account["kind"].to_numpy(), n_pay)
    payment = pd.DataFrame({
        "payment_id": np.arange(len(pay_acc)) + 900_000 + id_offset,
        "account_id": pay_acc,
        "amount": np.round(np.where(pay_kind == "savings", rng.gamma(5, 200, len(pay_acc)),
                                    rng.gamma(2, 40, len(pay_acc))), 2),
        "channel": rng.choice(["card", "transfer", "cash"], len(pay_acc)),
        "paid_on": _event_dates(pay_acc, rng),
    })
    advisor = pd.DataFrame({"advisor_id": np.arange(1, 41) + id_offset,
                            "years": rng.integers(1, 30, 40)})
    advised = customer.sample(frac=0.5, random_state=seed)
    advice = pd.DataFrame({
        "customer_id": advised["customer_id"].to_numpy(),
        "advisor_id": rng.choice(advisor["advisor_id"], len(advised)),
        "topic": rng.choice(["pension", "mortgage", "savings"], len(advised)),
    })
    return {"branch": branch, "customer": customer, "account": account, "payment": payment,
            "advisor": advisor, "advice": advice}


def _event_dates(owner: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Each owner's events in time: a first date in 2021-2022, then gaps of about 20 days
    (gamma), in the rows' order."""
    start = pd.Timestamp("2021-01-01")
    first = np.r_[True, owner[1:] != owner[:-1]]
    gaps = np.where(first, rng.integers(0, 730, len(owner)), np.round(rng.gamma(2.0, 10.0,
                                                                                len(owner))))
    days = np.cumsum(gaps) - np.maximum.accumulate(np.where(first, np.cumsum(gaps) - gaps, 0))
    return [(start + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d") for d in days]
