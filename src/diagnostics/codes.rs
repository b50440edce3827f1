//! Every diagnostic code, with its long explanation. Codes are never reused for another meaning.
//!
//! | range | covers |
//! |---|---|
//! | E01xx | syntax and reading files |
//! | E02xx | names, imports and lookups |
//! | E03xx | types |
//! | E04xx | fallibility and time zones |
//! | E05xx | sinks and schemas |
//! | E06xx | project file and connections |
//! | E07xx | run time (one record) |
//! | E08xx | the sandbox's seeded drift |
//! | E09xx | the systems' webhook subscriptions (`ferry serve --public-url`, `ferry hooks`) |
//! | W0xxx | warnings |

use super::Severity;

macro_rules! codes {
    ($( $variant:ident = $code:literal, $title:literal, $explanation:literal; )*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable code, such as `E0201`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// A one-line summary.
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }

            /// The long explanation printed by `ferry explain`, in Markdown.
            pub fn explanation(self) -> &'static str {
                match self { $( Code::$variant => $explanation, )* }
            }
        }
    };
}

impl Code {
    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    /// Looks a code up by its text, ignoring case.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

codes! {
    SyntaxError = "E0100", "syntax error",
"The parser met something it did not expect. The label shows where, and the message lists what
could have come next.

```ferry
map to stripe.customer {
  email = .email,
}
```

Assignments in a `map` block are separated by new lines, not commas. Remove the comma.";

    UnterminatedString = "E0101", "unterminated string",
"A string literal opened with `\"` has no closing quote before the end of the line or file.

```ferry
name = \"Ada
```

Close the string: `name = \"Ada\"`. A string cannot span lines; use `\\n` for a line break.";

    InvalidEscape = "E0102", "invalid escape sequence",
"Inside a string, a backslash must start one of `\\n`, `\\r`, `\\t`, `\\\\`, `\\\"`, `\\$` or
`\\u{XXXX}`.

```ferry
path = \"C:\\temp\"
```

Write `\\\\` for a literal backslash: `\"C:\\\\temp\"`.";

    IntegerOutOfRange = "E0103", "integer literal out of range",
"Integer literals must fit in a signed 64-bit integer (about ±9.2 × 10^18).

```ferry
limit = 99999999999999999999
```

Use a decimal literal (`99999999999999999999.0`) or a string.";

    InvalidDecimal = "E0104", "invalid decimal literal",
"A decimal literal has at most 28 significant digits, because ferry keeps money exact and never
uses floating point.

Shorten the literal or keep it as a string.";

    InvalidUtf8 = "E0105", "file is not valid UTF-8",
"Pipeline files must be UTF-8 text. The file contains bytes that are not valid UTF-8, which
usually means it was saved in another encoding (Windows-1252, UTF-16) or is not a text file.

Re-save the file as UTF-8.";

    EmptyFile = "E0106", "file defines nothing",
"A pipeline file must define at least one `pipeline`, `fn` or `lookup`. An empty file is almost
always a mistake (a wrong path, an unsaved editor buffer).

```ferry
pipeline contacts {
  source capsule.parties
  map to stripe.customer { email = .emailAddresses[0].address! }
  sink stripe.customers { match on email }
}
```";

    NestingTooDeep = "E0107", "expression nested too deeply",
"Expressions may nest at most 256 levels (parentheses, lists, objects, calls). Deeper nesting is
refused rather than risking a stack overflow.

Split the expression with `let` bindings.";

    FileTooLarge = "E0108", "file too large",
"Pipeline files are limited to 4 MiB. A larger file is almost certainly data, not a pipeline.

Move the data into a lookup file (`lookup name from \"file.csv\" ...`).";

    InvalidDuration = "E0109", "invalid duration",
"A duration is a whole number followed by a unit: `s`, `m`, `h` or `d`, such as `30s`, `5m`,
`1h` or `7d`, and must be greater than zero where it sets an interval.

```ferry
source capsule.parties { poll every 5 minutes }
```

Write `poll every 5m`.";

    BinaryFile = "E0110", "file is not text",
"The file contains NUL bytes or other control characters, so it is not a pipeline file. Check the
path.";

    CannotReadFile = "E0111", "cannot read file",
"A file named on the command line could not be read: it does not exist, is a folder, or is not
readable. The message gives the operating system's reason.

Check the path.";

    PulledSchemaFileInvalid = "E0112", "a pulled schema file cannot be used",
"A file under the project's `schemas/` folder, where `ferry schema pull <connection>` writes what
it reads of an account (Capsule's custom field definitions), is not valid JSON, names no system
ferry knows in `kind`, or does not have the shape that system's pull writes. Until it is fixed,
the pipelines of the project are checked against the systems' fixed schemas only.

Pull the file again rather than edit it by hand:

```sh
ferry schema pull capsule
```";

    UnknownName = "E0200", "unknown name",
"The name is not a `let` binding, a `lookup`, a function parameter, or a built-in.

```ferry
let charge = .data.object
map to erp.salesOrder { externalDocumentNumber = chrage.id }
```

The help suggests the closest name in scope: `charge`. Fields of the source record start with a
dot: `.id`, not `id`.";

    UnknownField = "E0201", "unknown field",
"The field does not exist in the record's schema. Source schemas come from the connectors (Stripe's
from its OpenAPI description), so a misspelt field is caught before anything runs.

```ferry
email = first(.emailAdresses)?.address
```

The help suggests the closest field: `.emailAddresses`. If the field really exists but is not in
the schema (a custom field), read it from a map that allows any key, such as `metadata`.";

    UnknownFunction = "E0202", "unknown function",
"No built-in or user function has this name.

```ferry
name = uppercase(.name)
```

The help suggests the closest: `upper`. `ferry explain` lists nothing here; see
docs/language.md for every function.";

    UnknownSource = "E0203", "unknown source",
"`source` names `connection.stream`, and this pair is not known. Known sources include
`stripe.events`, `stripe.customers`, `stripe.charges`, `capsule.parties`, `business_central.customers`.

```ferry
source capsule.people
```

Write `source capsule.parties` and filter with `where .type == \"person\"`.";

    UnknownMapTarget = "E0204", "unknown map target",
"`map to` names the schema of the records the map produces, such as `stripe.customer` or
`business_central.salesOrder`. This name is not known.

Check the spelling; the help lists the closest schema.";

    UnknownSink = "E0205", "unknown sink",
"`sink` names `connection.collection`, such as `stripe.customers` or
`business_central.salesOrders`. This name is not known.";

    ImportNotFound = "E0206", "imported file not found",
"`use \"path\"` names a file, relative to the importing file, that could not be read.

```ferry
use \"common/money.ferry\"
```

Check the path. Imports are resolved relative to the file that contains the `use`.";

    ImportCycle = "E0207", "import cycle",
"Files import each other in a cycle (a.ferry uses b.ferry, which uses a.ferry). The notes list the
cycle.

Move what both need into a third file that neither imports back.";

    DuplicateDefinition = "E0208", "defined twice",
"Two definitions in the same scope have the same name: two `let`, two `lookup`, two functions or
two pipelines. The second label shows the first definition.

Rename one of them.";

    LookupFileMissing = "E0209", "lookup file not found",
"`lookup NAME from \"file\"` names a CSV or YAML file, relative to the pipeline file, that could
not be read.

```ferry
lookup owners from \"lookups/owners.csv\" key \"capsule_user\" value \"email\"
```

Check the path and that the file is committed next to the pipeline.";

    LookupFileMalformed = "E0210", "lookup file malformed",
"The lookup file was read but its contents are not usable: CSV without the named key or value
column, a row with the wrong number of fields, a repeated key, or YAML that is not a mapping of
keys to values (or a list of records with the named key).

The message gives the line; fix the file.";

    UnknownArgument = "E0211", "unknown argument name",
"A named argument does not match any parameter of the function.

```ferry
round(.amount, mode: \"half_even\", digits: 2)
```

The help lists the function's parameters (`round(value, places, mode)`).";

    MissingArgument = "E0212", "missing argument",
"A required parameter of the function was not given.

```ferry
cents_to_decimal(charge.amount)
```

`cents_to_decimal` needs the currency too: `cents_to_decimal(charge.amount, charge.currency)`.";

    TooManyArguments = "E0213", "too many arguments",
"The call passes more positional arguments than the function has parameters.";

    UnknownTimezone = "E0214", "unknown time zone",
"The time zone is not in the IANA time zone database bundled with ferry.

```ferry
timezone \"Sydney\"
```

Use the full IANA name: `timezone \"Australia/Sydney\"`.";

    DuplicateSection = "E0215", "section given twice",
"A pipeline has at most one `source`, one `map`, one `sink` and one `timezone`.

Split the work into two pipelines.";

    MissingSection = "E0216", "pipeline section missing",
"A pipeline needs a `source`, a `map to` block and a `sink`.

```ferry
pipeline contacts {
  source capsule.parties
  map to stripe.customer { email = .emailAddresses[0]?.address ?? skip(\"no email\") }
  sink stripe.customers { match on email }
}
```";

    UnknownTestKey = "E0217", "unknown key in test",
"A `test` block accepts `input`, `expect`, `expect_skip`, `expect_error`, `expect_filtered`,
`now`, `xrefs` and `fetched`.

```ferry
test \"ada\" { input = {...}  expected = {...} }
```

Write `expect`.";

    UnknownEventType = "E0218", "unknown event type",
"`on \"...\"` names a Stripe event type that ferry does not know, such as `charge.succeded`.

The help suggests the closest event type.";

    TestFixtureMissing = "E0219", "test fixture not found",
"`json(\"path\")` in a test names a JSON file, relative to the pipeline file, that does not exist.

```ferry
test \"ada\" { input = json(\"fixtures/ada.json\")  expect = { email: \"ada@example.com\" } }
```

Check the path, and that the fixture is committed next to the pipeline.";

    IncompleteTest = "E0220", "test without input or expectation",
"A `test` block needs an `input` and something to check: `expect` (the output record),
`expect_skip` (the skip reason), `expect_error` (the start of the error message) or
`expect_filtered = true` (the source's `where` leaves the record out).

```ferry
test \"no email\" { input = { id: 1 } }
```

Add `expect_skip = \"no email\"` (or `expect = { ... }`).";

    TypeMismatch = "E0300", "type mismatch",
"An operator or construct got a value of a type it cannot use, such as `\"a\" + 1` or
`-\"x\"`.

Convert explicitly: `concat(\"a\", string(1))`.";

    SinkFieldType = "E0301", "wrong type for sink field",
"The value assigned to a sink field has a type the target schema does not accept.

```ferry
map to stripe.customer { balance = \"0\" }
```

`balance` is an integer in minor units; write `balance = 0` or convert with `int(...)`.";

    MinorUnitsToDecimal = "E0302", "minor units assigned to a decimal field",
"Stripe amounts are integers in the currency's minor unit (cents for AUD, yen for JPY). The target
field is a decimal amount in major units, so assigning the raw amount would be 100 times too large
(or wrong by another power of ten for JPY, BHD, ...).

```ferry
totalAmount = charge.amount
```

Convert with the currency: `totalAmount = cents_to_decimal(charge.amount, charge.currency)`.";

    ArgumentType = "E0303", "wrong argument type",
"An argument has a type the function's parameter does not accept.

```ferry
upper(charge.amount)
```

`upper` takes a string: `upper(string(charge.amount))`.";

    ConditionNotBool = "E0304", "condition is not a boolean",
"`where` filters and `if` conditions must be booleans. A string or a possibly-null value is not
implicitly true or false.

```ferry
where .email
```

Say what you mean: `where .email != null`.";

    NonExhaustiveMatch = "E0305", "match without a default arm",
"A `match` whose arms do not cover every value needs a final `_ => ...` arm; otherwise an
unexpected value would have nowhere to go.

```ferry
match .type { \"person\" => 1, \"organisation\" => 2 }
```

Add `_ => ...` (it may be `fail(\"...\")`).";

    InvalidFormatString = "E0306", "invalid format string",
"The date/time format string has a conversion ferry does not know. ferry uses strftime-style
directives: `%Y` year, `%m` month, `%d` day, `%H` hour, `%M` minute, `%S` second, `%z` offset.

```ferry
format_date(ts, \"YYYY-MM-DD\")
```

Write `format_date(ts, \"%Y-%m-%d\")`.";

    IncomparableTypes = "E0307", "values cannot be compared",
"Comparison operators need two values of comparable types: numbers with numbers, strings with
strings, timestamps with timestamps. `==` between different types is always false, which is
almost always a bug.

```ferry
where .amount == \"100\"
```

Compare like with like: `where .amount == 100`.";

    MixedMoneyUnits = "E0308", "minor units mixed with decimals",
"Arithmetic mixes an amount in minor units (an integer count of cents) with a decimal amount in
major units. The result would be meaningless.

```ferry
total = charge.amount + 1.50
```

Convert first: `cents_to_decimal(charge.amount, charge.currency) + 1.50`.";

    NotAList = "E0310", "`for` over something that is not a list",
"`map to X for item in LIST { ... }` writes one record per item, so `LIST` must be a list. A
value that may be null must be handled first.

```ferry
map to business_central.journalLine for line in payout { ... }
```

Name the list: `for line in lines`, or `for t in fetch_all(stripe.balance_transactions, { payout: payout.id })`,
or handle an optional list with `?? []`.";

    NotCallable = "E0309", "not a function",
"A closure (`|x| ...`) was passed where a value is expected, or a value where a closure is
expected. Closures are only arguments of functions such as `map`, `filter` and `group_by`.";

    UnhandledFallible = "E0400", "fallible expression not handled",
"This expression can fail at run time (a lookup that can miss, a parse that can fail, a cross
reference that may not exist yet). ferry makes you decide what happens then.

```ferry
metadata.owner = owners[.owner.username]
```

Handle it: a default with `??` (`owners[...] ?? \"unassigned\"`), skip the record with
`?? skip(\"reason\")`, fail it to the dead-letter queue with `?? fail(\"reason\")`, or assert with a
postfix `!` (`owners[...]!`), which also dead-letters the record.";

    PossiblyNull = "E0401", "value may be null",
"The value may be null (it comes through `?.`, or from a field the schema marks as nullable) and it
feeds a place that needs a value: a required sink field, an operator, or a function parameter that
does not accept null.

```ferry
email = first(.emailAddresses)?.address
```

Handle null: `?? skip(\"no email\")`, `?? omit` to leave an optional field out, or `!` to
dead-letter the record.";

    NoTimezone = "E0402", "no time zone in scope",
"Formatting a timestamp as a date or time, or turning it into a local date, depends on the time
zone: 23:30 UTC is already tomorrow in Sydney. ferry never guesses.

```ferry
orderDate = format_date(from_unix(charge.created), \"%Y-%m-%d\")
```

Add `timezone \"Australia/Sydney\"` to the pipeline, or pass `tz: \"Australia/Sydney\"` to the call.";

    OmitOutsideField = "E0403", "`omit` outside a sink field",
"`omit` means leave this sink field out of the write. It is only meaningful as the value of a field
in a `map` block (possibly after `??` or inside `if`/`match`).

Use `null` to write an explicit null.";

    OmitRequiredField = "E0404", "required field may be omitted",
"The field is required by the target schema, but its value may be `omit`, which would leave it out
of the write.

Give a fallback value, or `skip(\"...\")` the record.";

    MissingRequiredField = "E0500", "required sink field not set",
"The target schema requires this field, and the `map` block does not set it.

```ferry
map to business_central.salesOrder { externalDocumentNumber = charge.id }
```

Set the field (the message names it), for example `customerNumber = ...`.";

    FieldAssignedTwice = "E0501", "field assigned twice",
"The same target field is assigned twice in one `map` block. Only one value can be written.

Remove one assignment, or combine them with `??`.";

    MetadataTooManyKeys = "E0502", "too many Stripe metadata keys",
"Stripe metadata holds at most 50 keys. The map sets more.

Combine values into fewer keys, or keep the extra data in the other system.";

    MetadataKeyTooLong = "E0503", "Stripe metadata key too long",
"Stripe metadata keys are at most 40 characters.

Use a shorter key.";

    MetadataValueTooLong = "E0504", "Stripe metadata value too long",
"Stripe metadata values are at most 500 characters; this value is statically known to be longer,
or is cut with `truncate` or `substring` to a length beyond it.

Shorten the value, or truncate it with `truncate(value, 500)`.";

    UnknownMatchKey = "E0505", "match key is not a mapped field",
"`match on` names the fields used to find an existing target record. Each must be a field the
`map` block sets, or the match could not be made.

```ferry
sink stripe.customers { match on emial }
```";

    UnknownCrossReference = "E0506", "unknown cross reference",
"`cross_reference connection.stream.field` and `xref(connection.collection, id)` name a source or
sink that ferry does not know.";

    SinkSchemaMismatch = "E0507", "map target does not fit the sink",
"The `map to` schema is not what the sink writes. `stripe.customers` writes `stripe.customer`
records, `business_central.salesOrders` writes `business_central.salesOrder` records, and so on.

Make the `map to` and `sink` agree.";

    NotAnEnumValue = "E0508", "value not allowed for this field",
"The field accepts only a fixed set of values (an enum in the target's schema), and this literal is
not one of them. The help lists the allowed values.";

    NotAnObjectField = "E0509", "nested path under a non-object field",
"A nested target path such as `address.city = ...` needs `address` to be an object in the target
schema.";

    NotFetchable = "E0510", "collection cannot be fetched",
"`fetch(collection, id)` reads one object of a source collection by id, and
`fetch_all(collection, { ... })` lists a collection with filters. This collection is unknown, or
its API offers no such read (Capsule parties can be fetched by id but not listed; files cannot be
fetched).

```ferry
let fees = fetch_all(stripe.balance_transaction, { payout: payout.id })
```

Name the source collection: `stripe.balance_transactions`.";

    EachWithoutMatchKeys = "E0512", "a `for` map without match keys",
"`map to X for item in LIST` writes several records for one source record. Each must be found
again when the record is delivered a second time (a retry, a replay, a crash before its cross
reference was stored), so the sink must say how: `match on` fields that tell the records apart.

```ferry
map to business_central.journalLine for line in lines { documentNumber = payout.id ... }
sink business_central.journalLines { match on documentNumber }
```

Match on what differs between the items too: `match on documentNumber, lineNumber`.";

    CannotPost = "E0513", "this sink cannot post",
"`post` asks the sink to post what it writes, with Business Central's `Microsoft.NAV.post`
action: each sales invoice or credit memo once it is written, the general journal once all of a
record's journal lines are written (they become general ledger entries, exactly once: a rerun
that finds the record's document number and posting date in the ledger writes nothing again), or
the customer payment journal once a record's payments are written (each becomes a customer ledger
entry applied to its invoice, exactly once: a rerun that finds a payment with the sink's match
keys in the customer ledger writes nothing again). Only `business_central.salesInvoices`,
`business_central.salesCreditMemos`, `business_central.journalLines` and
`business_central.customerPayments` take it.

```ferry
sink business_central.salesOrders { match on externalDocumentNumber  post }
```

Write a sales invoice instead of an order, or leave `post` out and post in Business Central.";

