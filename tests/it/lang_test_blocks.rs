//! `test` blocks: expect (listed fields), expect_skip, expect_error, expect_filtered, now, xrefs,
//! fixtures.

use crate::lang_support;

use ferry::functions::Registry;
use ferry::lang::{TestReport, run_test};
use ferry::syntax::ast::{PipelineItem, TestBlock};

const PIPELINE: &str = r#"
pipeline contacts {
  source file.input
  let email = .email ?? skip("contact has no email")
  map to file.out {
    email = email
    name = join([.first, .last], " ")
    phone = .phone ?? omit
    seen = string(now())
    customer = xref(stripe.customers, .id) ?? fail("customer not synced yet")
    metadata.id = string(.id)
  }
  sink file.output {}
  TESTS
}
"#;

fn reports(tests: &str, dir: &std::path::Path) -> Vec<TestReport> {
    reports_of(PIPELINE, tests, dir)
}

/// The reports of `tests` placed in `template` at `TESTS`.
fn reports_of(template: &str, tests: &str, dir: &std::path::Path) -> Vec<TestReport> {
    let text = template.replace("TESTS", tests);
    let module = lang_support::module(&text);
    let pipeline = lang_support::pipeline(&module);
    let compiled = lang_support::compile_in(&text, dir);
    pipeline
        .items
        .iter()
        .filter_map(|item| match item {
            PipelineItem::Test(test) => Some(test),
            _ => None,
        })
        .map(|test: &TestBlock| {
            run_test(
                &compiled,
                test,
                Registry::standard(),
                dir,
                ferry::connectors::schemas(),
            )
        })
        .collect()
}

fn one(test: &str) -> Result<(), String> {
    let dir = std::path::Path::new(".");
    let report = reports(test, dir).pop().expect("one test");
    report.result.map_err(|f| f.to_string())
}

const XREFS: &str = r#"xrefs = { "stripe.customers": { "1": "C0001" } }"#;

#[test]
fn listed_fields_pass_and_unlisted_are_not_checked() {
    let test = format!(
        r#"test "ok" {{
          input = {{ email: "ada@example.com", first: "Ada", last: "Lovelace", id: 1 }}
          expect = {{ email: "ada@example.com", name: "Ada Lovelace", phone: omit, customer: "C0001", metadata: {{ id: "1" }} }}
          {XREFS}
        }}"#
    );
    assert_eq!(one(&test), Ok(()));
}

#[test]
fn a_wrong_field_gives_a_diff() {
    let test = format!(
        r#"test "wrong" {{
          input = {{ email: "ada@example.com", first: "Ada", id: 1, phone: "+61 2" }}
          expect = {{ name: "Ada Lovelace", phone: omit }}
          {XREFS}
        }}"#
    );
    let failure = one(&test).unwrap_err();
    assert!(failure.contains("-") && failure.contains("+"), "{failure}");
    assert!(failure.contains("Ada Lovelace"), "{failure}");
    assert!(failure.contains("\"Ada\""), "{failure}");
    assert!(failure.contains("+61 2"), "{failure}");
}

#[test]
fn nested_objects_are_compared() {
    let test = format!(
        r#"test "nested" {{
          input = {{ email: "e", id: 1 }}
          expect = {{ metadata: {{ id: "2" }} }}
          {XREFS}
        }}"#
    );
    assert!(one(&test).is_err());
}

