#!/usr/bin/env python3
"""Derive ferry's Stripe schema table from Stripe's OpenAPI spec.

Usage: python3 scripts/derive_stripe_schemas.py [SPEC] [--out PATH] [--params-out PATH]

SPEC defaults to ../shared/reference/stripe/spec3-2022-04-12.json and PATH to
src/connectors/stripe/schemas.json, both relative to the repository root. `--out -` writes the
table to standard output. The summary of fields classified as minor units goes to standard
error, so the rule can be audited.

The table has three parts, every key sorted, one field per line:
- "objects": response schemas (what sources yield), by component name; inline nested objects
  are named `parent.field`.
- "requests": the form parameters of the create endpoints (what map targets accept).
- "event_types": each webhook event type -> the object in its `data.object` ("any" if unknown).

A field is {"type": T, ...} with T one of any, bool, int, decimal, minor_units, string, object,
list; objects carry "ref" (a named object) or "other_keys" (a map such as metadata), lists an
"item". Optional keys: "optional" (may be null or absent), "required" (requests), "enum",
"max_length" (requests), "doc" (first sentence of the description), "whole_on_update"
(requests: the update endpoint takes this parameter as a hash of fixed fields, which Stripe
replaces as a whole, so an update sends all of it; free-form maps such as metadata are merged
key by key and are not marked).

It also writes the request parameters of the endpoints the sandbox emulates (PARAMS_PATH,
default src/sandbox/stripe/params.json): "METHOD /path" -> a parameter node, at full depth. A
node is {"type": T, ...} with T one of string, integer, boolean, number, decimal, object, array,
one_of, any; optional keys: "enum", "max_length", "emptyable" (accepts "" to unset), "fields"
and "required" (objects), "other_keys" (a node, for maps such as metadata), "item" (arrays),
"variants" (one_of).
"""

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO / ".." / "shared" / "reference" / "stripe" / "spec3-2022-04-12.json"
DEFAULT_OUT = REPO / "src" / "connectors" / "stripe" / "schemas.json"
DEFAULT_PARAMS_OUT = REPO / "src" / "sandbox" / "stripe" / "params.json"
# Endpoints the sandbox emulates, whose parameters it validates.
SANDBOX_ENDPOINTS = [
    ("get", "/v1/balance_transactions"),
    ("get", "/v1/balance_transactions/{id}"),
    ("get", "/v1/charges"),
    ("post", "/v1/charges"),
    ("get", "/v1/charges/{charge}"),
    ("get", "/v1/customers"),
    ("post", "/v1/customers"),
    ("get", "/v1/customers/search"),
    ("delete", "/v1/customers/{customer}"),
    ("get", "/v1/customers/{customer}"),
    ("post", "/v1/customers/{customer}"),
    ("get", "/v1/disputes"),
    ("get", "/v1/disputes/{dispute}"),
    ("post", "/v1/disputes/{dispute}"),
    ("post", "/v1/disputes/{dispute}/close"),
    ("get", "/v1/events"),
    ("get", "/v1/events/{id}"),
    ("get", "/v1/invoiceitems"),
    ("post", "/v1/invoiceitems"),
    ("delete", "/v1/invoiceitems/{invoiceitem}"),
    ("get", "/v1/invoiceitems/{invoiceitem}"),
    ("post", "/v1/invoiceitems/{invoiceitem}"),
    ("get", "/v1/invoices"),
    ("post", "/v1/invoices"),
    ("get", "/v1/invoices/search"),
    ("delete", "/v1/invoices/{invoice}"),
    ("get", "/v1/invoices/{invoice}"),
    ("post", "/v1/invoices/{invoice}"),
    ("post", "/v1/invoices/{invoice}/finalize"),
    ("post", "/v1/invoices/{invoice}/pay"),
    ("get", "/v1/payment_intents"),
    ("post", "/v1/payment_intents"),
    ("get", "/v1/payment_intents/{intent}"),
    ("post", "/v1/payment_intents/{intent}/confirm"),
    ("get", "/v1/payouts"),
    ("get", "/v1/payouts/{payout}"),
    ("get", "/v1/prices"),
    ("post", "/v1/prices"),
    ("get", "/v1/prices/search"),
    ("get", "/v1/prices/{price}"),
    ("post", "/v1/prices/{price}"),
    ("get", "/v1/products"),
    ("post", "/v1/products"),
    ("get", "/v1/products/search"),
    ("delete", "/v1/products/{id}"),
    ("get", "/v1/products/{id}"),
    ("post", "/v1/products/{id}"),
    ("get", "/v1/refunds"),
    ("post", "/v1/refunds"),
    ("get", "/v1/refunds/{refund}"),
    ("get", "/v1/subscriptions"),
    ("post", "/v1/subscriptions"),
    ("delete", "/v1/subscriptions/{subscription_exposed_id}"),
    ("get", "/v1/subscriptions/{subscription_exposed_id}"),
    ("post", "/v1/subscriptions/{subscription_exposed_id}"),
]