    UnknownFetchFilter = "E0511", "unknown list filter",
"`fetch_all` sends each key of its filter object as a list parameter of the API; this collection's
list does not take that parameter. The help lists the ones it takes.

```ferry
fetch_all(stripe.balance_transactions, { payout_id: payout.id })
```

Stripe's parameter is `payout`.";

    UnknownRecordKey = "E0514", "unknown key of a collection",
"`xref(connection.collection.key, id)` asks the store for one key of the record a pipeline wrote
to the collection, such as the `number` of a Business Central customer beside its `id`. The store
keeps the keys the collection's records are known by, and this is not one of them. The help lists
the keys the collection has.

```ferry
customerNumber = xref(business_central.customers.code, charge.customer) ?? fail(\"not synced\")
```

Write `xref(business_central.customers.number, charge.customer)`. `xref(collection, id)` without a
key gives the record's id.";

    InvalidTestCrossReference = "E0515", "a test's cross reference the store would never hold",
"A test's `xrefs` stand for what the store holds after the pipelines that write those collections
have run, so they must look like it: each collection must be one a sink writes, and each id and
key must have the shape the target gives it (Business Central ids are GUIDs and numbers hold at
most 20 characters; Stripe customer ids start with `cus_`). A test that hands in a value the store
would never hold passes while the real run fails.

```ferry
xrefs = { \"business_central.customers\": { \"cus_1\": \"C00010\" } }
```

Give the record's id and the keys the pipeline reads:
`xrefs = { \"business_central.customers\": { \"cus_1\": { id: \"6b1c0000-0000-0000-0000-0000000000c1\", number: \"C00010\" } } }`.";

