#!/usr/bin/env python3
"""The baseline for `bench/sync.sh`: Capsule people -> Stripe customers, one request at a time,
with the official `stripe` Python package, as a short hand-written sync script would do it.

Reads every party from the Capsule emulator (`GET /parties`, 100 a page, following the `Link`
header), keeps people with an email, and for each: `stripe.Customer.list(email=...)`, then
`stripe.Customer.create(...)` when there is none or `stripe.Customer.modify(...)` when there is
(the same fields as pipelines/capsule_contacts_to_stripe.ferry, roughly: no phone parsing beyond
removing spaces). Prints one JSON line of counts on stdout.

    stripe_python_baseline.py --base http://127.0.0.1:4010
"""

import argparse
import csv
import json
import re
import sys
import urllib.request
from pathlib import Path

try:
    import stripe
except ImportError:
    sys.exit("stripe_python_baseline: the `stripe` package is missing (pip install stripe)")

CAPSULE_TOKEN = "capsule-sandbox-token"
STRIPE_KEY = "sk_test_sandbox"
COUNTRIES = {"Australia": "AU", "New Zealand": "NZ", "United Kingdom": "GB", "United States": "US"}
OWNERS = Path(__file__).resolve().parent.parent / "pipelines" / "lookups" / "capsule_owners.csv"


def parties(base):
    """Every party, page by page, following `Link: <...>; rel="next"`."""
    url = f"{base}/capsule/api/v2/parties?perPage=100"
    while url:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {CAPSULE_TOKEN}"})
        with urllib.request.urlopen(request) as response:
            body = json.load(response)
            link = response.headers.get("Link", "")
        yield from body["parties"]
        found = re.search(r'<([^>]+)>;\s*rel="next"', link)
        url = found.group(1) if found else None


def customer_fields(person, owners):
    emails = person.get("emailAddresses") or []
    if not emails:
        return None
    fields = {
        "email": emails[0]["address"].strip().lower(),
        "name": " ".join(n for n in (person.get("firstName"), person.get("lastName")) if n),
        "metadata": {
            "capsule_id": str(person["id"]),
            "owner_email": owners.get((person.get("owner") or {}).get("username", ""), "unassigned"),
        },
    }
    phones = person.get("phoneNumbers") or []
    if phones:
        fields["phone"] = re.sub(r"[^\d+]", "", phones[0]["number"])
    organisation = person.get("organisation") or {}
    if organisation.get("name"):
        fields["description"] = organisation["name"]
    addresses = person.get("addresses") or []
    if addresses:
        a = addresses[0]
        address = {"line1": a.get("street"), "city": a.get("city"), "state": a.get("state"),
                   "postal_code": a.get("zip"), "country": COUNTRIES.get(a.get("country") or "")}
        address = {k: v for k, v in address.items() if v}
        if address:
            fields["address"] = address
    return fields


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="the sandbox, e.g. http://127.0.0.1:4010")
    args = parser.parse_args()
    stripe.api_key = STRIPE_KEY
    stripe.api_base = f"{args.base}/stripe"
    stripe.max_network_retries = 2
    with OWNERS.open() as f:
        owners = {row["capsule_user"]: row["email"] for row in csv.DictReader(f)}
    counts = {"read": 0, "people": 0, "no_email": 0, "created": 0, "updated": 0,
              "stripe_requests": 0}
    for party in parties(args.base):
        counts["read"] += 1
        if party.get("type") != "person":
            continue
        counts["people"] += 1
        fields = customer_fields(party, owners)
        if fields is None:
            counts["no_email"] += 1
            continue
        found = stripe.Customer.list(email=fields["email"], limit=1)
        counts["stripe_requests"] += 1
        if found.data:
            stripe.Customer.modify(found.data[0].id, **fields)
            counts["updated"] += 1
        else:
            stripe.Customer.create(**fields)
            counts["created"] += 1
        counts["stripe_requests"] += 1
    counts["stripe_version"] = stripe.VERSION
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