# Objects sources yield and pipelines read; what they reference is pulled in up to MAX_DEPTH.
ROOTS = [
    "balance_transaction",
    "charge",
    "customer",
    "dispute",
    "event",
    "invoice",
    "invoiceitem",
    "line_item",
    "payment_intent",
    "payout",
    "price",
    "product",
    "refund",
    "subscription",
]
# Nested objects deeper than this (the root's own fields are level 1) become `any`.
MAX_DEPTH = 3
# Objects with many payment-method variants: keep the common ones only.
KEEP_FIELDS = {
    "payment_method_details": {
        "au_becs_debit",
        "bacs_debit",
        "card",
        "card_present",
        "sepa_debit",
        "type",
        "us_bank_account",
    },
}
# Create endpoints whose form parameters are map targets.
REQUESTS = {
    "customer_create": "/v1/customers",
    "invoice_create": "/v1/invoices",
    "invoiceitem_create": "/v1/invoiceitems",
    "price_create": "/v1/prices",
    "product_create": "/v1/products",
}
# Event type prefix -> object in data.object; the longest matching prefix wins.
EVENT_OBJECTS = {
    "charge": "charge",
    "charge.dispute": "dispute",
    "charge.refund": "refund",
    "customer": "customer",
    "customer.subscription": "subscription",
    "invoice": "invoice",
    "payment_intent": "payment_intent",
    "payout": "payout",
    "price": "price",
    "product": "product",
}
# Event families under a known prefix whose object is something else (sources, tax ids, ...).
EVENT_NOT_OBJECT = ["customer.discount", "customer.source", "customer.tax_id"]
SKIPPED_PARAMS = {"expand"}

# Integers that are money: the description says so, or the name is an amount's.
MINOR_UNIT_DESC = re.compile(r"smallest currency unit|\bcents\b|\bin %s\b|\(in %s\)", re.I)
MINOR_UNIT_NAMES = {"amount", "balance", "fee", "net", "subtotal", "tax", "total"}


def is_amount_name(name):
    return (
        name in MINOR_UNIT_NAMES
        or name.startswith("amount_")
        or name.endswith("_amount")
        or name.endswith("_balance")
        or name.startswith("total_")
        or name.startswith("subtotal_")
    )