    KeyMismatch = "E0516", "one kind of key where another belongs",
"Ids and keys are strings, but not interchangeable: Business Central's `customerNumber` takes a
customer's `number` (`C00010`), while `xref(business_central.customers, id)` gives its `id`, a
GUID that Business Central refuses there. The checker knows which key each cross reference,
fetched field and target field holds, and the help shows how to ask for the right one.

```ferry
customerNumber = xref(business_central.customers, charge.customer) ?? fail(\"not synced\")
```

Ask the store for the number: `xref(business_central.customers.number, charge.customer)`.";

    UnmappedSinkField = "E0517", "sink option names a field the map does not set",
"`only on create` and `owns` name fields of the map's target, and each must be a field the map
sets.

```ferry
map to business_central.customer { displayName = customer.name ?? customer.id }
sink business_central.customers { only on create currencyCode }
```

Set `currencyCode = ...` in the map, or leave it out of `only on create`.";

    FieldOwnedElsewhere = "E0518", "field owned by another pipeline",
"Another pipeline of the project says it `owns` this field of the collection: it is the one place
the field's value comes from (the customer pipeline owns a customer's name and currency). This
pipeline writes the same field of the same records, so the two would overwrite each other on
every run, or break the target's rules (Business Central refuses a currency change on a customer
with entries).

