#!/usr/bin/env python3
"""Compare the records several tools mapped from the same input, after normalising numbers.

Usage: compare.py NAME=FILE NAME=FILE ...   (each FILE holds JSON lines; the first is the
reference). Numbers are compared as exact decimals, so jq's 125.5, jaq's 209764.0 and ferry's
125.50 are equal; key order is compared too (the mapping promises the order of assignment).
Exits 1 when any record differs, printing the first few differences.
"""

import json
import sys
from decimal import Decimal


def normalise(value):
    if isinstance(value, Decimal):
        return value.normalize() if value != 0 else Decimal(0)
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return [(k, normalise(v)) for k, v in value.items()]  # a list keeps the key order
    return value


def load(path):
    with open(path, encoding="utf-8") as f:
        return [normalise(json.loads(line, parse_float=Decimal, parse_int=Decimal))
                for line in f if line.strip()]


def main():
    runs = [arg.split("=", 1) for arg in sys.argv[1:]]
    if len(runs) < 2 or any(len(r) != 2 for r in runs):
        sys.exit(__doc__)
    (ref_name, ref_path), others = runs[0], runs[1:]
    reference = load(ref_path)
    ok = True
    for name, path in others:
        records = load(path)
        differing = [i for i, (a, b) in enumerate(zip(reference, records)) if a != b]
        if len(records) != len(reference):
            ok = False
            print(f"{name}: {len(records)} records, {ref_name}: {len(reference)}")
        if differing:
            ok = False
            print(f"{name}: {len(differing)} of {len(records)} records differ from {ref_name}")
            for i in differing[:3]:
                print(f"  record {i + 1}:\n    {ref_name}: {reference[i]}\n    {name}: {records[i]}")
        if not differing and len(records) == len(reference):
            print(f"{name}: the same {len(records)} records as {ref_name}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
