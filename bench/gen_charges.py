#!/usr/bin/env python3
"""Generate N Stripe `charge.succeeded` events (JSON lines) and the cross-reference file.

Deterministic: the same --count and --seed give the same bytes. Each line is a full Stripe
event shaped like pipelines/fixtures/charge_succeeded.json (that file is the template), with
varied ids, amounts and currencies (aud usd nzd jpy isk bhd), created times spread over 2025,
~10% guest charges (customer null), payment methods card / au_becs_debit / afterpay_clearpay /
other, and descriptions that are sometimes null or need JSON escaping.

The cross-reference file maps stripe.customers ids to Business Central customer numbers,
{"stripe.customers": {"cus_...": "C00010", ...}}, with one customer in 200 deliberately left out
so that some records fail ("customer not synced yet"). The expected counts are printed on stderr
and written next to the data as <out>.counts.json.

Python standard library only.
"""

import argparse
import json
import random
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent / "pipelines" / "fixtures" / "charge_succeeded.json"

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
YEAR_START = 1735650000  # 2024-12-31T13:00:00Z = 2025-01-01 00:00 in Sydney
YEAR_SECONDS = 365 * 24 * 3600
CUSTOMERS = 20_000
MISSING_EVERY = 200  # one customer in 200 has no cross-reference

# (currency, weight, minor-unit range, step): ISK is sent times 100 (whole krónur) and BHD's
# last digit must be 0, as Stripe requires.
CURRENCIES = [
    ("aud", 55, (500, 500_000), 1),
    ("usd", 15, (100, 300_000), 1),
    ("nzd", 10, (500, 400_000), 1),
    ("jpy", 8, (100, 500_000), 1),
    ("isk", 6, (50_000, 20_000_000), 100),
    ("bhd", 6, (500, 900_000), 10),
]
NAMES = ["Jenny Rosen", "Ada Lovelace", "Grace Hopper", "Zoë Nguyễn", "Tāne Mahuta",
         "O'Brien & Sons", "Björk Guðmundsdóttir", "Li Wei", None]
DESCRIPTIONS = ["Order {n} (web shop)", "Subscription renewal {n}", "Invoice INV-{n}",
                "Café \"Le Bon\" — table {n}", "Workshop ticket #{n}\tGA", "Deposit {n}\\retail"]


def token(rng, n):
    return "".join(rng.choice(BASE62) for _ in range(n))


def payment_method(rng):
    """The payment_method_details object for one charge, by Stripe's type."""
    roll = rng.random()
    if roll < 0.70:
        return {"type": "card", "card": {
            "brand": rng.choice(["visa", "mastercard", "amex"]),
            "last4": f"{rng.randrange(10_000):04d}",
            "country": rng.choice(["AU", "NZ", "US", "JP"]),
            "exp_month": rng.randint(1, 12),
            "exp_year": rng.randint(2026, 2032),
            "funding": rng.choice(["credit", "debit"]),
        }}
    if roll < 0.82:
        return {"type": "au_becs_debit", "au_becs_debit": {
            "bsb_number": f"{rng.randrange(1_000_000):06d}",
            "last4": f"{rng.randrange(10_000):04d}",
        }}
    if roll < 0.92:
        return {"type": "afterpay_clearpay", "afterpay_clearpay": {"reference": token(rng, 10)}}
    other = rng.choice(["link", "paypal", "klarna"])
    return {"type": other, other: {}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, required=True, help="JSON lines file to write")
    parser.add_argument("--xrefs", type=Path, required=True, help="cross-reference JSON to write")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    customers = [f"cus_{token(rng, 14)}" for _ in range(CUSTOMERS)]
    xrefs = {cid: f"C{10 + i:05d}" for i, cid in enumerate(customers) if i % MISSING_EVERY != 7}
    args.xrefs.parent.mkdir(parents=True, exist_ok=True)
    args.xrefs.write_text(json.dumps({"stripe.customers": xrefs}, indent=1) + "\n")

    event = json.loads(TEMPLATE.read_text())
    charge = event["data"]["object"]
    weights = [c[1] for c in CURRENCIES]
    counts = {"records": args.count, "guest": 0, "unsynced": 0}
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", buffering=1 << 20) as out:
        for n in range(args.count):
            currency, _, (low, high), step = rng.choices(CURRENCIES, weights)[0]
            amount = rng.randrange(low // step, high // step + 1) * step
            created = YEAR_START + rng.randrange(YEAR_SECONDS)
            tail = token(rng, 20)
            if rng.random() < 0.10:
                customer = None
                counts["guest"] += 1
            else:
                customer = customers[rng.randrange(CUSTOMERS)]
                if customer not in xrefs:
                    counts["unsynced"] += 1
            order = 1000 + n
            description = None if rng.random() < 0.2 else rng.choice(DESCRIPTIONS).format(n=order)

            charge["amount"] = charge["amount_captured"] = amount
            charge["balance_transaction"] = f"txn_3{tail[:10]}{token(rng, 10)}"
            charge["billing_details"]["name"] = rng.choice(NAMES)
            charge["created"] = created
            charge["currency"] = currency
            charge["customer"] = customer
            charge["description"] = description
            charge["id"] = f"ch_3{tail}"
            charge["metadata"] = {"order_number": str(order)}
            charge["payment_intent"] = f"pi_3{tail}"
            charge["payment_method"] = f"pm_1{token(rng, 23)}"
            charge["payment_method_details"] = payment_method(rng)
            charge["refunds"]["url"] = f"/v1/charges/ch_3{tail}/refunds"
            event["created"] = created + rng.randint(1, 5)
            event["id"] = f"evt_3{tail[:12]}{token(rng, 12)}"
            event["request"] = {"id": f"req_{token(rng, 14)}",
                                "idempotency_key": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
            out.write(encode(event))
            out.write("\n")

    counts["mapped"] = args.count - counts["guest"] - counts["unsynced"]
    Path(f"{args.out}.counts.json").write_text(json.dumps(counts) + "\n")
    print(json.dumps(counts), file=sys.stderr)


if __name__ == "__main__":
    main()