```ferry
step customer {
  map to business_central.customer { displayName = customer.name  currencyCode = upper(charge.currency) }
  sink business_central.customers { match on email }
}
```

Write the field only when this pipeline creates the record, `only on create currencyCode`, or
leave it out. The note names the owner.";

    FieldOwnedTwice = "E0519", "field owned by two pipelines",
"Two pipelines of the project say they `owns` the same field of the same collection. A field has
one owner; the other pipeline may set it when it creates a record (`only on create`).";

    MetadataKeyCharacter = "E0520", "Stripe metadata key with a character Stripe refuses",
"Stripe metadata keys may hold any character but square brackets (`[` and `]`): Stripe reads
them as nesting in its form encoding and refuses the request, so every record of the map would be
dead-lettered.

```ferry
map to stripe.customer {
  metadata.\"team[sales]\" = \"yes\"   // E0520
  metadata.team_sales = \"yes\"        // right
}
```";

    // E06xx project file
    ProjectYamlMalformed = "E0600", "project file is not valid YAML",
"`ferry.yaml` could not be read as YAML, or is empty. The label shows where the parser stopped;
the message gives the line and column.

```yaml
connections:
  stripe:
    kind: stripe
     api_key: ${STRIPE_API_KEY}
```

Keys of one mapping must line up: indent `api_key` like `kind`.";

    ProjectUnknownKey = "E0601", "unknown key in the project file",
