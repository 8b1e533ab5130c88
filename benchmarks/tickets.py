"""A generated support-ticket table with two free-text columns, for the text benchmarks.

``description``: about 48 words written from varied sentence parts, naming the customer, their
email, phone or account number, the product and what went wrong. ``resolution``: short
phrases of about six words drawn at random from a small vocabulary, with no structure at all
(the hardest case for a memorisation guard built on long n-grams). ``product`` has twelve
levels, so a run has twelve groups of prompts."""

from __future__ import annotations

import numpy as np
import pandas as pd

FIRST = ["Maria", "James", "Aisha", "Tomasz", "Chen", "Olga", "Rafael", "Priya", "Liam",
         "Fatima", "Kenji", "Sofia", "Daniel", "Amara", "Lukas", "Elena", "Omar", "Grace"]
LAST = ["Kowalski", "Okafor", "Lindqvist", "Ramirez", "Nakamura", "Haddad", "Brennan",
        "Petrov", "Achterberg", "Mensah", "Castellano", "Whitfield", "Novak", "Iyer"]
PRODUCTS = ["router", "mobile plan", "smart thermostat", "streaming box", "fibre line",
            "tablet", "home alarm", "printer", "laptop", "smartwatch", "voip phone", "modem"]
PROBLEMS = ["stopped working after the last update", "keeps disconnecting every evening",
            "was charged twice on the latest invoice", "arrived with a cracked screen",
            "shows an error code on start-up", "is much slower than what was promised",
            "cannot be activated with the code we sent", "lost all saved settings overnight",
            "makes a loud clicking noise", "will not pair with the customer's phone"]
OPENERS = ["{name} contacted us because the {product} {problem}.",
           "Customer {name} reports that their {product} {problem}.",
           "Ticket raised by {name}: the {product} {problem}.",
           "{name} phoned in to say the {product} {problem}."]
DETAILS = ["They already restarted it twice and checked the cables.",
           "This is the second time this month, and they are unhappy about it.",
           "They asked whether a replacement can be sent before the weekend.",
           "The device was bought about six months ago from our online shop.",
           "They tried the steps in the manual without any change.",
           "A neighbour with the same model has no such trouble.",
           "They would accept a refund if a repair takes too long.",
           "The problem started right after a power cut in their area."]
CONTACTS = ["Reach them at {email}.", "Call back on {phone} after five.",
            "Account number {account} is on file.", "Reply to {email} with the next steps.",
            "Their account is {account}; phone {phone}."]
WORDS = ["amber", "ledger", "quartz", "harbor", "velvet", "signal", "meadow", "copper",
         "lantern", "orbit", "pepper", "canyon", "willow", "cobalt", "summit", "thistle",
         "ember", "galaxy", "mosaic", "prairie", "saffron", "tundra", "violet", "zephyr"]


def tickets(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        email = f"{first.lower()}.{last.lower()}{rng.integers(10, 99)}@example.org"
        phone = f"(555) {rng.integers(200, 999)}-{rng.integers(1000, 9999)}"
        account = f"AC-{rng.integers(10_000_000, 99_999_999)}"
        product = str(rng.choice(PRODUCTS))
        parts = [str(rng.choice(OPENERS)).format(name=name, product=product,
                                                  problem=rng.choice(PROBLEMS))]
        parts += list(rng.choice(DETAILS, size=int(rng.integers(2, 4)), replace=False))
        parts.append(str(rng.choice(CONTACTS)).format(email=email, phone=phone,
                                                      account=account))
        rows.append({
            "ticket_id": f"T{100_000 + i}",
            "customer_name": name,
            "email": email,
            "account_number": account,
            "product": product,
            "priority": str(rng.choice(["low", "normal", "high"], p=[0.3, 0.5, 0.2])),
            "channel": str(rng.choice(["phone", "email", "chat"])),
            "days_open": int(rng.gamma(2.0, 3.0)),
            "description": " ".join(parts),
            "resolution": " ".join(rng.choice(WORDS, size=int(rng.integers(4, 9)))),
        })
    return pd.DataFrame(rows)