class Deriver:
    def __init__(self, spec):
        self.components = spec["components"]["schemas"]
        self.paths = spec["paths"]
        self.objects = {}
        self.requests = {}
        self.minor_units = []
        # Request root -> dotted paths of the update endpoint's fixed-field hashes.
        self.whole_on_update = {}

    # ---- shared type conversion ----

    def ref_name(self, schema):
        return schema["$ref"].rsplit("/", 1)[-1]

    def field(self, owner, name, schema, depth, table, request):
        """Converts one property; returns the field entry (without optional/required)."""
        schema = self.strip_emptyable(schema) if request else schema
        entry = self.type_of(owner, name, schema, depth, table, request)
        if "enum" in schema and entry["type"] == "string":
            values = [v for v in schema["enum"] if isinstance(v, str) and v != ""]
            if values:
                entry["enum"] = sorted(values)
        if request and "maxLength" in schema and entry["type"] == "string":
            entry["max_length"] = schema["maxLength"]
        return entry

    def strip_emptyable(self, schema):
        # Request params often accept `""` to unset: anyOf [X, {enum: [""]}] -> X.
        variants = schema.get("anyOf")
        if not variants:
            return schema
        real = [v for v in variants if v.get("enum") != [""]]
        if len(real) == 1:
            merged = dict(real[0])
            if "description" in schema:
                merged.setdefault("description", schema["description"])
            return merged
        return schema

    def type_of(self, owner, name, schema, depth, table, request):
        if "$ref" in schema:
            return self.object_ref(self.ref_name(schema), depth, table, request)
        variants = schema.get("anyOf") or schema.get("oneOf")
        if variants:
            if any(v.get("type") == "string" and "enum" not in v for v in variants):
                # Expandable: delivered unexpanded as the id string.
                return {"type": "string"}
            if len(variants) == 1:
                return self.type_of(owner, name, variants[0], depth, table, request)
            return {"type": "any"}
        kind = schema.get("type")
        if kind == "boolean":
            return {"type": "bool"}
        if kind == "integer":
            return {"type": self.integer_kind(owner, name, schema)}
        if kind == "number":
            return {"type": "decimal"}
        if kind == "string":
            return {"type": "decimal" if schema.get("format") == "decimal" else "string"}
        if kind == "array":
            item = self.type_of(owner, name, schema.get("items", {}), depth, table, request)
            if "enum" in schema.get("items", {}) and item["type"] == "string":
                item["enum"] = sorted(v for v in schema["items"]["enum"] if v != "")
            return {"type": "list", "item": item}
        if kind == "object":
            extra = schema.get("additionalProperties")
            if "properties" not in schema:
                if isinstance(extra, dict) and extra.get("type") == "string":
                    return {"type": "object", "other_keys": "string"}
                return {"type": "any"}
            inline = f"{owner}.{name}"
            return self.object_ref(inline, depth, table, request, schema)
        return {"type": "any"}

    def integer_kind(self, owner, name, schema):
        if schema.get("format") == "unix-time":
            return "int"
        desc = schema.get("description", "")
        by_desc = bool(MINOR_UNIT_DESC.search(desc))
        by_name = is_amount_name(name)
        if by_desc or by_name:
            reason = "description+name" if by_desc and by_name else ("description" if by_desc else "name")
            self.minor_units.append(f"{owner}.{name} ({reason})")
            return "minor_units"
        return "int"

    def object_ref(self, name, depth, table, request, inline=None):
        if depth >= MAX_DEPTH:
            return {"type": "any"}
        schema = inline if inline is not None else self.components.get(name)
        if schema is None:
            return {"type": "any"}
        self.build_object(name, schema, depth + 1, table, request)
        return {"type": "object", "ref": name}

    def build_object(self, name, schema, depth, table, request):
        if name in table and table[name]["_depth"] <= depth:
            return
        table[name] = {"_depth": depth}
        fields = {}
        required = set(schema.get("required", []))
        keep = KEEP_FIELDS.get(name)
        for prop, prop_schema in sorted(schema.get("properties", {}).items()):
            if keep is not None and prop not in keep:
                continue
            if request and prop in SKIPPED_PARAMS:
                continue
            entry = self.field(name, prop, prop_schema, depth, table, request)
            if request:
                if prop in required:
                    entry["required"] = True
                if entry["type"] == "object" and self.sent_whole(name, prop):
                    entry["whole_on_update"] = True
            elif prop_schema.get("nullable") or prop not in required:
                entry["optional"] = True
            doc = first_sentence(prop_schema.get("description", ""))
            if doc:
                entry["doc"] = doc
            fields[prop] = entry
        table[name] = {"_depth": depth, "fields": fields}

    # ---- the three parts ----

    def derive_objects(self):
        for root in ROOTS:
            self.build_object(root, self.components[root], 0, self.objects, False)

    def derive_requests(self):
        for name, path in sorted(REQUESTS.items()):
            body = self.paths[path]["post"]["requestBody"]["content"]
            schema = body["application/x-www-form-urlencoded"]["schema"]
            self.whole_on_update[name] = self.fixed_hashes(self.update_schema(path))
            self.build_object(name, schema, 0, self.requests, True)

    def update_schema(self, create_path):
        """The form schema of `POST {create_path}/{id}`, the update of what the path creates."""
        update = re.compile(re.escape(create_path) + r"/\{[^/}]+\}$")
        for path, operations in sorted(self.paths.items()):
            if update.match(path) and "post" in operations:
                body = operations["post"].get("requestBody", {}).get("content", {})
                form = body.get("application/x-www-form-urlencoded")
                if form:
                    return form["schema"]
        return {}

    def fixed_hashes(self, schema, prefix=""):
        """Dotted paths of the parameters that are hashes of fixed fields (not maps)."""
        paths = set()
        for prop, prop_schema in schema.get("properties", {}).items():
            prop_schema = self.strip_emptyable(prop_schema)
            if "$ref" in prop_schema:
                prop_schema = self.components.get(self.ref_name(prop_schema), {})
            if prop_schema.get("type") == "object" and "properties" in prop_schema:
                path = prefix + prop
                paths.add(path)
                paths |= self.fixed_hashes(prop_schema, path + ".")
        return paths

    def sent_whole(self, owner, prop):
        """Whether request field `owner.prop` (owner `customer_create.shipping`, ...) is one of
        its update endpoint's fixed-field hashes."""
        root, _, inside = owner.partition(".")
        path = f"{inside}.{prop}" if inside else prop
        return path in self.whole_on_update.get(root, set())

    def event_types(self):
        body = self.paths["/v1/webhook_endpoints"]["post"]["requestBody"]["content"]
        schema = body["application/x-www-form-urlencoded"]["schema"]
        names = schema["properties"]["enabled_events"]["items"]["enum"]
        table = {}
        for event in sorted(n for n in names if n != "*"):
            table[event] = event_object(event)
        return table