"The top level of `ferry.yaml` takes `version`, `timezone`, `store`, `default_environment`,
`connections`, `environments` and `pipelines`; an environment takes `connections` and `store`; a
pipeline's settings take `enabled` and `shares_events_with`.

```yaml
conections:
  stripe: { kind: stripe, api_key: ${STRIPE_API_KEY} }
```

Fix the spelling (`connections`). The help suggests the closest key.";

    UnknownConnectionSetting = "E0602", "unknown connection setting",
"Each kind of connection takes its own settings (see `docs/project.md`); this one is not among
them. An environment cannot change a connection's `kind` either.

```yaml
connections:
  capsule:
    kind: capsule
    api_key: ${CAPSULE_TOKEN}
```

Capsule connections take `token`, not `api_key`.";

    UnknownConnectionKind = "E0603", "unknown connection kind",
"`kind` names the system a connection talks to: `stripe`, `capsule`, `business_central`, `syspro`,
`pronto` or `file`.

```yaml
connections:
  erp:
    kind: businesscentral
```

Write `kind: business_central`.";

    MissingConnectionSetting = "E0604", "connection setting missing",
"A connection lacks a setting its kind needs, such as `kind` itself, Stripe's `api_key`, Capsule's
`token`, or Business Central's `tenant`, `environment`, `company_id`, `client_id` and
`client_secret`. A setting may instead be given in every environment; the note lists the
environments that lack it.

```yaml
connections:
  stripe:
    kind: stripe
```

Add `api_key: ${STRIPE_API_KEY}`.";

    MalformedRateLimit = "E0605", "malformed rate limit",
"A rate limit is a mapping with `requests`, a whole number above zero, and `per`, a duration
(`1s`, `1m`, `5m`, `1h`).

```yaml
rate_limit: { requests: 0, per: second }
```

Write `rate_limit: { requests: 25, per: 1s }`. Without an override ferry uses the API's documented
limit.";

    InvalidUrl = "E0606", "invalid URL",
"`base_url` and `login_url` must be full `http` or `https` URLs with a host. For a value read from
an environment variable the check runs when the environment is resolved, and the value is not
printed.

```yaml
base_url: api.stripe.com
```

Write `base_url: https://api.stripe.com`.";

    UnknownDefaultEnvironment = "E0607", "unknown default environment",
"`default_environment` must name one of the environments under `environments:`.

```yaml
default_environment: sandbx
environments:
  sandbox: {}
```";

    OverrideOfUnknownConnection = "E0608", "environment overrides an unknown connection",
"An environment can only override connections declared under the top-level `connections:`, where
their `kind` is given.

```yaml
environments:
  sandbox:
    connections:
      strpe: { base_url: http://127.0.0.1:4010/stripe }
```

Fix the name, or declare the connection.";

    ProjectInvalidTimezone = "E0609", "unknown time zone in the project file",