#[test]
fn expect_skip_and_expect_error() {
    assert_eq!(
        one(r#"test "skip" { input = { id: 1 } expect_skip = "no email" }"#),
        Ok(())
    );
    assert_eq!(
        one(r#"test "error" { input = { email: "e", id: 1 } expect_error = "not synced" }"#),
        Ok(())
    );
    let wrong = one(r#"test "skip" { input = { email: "e", id: 1 } expect_skip = "no email" }"#)
        .unwrap_err();
    assert!(wrong.contains("customer not synced yet"), "{wrong}");
}

#[test]
fn an_unexpected_skip_is_explained() {
    let failure = one(r#"test "mapped" { input = { id: 1 } expect = { name: "x" } }"#).unwrap_err();
    assert!(
        failure.contains("expected a mapped record") && failure.contains("contact has no email"),
        "{failure}"
    );
}

#[test]
fn the_clock_is_fixed_and_can_be_set() {
    let default = format!(
        r#"test "clock" {{ input = {{ email: "e", id: 1 }} expect = {{ seen: "2026-01-01T00:00:00Z" }} {XREFS} }}"#
    );
    assert_eq!(one(&default), Ok(()));
    let set = format!(
        r#"test "clock" {{ input = {{ email: "e", id: 1 }} now = "2027-05-06T07:08:09Z" expect = {{ seen: "2027-05-06T07:08:09Z" }} {XREFS} }}"#
    );
    assert_eq!(one(&set), Ok(()));
}

#[test]
fn fixtures_are_read_relative_to_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("fixtures")).unwrap();
    std::fs::write(
        dir.path().join("fixtures/person.json"),
        r#"{"email": "ada@example.com", "first": "Ada", "id": "cus_9"}"#,
    )
    .unwrap();
    let test = r#"test "fixture" {
      input = json("fixtures/person.json")
      expect = { email: "ada@example.com", metadata: { id: "cus_9" } }
      xrefs = { "stripe.customers": { "cus_9": "C9" } }
    }"#;
    let report = reports(test, dir.path()).pop().unwrap();
    assert_eq!(report.result.map_err(|f| f.to_string()), Ok(()));
    assert_eq!(report.name, "fixture");
}

const FILTERED: &str = r#"
pipeline active_contacts {
  source file.input { where .active == true }
  map to file.out { email = .email ?? skip("no email") }
  sink file.output {}
  TESTS
}
"#;

fn filtered(tests: &str) -> Vec<Result<(), String>> {
    reports_of(FILTERED, tests, std::path::Path::new("."))
        .into_iter()
        .map(|report| report.result.map_err(|f| f.to_string()))
        .collect()
}

#[test]
fn expect_filtered_checks_the_sources_where() {
    let results = filtered(
        r#"
        test "inactive is left out" { input = { active: false, email: "a@example.com" } expect_filtered = true }
        test "active passes" { input = { active: true, email: "a@example.com" } expect_filtered = false }
        test "active is not left out" { input = { active: true, email: "a@example.com" } expect_filtered = true }
        test "inactive does not pass" { input = { active: false } expect_filtered = false }
        "#,
    );
    assert_eq!(results[0], Ok(()));
    assert_eq!(results[1], Ok(()));
    let error = results[2].clone().unwrap_err();
    assert!(
        error.contains("expected the source's `where` to leave the record out"),
        "{error}"
    );
    assert!(error.contains("mapped"), "{error}");
    let error = results[3].clone().unwrap_err();
    assert!(error.contains("it was left out"), "{error}");
}

const FETCHING: &str = r#"
pipeline charges {
  timezone "UTC"
  source stripe.events { on "charge.succeeded" }
  let charge = .data.object
  let customer = fetch(stripe.customers, charge.customer ?? fail("guest")) ?? fail("gone")
  let refunds = fetch_all(stripe.refunds, { charge: charge.id })
  map to file.out {
    email = customer.email ?? ""
    refunded = len(refunds)
  }
  sink file.output {}
  TESTS
}
"#;

/// The one test of FETCHING with `fetched` as given.
fn fetching(fetched: &str) -> Result<(), String> {
    let test = format!(
        r#"test "t" {{
          input = {{ id: "evt_1", object: "event", type: "charge.succeeded", created: 1,
            data: {{ object: {{ id: "ch_1", object: "charge", amount: 100, currency: "aud", customer: "cus_1", created: 1 }} }} }}
          fetched = {fetched}
          expect = {{ refunded: 1 }}
        }}"#
    );
    reports_of(FETCHING, &test, std::path::Path::new("."))
        .pop()
        .expect("one test")
        .result
        .map_err(|f| f.to_string())
}

#[test]
fn fetched_answers_must_look_like_what_the_api_sends() {
    let customer = r#"{ id: "cus_1", object: "customer", email: "ada@example.com" }"#;
    let refund = r#"{ id: "re_1", object: "refund", amount: 50, charge: "ch_1", currency: "aud" }"#;
    let good = format!(
        r#"{{ "stripe.customers/cus_1": {customer}, "stripe.refunds?charge=ch_1": [{refund}] }}"#
    );
    assert_eq!(fetching(&good), Ok(()));

    let misspelt = good.replace("email:", "emial:");
    let error = fetching(&misspelt).unwrap_err();
    assert!(
        error.contains("`.emial` is not a field of a stripe.customer (did you mean `email`?)"),
        "{error}"
    );
    let amount_as_text = good.replace("amount: 50", "amount: \"50\"");
    let error = fetching(&amount_as_text).unwrap_err();
    assert!(
        error.contains(
            "\"stripe.refunds?charge=ch_1\": `.amount` is string, where a minor_units belongs"
        ),
        "{error}"
    );
    let not_a_list = good.replace(&format!("[{refund}]"), refund);
    let error = fetching(&not_a_list).unwrap_err();
    assert!(error.contains("a list fetch answers a list"), "{error}");
    let unknown = good.replace("stripe.customers/cus_1", "stripe.custmers/cus_1");
    let error = fetching(&unknown).unwrap_err();
    assert!(
        error.contains("is not a collection ferry can fetch"),
        "{error}"
    );
}