def param_node(components, schema):
    """One request parameter at full depth, for the sandbox's validator."""
    if "$ref" in schema:
        return param_node(components, components[schema["$ref"].rsplit("/", 1)[-1]])
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        real = [v for v in variants if v.get("enum") != [""]]
        nodes = [param_node(components, v) for v in real]
        node = nodes[0] if len(nodes) == 1 else {"type": "one_of", "variants": nodes}
        if len(real) < len(variants):
            node = dict(node, emptyable=True)
        return node
    kind = schema.get("type")
    if kind == "string":
        node = {"type": "decimal" if schema.get("format") == "decimal" else "string"}
        values = [v for v in schema.get("enum", []) if v != ""]
        if values:
            node["enum"] = sorted(values)
        if "maxLength" in schema:
            node["max_length"] = schema["maxLength"]
        return node
    if kind in ("integer", "boolean", "number"):
        return {"type": kind}
    if kind == "array":
        return {"type": "array", "item": param_node(components, schema.get("items", {}))}
    if kind == "object":
        node = {"type": "object"}
        props = schema.get("properties")
        if props:
            node["fields"] = {k: param_node(components, v) for k, v in sorted(props.items())}
        required = sorted(schema.get("required", []))
        if required:
            node["required"] = required
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            node["other_keys"] = param_node(components, extra)
        elif "properties" not in schema:
            # No properties at all is a free-form hash; `properties: {}` is a hash that takes
            # no keys (`konbini: {}`), and Stripe refuses any key sent in it.
            node["other_keys"] = {"type": "any"}
        return node
    return {"type": "any"}