"`timezone` must be an IANA time zone name, such as `Australia/Sydney`, `Europe/London` or `UTC`.

```yaml
timezone: Sydney
```";

    UnsupportedStoreUrl = "E0610", "unsupported store URL",
"ferry keeps its state in SQLite (`sqlite://.ferry/state.db`, or `sqlite::memory:` for
throw-away runs) or PostgreSQL (`postgres://user@host/db`). A PostgreSQL URL must parse and name
a host: the message says what is wrong with it (`invalid port number`), and shows it with its
password replaced by `***`.

```yaml
store: mysql://localhost/ferry
```";

    LiveSecretInProjectFile = "E0611", "live secret in the project file",
"A live Stripe key (`sk_live_...` or `rk_live_...`) is written in `ferry.yaml`. Project files are
committed and shared; a live key in one can move real money. ferry refuses to run with it.

```yaml
connections:
  stripe:
    kind: stripe
    api_key: sk_live_...
```

Write `api_key: ${STRIPE_API_KEY}` (or `file:/run/secrets/stripe_key`), set the variable where
ferry runs, and roll the exposed key in the Stripe dashboard. Diagnostics never print the key.";

    EnvironmentVariableMissing = "E0612", "environment variable not set",
"A setting refers to `${NAME}`, and no variable of that name is set in the environment ferry runs
in. The message names the variable; it never prints a value.

```yaml
api_key: ${STRIPE_API_KEY}
```

Set it (`export STRIPE_API_KEY=...`, or in the service's environment), or choose another
environment with `--env`.";

    SecretFileUnreadable = "E0613", "secret file unreadable",
"A setting reads `file:PATH`, and the file cannot be read or is empty. Relative paths are relative
to the folder holding `ferry.yaml`; the value is the file's contents with surrounding whitespace
removed.

```yaml
api_key: file:/run/secrets/stripe_key
```";

    MalformedReference = "E0614", "malformed reference",
"A value uses `${...}` or `file:` but not in a form ferry reads. References are `${NAME}` with a
name of letters, digits and `_` not starting with a digit, or `file:` followed by a path.

```yaml
api_key: ${STRIPE-API-KEY
```

Write `${STRIPE_API_KEY}`.";

    ProjectValueType = "E0615", "wrong kind of value",
"A key holds a different kind of YAML value from the one it takes: sections such as `connections`
are mappings, settings such as `api_key` are text.

```yaml
connections:
  - stripe
```";

    UnknownEnvironment = "E0616", "unknown environment",
"The environment asked for (with `--env`, or none when the project file has environments but no
`default_environment`) is not defined in `ferry.yaml`.

```yaml
default_environment: sandbox
environments:
  sandbox: {}
  production: {}
```

Pass one of the defined names.";

    UnsupportedProjectVersion = "E0617", "unsupported project file version",
"This ferry reads project files of `version: 1`. A different version was written by another
release of ferry, or by mistake.

```yaml
version: 2
```";

    InvalidSettingValue = "E0618", "invalid setting value",
"A setting has a value outside what it takes: `concurrency` is a whole number from 1 to 1000,
`timeout` a duration such as `30s`, a file connection's `format` is `csv` or `jsonl`.

```yaml
timeout: soon
```";

    ProjectFileUnreadable = "E0619", "project file unreadable",
"`ferry.yaml` exists but could not be read (permissions, a folder with that name), or is not UTF-8
text.";

    UnknownPipelineInProject = "E0620", "the project file names an unknown pipeline",
"`ferry.yaml`'s `pipelines:` section, or a `reconcile:` schedule's `pipelines`, names a pipeline
that the project does not have: none of the `.ferry` files in the project's folder, its
`pipelines/` folder or the files linted with it declares it. The setting would turn nothing off
(and the pipeline meant still runs), or the schedule would reconcile nothing of it.

```yaml
pipelines:
  stripe_charge_to_business_central: { enabled: false }
```

Write the name as the pipeline declares it (`pipeline stripe_charges_to_business_central { ... }`);
the help lists the project's pipelines.";

    RecordFailed = "E0700", "record failed",
"The pipeline called `fail(\"reason\")` for this record, or a `!` assertion found no value. The record
is sent to the dead-letter queue with the reason and can be replayed after the cause is fixed.";

    RuntimeType = "E0701", "unexpected value at run time",
"A value had a different type at run time than its schema promised (for example a string where the
API documents a number). The record is dead-lettered; the others go on.

Check the source data, or convert explicitly (`int(...)`, `string(...)`).";

    LookupMissed = "E0702", "lookup missed",
"A lookup was asserted with `!` and had no entry for the key. The message shows the key.

Add the key to the lookup, or give a default with `??`.";

    MissingFieldAtRuntime = "E0703", "field missing from record",
"A field that the map reads was absent from the record, and nothing handled its absence.

Handle it with `??` or `?.`.";

    ArithmeticError = "E0704", "arithmetic error",
"Division by zero, or a result too large for an exact decimal or a 64-bit integer.";

    FunctionFailed = "E0705", "function failed",
"A fallible function failed on this record's value (a date that does not parse, an unknown
currency, an email that is not an address). The message gives the value and the reason.";

    InvalidInput = "E0706", "input record is not valid JSON",
"`ferry map` reads one JSON object per line. This line is not valid JSON, or is not an object. The
line is reported and the following lines are still processed.";

    AssertionFailed = "E0708", "assertion failed",
