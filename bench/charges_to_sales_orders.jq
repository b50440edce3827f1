# The jq (and jaq) equivalent of pipelines/stripe_charges_to_business_central.ferry: Stripe
# charge.succeeded events -> Business Central sales orders, same fields in the same order.
#
#   TZ=Australia/Sydney jq -c --slurpfile xrefs XREFS.json -f bench/charges_to_sales_orders.jq EVENTS.jsonl
#
# The order date is the Sydney calendar date: `localtime` follows TZ, so run with
# TZ=Australia/Sydney. Records that cannot map (a guest charge, a customer with no
# cross-reference) raise an error, which jq and jaq print on stderr before going on with the
# next line, as ferry reports them on stderr.

# Stripe's minor units -> major units: zero-decimal currencies have none, ISK arrives times 100
# (whole krónur), the three-decimal ones have three. Numbers are floats here (jq has no
# decimals); the comparison in bench/compare.py normalises 125.5 vs 125.50.
def minor_units_per_unit: {
  "bif": 1, "clp": 1, "djf": 1, "gnf": 1, "jpy": 1, "kmf": 1, "krw": 1, "mga": 1, "pyg": 1,
  "rwf": 1, "vnd": 1, "vuv": 1, "xaf": 1, "xof": 1, "xpf": 1,
  "bhd": 1000, "jod": 1000, "kwd": 1000, "omr": 1000, "tnd": 1000
};
def cents_to_decimal($currency):
  . / (minor_units_per_unit[$currency | ascii_downcase] // 100);

# Sales are posted to a G/L account per payment method.
def sales_accounts: {"card": "40100", "au_becs_debit": "40110", "afterpay_clearpay": "40120"};

select(.type == "charge.succeeded")
| .data.object as $charge
| try {
    externalDocumentNumber: $charge.id,
    customerNumber: (
      ($charge.customer // error("guest charge has no customer")) as $id
      | $xrefs[0]["stripe.customers"][$id] // error("customer not synced yet")
    ),
    orderDate: ($charge.created | localtime | strftime("%Y-%m-%d")),
    currencyCode: ($charge.currency | ascii_upcase),
    salesOrderLines: [{
      lineType: "Account",
      lineObjectNumber: (sales_accounts[$charge.payment_method_details.type // ""] // "40190"),
      description: ($charge.description // "Stripe charge \($charge.id)"),
      quantity: 1,
      unitPrice: ($charge.amount | cents_to_decimal($charge.currency))
    }]
  }
  catch ("error: \($charge.id): \(.)" | stderr | empty)
