"""Generate sample_data/customers.csv: a seeded, entirely fictional customer table.

Run: python sample_data/make_sample.py  (writes customers.csv beside this script)
"""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from faker import Faker

PLANS = {"Basic": (19.0, 6.0), "Standard": (39.0, 9.0), "Premium": (79.0, 15.0)}
TOPICS = ["billing", "outage", "cancellation", "upgrade", "device"]

OPENERS = [
    "{name} called about {about}.",
    "Customer {name} wrote in regarding {about}.",
    "Spoke with {name} on the phone about {about}.",
    "{name} opened a ticket: {about}.",
    "Chat with {first} today about {about}.",
]
ABOUT = {
    "billing": [
        "a double charge on the last invoice",
        "an unexpected late fee",
        "a refund for last month",
        "the autopay amount looking wrong",
    ],
    "outage": [
        "the service dropping every evening",
        "no connection since Monday",
        "slow speeds during the outage",
        "repeated outages in the area",
    ],
    "cancellation": [
        "cancelling the account",
        "ending the contract early",
        "closing the account after the price rise",
        "a cancellation fee",
    ],
    "upgrade": [
        "moving to a bigger plan",
        "adding a second line",
        "upgrade pricing",
        "faster speeds for working from home",
    ],
    "device": [
        "a broken router",
        "the modem rebooting itself",
        "a replacement device that never arrived",
        "setting up the new device",
    ],
}
PLAN_LINES = [
    "They are on the {plan} plan and pay about ${spend:.0f} a month.",
    "Account is on {plan}.",
    "Current plan: {plan}.",
    "Has been on the {plan} plan since {signup_year}.",
]
CONTACT_LINES = [
    "Please email {email} with the outcome.",
    "Call back on {phone}.",
    "Prefers contact at {email} or {phone}.",
    "Follow up by phone: {phone}.",
    "Sent a confirmation to {email}.",
]
CLOSERS = [
    "",
    " Escalated to tier 2.",
    " Issue resolved on the call.",
    " Customer was frustrated.",
    " Offered a one-month credit.",
    " Said they will leave if it happens again.",
]


def make(rows: int, seed: int) -> pd.DataFrame:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    records = []
    today = date(2026, 1, 1)
    for _ in range(rows):
        gender = rng.choice(["F", "M"]) if rng.random() > 0.02 else "X"
        first = fake.first_name_female() if gender == "F" else fake.first_name_male()
        last = fake.last_name()
        age = max(18, min(90, int(rng.gauss(44, 14))))
        birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
        plan = rng.choices(list(PLANS), weights=[0.45, 0.35, 0.2] if age > 35 else [0.6, 0.3, 0.1])[
            0
        ]
        mean, sd = PLANS[plan]
        spend = round(max(5.0, rng.gauss(mean, sd)), 2)
        signup = today - timedelta(days=rng.randint(30, 3650))
        topic = rng.choice(TOPICS)
        churn_p = (
            0.08 + (0.45 if topic == "cancellation" else 0) + (0.1 if topic == "outage" else 0)
        )
        churned = rng.random() < churn_p
        email = f"{first}.{last}{rng.randint(1, 99)}@{fake.free_email_domain()}".lower()
        phone = fake.numerify("(###) ###-####")
        name = f"{first} {last}"
        note = rng.choice(OPENERS).format(name=name, first=first, about=rng.choice(ABOUT[topic]))
        note += " " + rng.choice(PLAN_LINES).format(plan=plan, spend=spend, signup_year=signup.year)
        note += " " + rng.choice(CONTACT_LINES).format(email=email, phone=phone)
        note += rng.choice(CLOSERS)
        records.append(
            {
                "customer_name": name,
                "email": email,
                "phone": phone,
                "ssn": fake.ssn(),
                "street_address": fake.street_address(),
                "birth_date": birth.isoformat(),
                "zip_code": fake.zipcode(),
                "gender": gender,
                "plan": plan,
                "monthly_spend": spend,
                "signup_date": signup.isoformat(),
                "ticket_topic": topic,
                "churned": churned,
                "notes": note,
            }
        )
    return pd.DataFrame.from_records(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "-o", "--output", type=Path, default=Path(__file__).with_name("customers.csv")
    )
    args = parser.parse_args()
    make(args.rows, args.seed).to_csv(args.output, index=False)


if __name__ == "__main__":
    main()