"An `assert` of the pipeline was false for this record, such as a journal whose lines do not sum
to zero. The record is sent to the dead-letter queue with the assertion's message, and nothing is
written for it.

```ferry
assert sum(map(lines, |l| l.amount)) == 0, \"the journal does not balance\"
```

Fix the data or the mapping, then replay the record with `ferry dlq replay`.";

    CallTooDeep = "E0707", "function calls nested too deeply",
"A user `fn` called itself (directly or through other functions) more than 64 levels deep for this
record. ferry stops the record instead of the whole run.

```ferry
fn countdown(n: int) -> int = if n == 0 { 0 } else { countdown(n - 1) }
```

Rewrite the function without recursion, for example with `map`, `filter` or `sum` over a list.";

    FetchNotAvailable = "E0709", "related object not fetched",
"The mapping calls `fetch` or `fetch_all`, which read from the API, where no API can be reached:
`ferry map` never calls APIs, and a `test` block gets only what its `fetched = { ... }` gives.
The message names what was needed, in the form a test block takes:

```ferry
test \"a payout\" {
  input = json(\"fixtures/payout_paid.json\")
  fetched = { \"stripe.balance_transactions?payout=po_1\": json(\"fixtures/payout_lines.json\") }
}
```

Give the object in the test, or run the pipeline with `ferry run` or `ferry serve`.";

    PulledSchemaStale = "E0710", "the account no longer has a pulled custom field",
"The project pulled its Capsule account's custom field definitions into `schemas/<connection>.json`
(`ferry schema pull`), and the pipelines were checked against them. At run time ferry reads the
account's definitions again before it reads or writes a record with custom fields, and one of
those pulled is gone, has another type, or (a list) has other options. The message names the
field as the pipelines use it (`custom.renewal_date`), its Capsule name and its definition id.

ferry stops rather than write a value of the old type, or read one into a field typed for
another: nothing is written for the record, which is kept in the dead-letter queue (or the poll
fails and its cursor stays where it was).

Pull the definitions again, lint, and fix the pipelines that use the field:

```sh
ferry schema pull capsule
ferry lint pipelines/
ferry dlq replay --all
```

A renamed field is not a change here: values go by definition id, and the field keeps the key of
the name it was pulled with until the next pull.";

    // E08xx the sandbox's seeded drift
    DriftUnknownSystem = "E0800", "the sandbox serves no such system",
"`ferry sandbox drift --system NAME` (or `POST /_sandbox/drift` with `system`) names the emulator
by its connection kind, as `kind:` in ferry.yaml: `stripe`, `capsule`, `business_central`,
`syspro`. The sandbox at `--url` does not serve this one (Stripe is left out of a sandbox started
without it).

```sh
ferry sandbox drift --system Stripe --collection customers --change 2
```

Use the kind in lower case: `--system stripe`. The message lists the systems the sandbox serves.";

    DriftUnknownCollection = "E0801", "the collection cannot drift",
"Seeded drift changes, deletes and adds records of collections the shipped pipelines write, each
as its system's API names it (`customers`, `products` and `prices` in Stripe, `customers` and
`salesOrders` in Business Central and in Syspro), and reverses entries of Business Central's
ledgers (`generalLedgerEntries`, `customerLedgerEntries`). Other collections (Capsule's
`parties`, for one) cannot drift.

```sh
ferry sandbox drift --system stripe --collection charges --change 2
```

Name a collection the message lists: `--collection customers`.";

    DriftTooFewRecords = "E0802", "more drift asked for than there are records",
"Changes and deletes each take a different record that ferry made (not seed data, and not a
record drift added), so `--change` plus `--delete` can be at most the number of such records in
the collection. A change edits a field the record has a value in (one the pipeline wrote, so
one reconcile compares), so `--change` can be at most the number of records with a value in one
of the fields to change. A delete takes only a record the system lets its users delete: Stripe
deletes no price, and no product that has a price (both are archived instead), so `--delete`
is refused there. Nothing was changed.

```sh
ferry run capsule_contacts_to_stripe   # made 3 customers
ferry sandbox drift --system stripe --collection customers --change 2 --delete 2
```

Ask for fewer (`--change 2 --delete 1`), name fields more records have (`--fields name,email`),
or run the pipeline over more records first; in Stripe's catalog, change instead of deleting.
`--add` has no limit.";

    DriftUnknownField = "E0803", "the field cannot drift",
"`--fields` names the fields a change may edit, as the system's API names them (dotted for a
nested field: `address.city`). Each must be one the emulator knows how to edit for that
collection; the message lists them. Nothing was changed.

```sh
ferry sandbox drift --system stripe --collection customers --change 2 --fields mail
```

Name fields the pipeline writes, so reconcile can see the change: `--fields email,name`.";

    DriftOnlyReversal = "E0804", "a ledger drifts by reversal only",
"Posted ledger entries are never edited or deleted in Business Central, and entries added by hand
are a journal of their own, so drift in `generalLedgerEntries` and `customerLedgerEntries` is a
reversal (Reverse Transaction), asked for with `--change N`: N general journal documents, or N
posted payments, that ferry posted are reversed with entries of the opposite amount under the
same document. `--delete`, `--add` and `--fields` are refused. Nothing was changed.