def endpoint_params(spec, method, path):
    """The parameters of one endpoint as an object node (query or form body)."""
    operation = spec["paths"][path][method]
    components = spec["components"]["schemas"]
    body = operation.get("requestBody", {}).get("content", {})
    form = body.get("application/x-www-form-urlencoded")
    if method == "post" and form:
        return param_node(components, form["schema"])
    fields, required = {}, []
    for param in operation.get("parameters", []):
        if param.get("in") != "query":
            continue
        fields[param["name"]] = param_node(components, param.get("schema", {}))
        if param.get("required"):
            required.append(param["name"])
    node = {"type": "object", "fields": dict(sorted(fields.items()))}
    if required:
        node["required"] = sorted(required)
    return node


def render_params(spec):
    """One endpoint per line, so a spec update shows as a readable diff."""
    lines = []
    for method, path in SANDBOX_ENDPOINTS:
        node = endpoint_params(spec, method, path)
        key = f"{method.upper()} {path}"
        lines.append(f" {json.dumps(key)}: {json.dumps(node, sort_keys=True, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def event_object(event):
    if any(event.startswith(p + ".") for p in EVENT_NOT_OBJECT):
        return "any"
    best = None
    for prefix in EVENT_OBJECTS:
        if event.startswith(prefix + ".") and (best is None or len(prefix) > len(best)):
            best = prefix
    return EVENT_OBJECTS[best] if best else "any"


LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def first_sentence(text):
    text = LINK.sub(r"\1", text).replace("%s", "the smallest currency unit").strip()
    text = " ".join(text.split())
    match = re.match(r"(.+?\.)(\s|$)", text)
    sentence = match.group(1) if match else text
    if len(sentence) > 160:
        sentence = sentence[:157].rstrip() + "..."
    return sentence


def render(objects, requests, event_types):
    """Sorted keys, one field per line, so a spec update shows as a readable diff."""
    out = ["{"]
    out.append(' "event_types": {')
    items = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in event_types.items()]
    out.append(",\n".join(items))
    out.append(" },")
    for section, table, last in (("objects", objects, False), ("requests", requests, True)):
        out.append(f" {json.dumps(section)}: {{")
        blocks = []
        for name in sorted(table):
            fields = table[name]["fields"]
            lines = [
                f"   {json.dumps(f)}: {json.dumps(fields[f], sort_keys=True, ensure_ascii=False)}"
                for f in sorted(fields)
            ]
            blocks.append(f"  {json.dumps(name)}: {{\n" + ",\n".join(lines) + "\n  }")
        out.append(",\n".join(blocks))
        out.append(" }" if last else " },")
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv):
    spec_path, out_path, params_out = DEFAULT_SPEC, DEFAULT_OUT, DEFAULT_PARAMS_OUT
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--out":
            if not args:
                sys.exit("--out needs a path")
            out_path = args.pop(0)
        elif arg == "--params-out":
            if not args:
                sys.exit("--params-out needs a path")
            params_out = args.pop(0)
        else:
            spec_path = Path(arg)
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    deriver = Deriver(spec)
    deriver.derive_objects()
    deriver.derive_requests()
    text = render(deriver.objects, deriver.requests, deriver.event_types())
    json.loads(text)  # the hand-rolled layout must still be JSON
    if out_path == "-":
        sys.stdout.write(text)
    else:
        Path(out_path).write_text(text, encoding="utf-8")
    params = render_params(spec)
    json.loads(params)
    if params_out == "-":
        sys.stdout.write(params)
    else:
        Path(params_out).write_text(params, encoding="utf-8")
    print("fields classified as minor_units (reason):", file=sys.stderr)
    for line in sorted(set(deriver.minor_units)):
        print(f"  {line}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
