#!/usr/bin/env python3
"""Generate N contacts as JSON lines for bench/file_contacts_to_stripe.ferry.

Deterministic: the same --count and --seed give the same bytes. Each line is a contact from a
CRM export: `id`, `first_name`, `last_name`, `email` (unique, sometimes in capitals or with
spaces around it), `phone` (Australian, written as people write them, or missing), `company`
(or null), `city`, `state`, `postcode`. Python standard library only.
"""

import argparse
import json
import random

FIRST = ["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Edsger", "Barbara", "Donald",
         "Frances", "John", "Radia", "Ken", "Hedy", "Dennis", "Joan", "Tim", "Sophie", "Niklaus",
         "Shafi", "Chloe", "Liam", "Olivia", "Noah", "Mia", "Jack", "Isla", "Lucas", "Zoe", "Leo"]
LAST = ["Lovelace", "Hopper", "Turing", "Johnson", "Pauling", "Hamilton", "Dijkstra", "Liskov",
        "Knuth", "Allen", "Backus", "Perlman", "Thompson", "Lamarr", "Ritchie", "Clarke",
        "Berners-Lee", "Wilson", "Wirth", "Goldwasser", "Nguyen", "Smith", "O'Brien", "Chen",
        "Williams", "Brown", "Taylor", "Martin", "Singh", "Kelly"]
COMPANIES = ["Analytical", "Northwind", "Harbour", "Wattle", "Southern Cross", "Banksia",
             "Coral", "Kookaburra", "Red Gum", "Blue Mountains", "Eucalypt", "Tasman"]
KINDS = ["Traders", "Engineering", "Consulting", "Logistics", "Foods", "Health", "Media"]
PLACES = [("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000"), ("Brisbane", "QLD", "4000"),
          ("Perth", "WA", "6000"), ("Adelaide", "SA", "5000"), ("Hobart", "TAS", "7000"),
          ("Canberra", "ACT", "2600"), ("Darwin", "NT", "0800"), ("Newcastle", "NSW", "2300")]


def contact(rng, n):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company = f"{rng.choice(COMPANIES)} {rng.choice(KINDS)}" if rng.random() < 0.7 else None
    domain = (company.lower().replace(" ", "-") + ".example") if company else "mail.example"
    local = f"{first}.{last}".lower().replace("'", "")
    email = f"{local}.{n}@{domain}"
    if rng.random() < 0.05:
        email = f"  {email.upper()} "
    number = f"4{rng.randrange(10_000_000, 100_000_000)}"
    phone = rng.choice([f"0{number[:3]} {number[3:6]} {number[6:]}", f"+61{number}",
                        f"(0{number[:3]}) {number[3:]}", None])
    city, state, postcode = rng.choice(PLACES)
    return {"id": f"C{n:07d}", "first_name": first, "last_name": last, "email": email,
            "phone": phone, "company": company, "city": city, "state": state,
            "postcode": postcode}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as out:
        for n in range(1, args.count + 1):
            out.write(json.dumps(contact(rng, n), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