```sh
ferry sandbox drift --system business_central --collection generalLedgerEntries --delete 1
```

Reverse instead: `--change 1`.";

    // E09xx the systems' webhook subscriptions
    WebhookSubscriptionLimit = "E0900", "too many webhook subscriptions for the account",
"`ferry serve --public-url` (or `ferry hooks subscribe`) subscribes the connection's webhook
endpoint to every event its served pipelines read, and the system limits how many subscriptions
an account may hold: Capsule allows 20 REST hooks an account. The subscriptions still missing do
not fit beside those the account already has, so none was added (half a set would leave some
changes unannounced). The message says how many are missing and how many the account has.

A Capsule connection serving `capsule.parties`, `capsule.opportunities`, `capsule.kases` and
`capsule.tasks` needs 16 hooks: 3 party events, 5 opportunity events, 5 case events and 3 task
events.

List the account's hooks with `ferry hooks list`, remove those nothing uses any more (in
Capsule, or ferry's own for an old address with `ferry hooks unsubscribe`), or serve fewer of
the connection's streams, then start again.";

    WebhookSubscriptionFailed = "E0901", "webhook subscriptions could not be managed",
"ferry could not list, add or remove the connection's webhook subscriptions: its system refused
or did not answer, the connection's kind has no subscriptions ferry can manage, or the
connection has no webhook endpoint (Capsule's needs `webhook_token`). The message gives the
system's answer; the endpoint's secret token is never shown.

Fix the cause (the credentials, the `webhook_token` setting, the network) and run the command
again: subscribing is idempotent, so what was already subscribed is kept.";

    UnusedLet = "W0001", "unused `let`",
"A `let` binding is never read. Remove it, or prefix its name with `_` to keep it deliberately.";

    UnusedLookup = "W0002", "unused lookup",
"A `lookup` table is never used. Remove it, or prefix its name with `_`.";

    UnusedFunction = "W0003", "unused function",
"A user function is never called by any pipeline in the file or its importers. Remove it, or prefix
its name with `_`.";

    NeedlessCoalesce = "W0004", "needless `??`",
"The left side of `??` can never be null, missing or failed, so the right side never runs.

```ferry
name = upper(.name) ?? \"unknown\"
```

Remove `?? ...`, or check whether the left side is what you meant.";

    NeedlessAssert = "W0005", "needless `!`",
"The value can never be null, missing or failed, so the `!` assertion never fires. Remove it.";

    UnreachableArm = "W0006", "unreachable match arm",
"This `match` arm can never be chosen: an earlier arm has the same pattern or `_` comes before it.";

    PipelineWithoutTests = "W0007", "pipeline has no tests",
"Every pipeline should carry at least one `test` block, so `ferry test` proves the mapping on
realistic input before it touches real systems.

```ferry
test \"succeeded charge\" {
  input  = json(\"tests/fixtures/charge.json\")
  expect = { externalDocumentNumber: \"ch_123\" }
}
```";

    FieldWithoutOwner = "W0008", "two pipelines change one field and none owns it",
"Two pipelines of the project write the same field of the same collection on update, and neither
says it owns it. Each run puts its own value back, so a sync never settles, or one pipeline's
value (a charge's currency) replaces the other's (the customer's).

Say which pipeline owns the field, `owns currencyCode` in its sink, and let the other set it only
when it creates the record: `only on create currencyCode`.";

    EventWrittenTwice = "W0009", "two pipelines write one event to one system",
"Two enabled pipelines of the project read the same event (the same source and an event type both
name, or the same polled stream) and both write to the same system. Each event then makes two
documents: one charge becomes a sales order and an invoice, and the books count the sale twice.

```ferry
pipeline charges_to_orders {
  source stripe.events { on \"charge.succeeded\" }
  ...
  sink business_central.salesOrders { match on externalDocumentNumber }
}

pipeline charges_to_invoices {
  source stripe.events { on \"charge.succeeded\" }
  ...
  sink business_central.salesInvoices { match on externalDocumentNumber }
}
```

Choose one and turn the other off in `ferry.yaml`:

```yaml
pipelines:
  charges_to_orders: { enabled: false }
```

`ferry serve` and `ferry run` over a folder then skip it; `ferry run charges_to_orders` still runs
it when asked by name. Lint does not try to prove two `where` filters disjoint. When the two
pipelines share the events on purpose, because their filters split the events between them (by
currency, say) or they write two parts of one whole (a product and its price), say so in
`ferry.yaml`:

```yaml
pipelines:
  charges_to_invoices: { shares_events_with: [charges_to_orders] }
```";

    LiteralSecret = "W0030", "credential written in the project file",
"A credential (`api_key`, `token`, `client_secret`, a password) is written literally in
`ferry.yaml`. Project files are committed and shared. A literal is accepted without warning only
for connections whose `base_url` is this machine (a local emulator).

```yaml
api_key: sk_test_51H...
```

Write `api_key: ${STRIPE_API_KEY}` or `api_key: file:/run/secrets/stripe_key`.";

    RateLimitAboveDocumented = "W0031", "rate limit above the API's",
"The rate limit override allows more requests than the API documents (Stripe 100 a second with a
live key, Capsule 4,000 an hour, Business Central 6,000 per 5 minutes). The API will answer 429
and ferry will back off, which is slower than staying under the limit.

```yaml
rate_limit: { requests: 500, per: 1s }
```";
}
