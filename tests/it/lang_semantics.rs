//! Running records: the three kinds of nothing, `??` against skip/fail, `!`, nested output
//! paths, lookups, templates, match/if, exact arithmetic, closures, user functions.

use crate::lang_support;

use ferry::diagnostics::Code;
use lang_support::{code, compile, compile_in, map, run, show};

#[test]
fn fields_in_assignment_order_with_nested_paths() {
    let out = map(
        r#"map to file.out { b = .b  metadata.x = .x  a = 1  metadata."Owner Team" = "t" }"#,
        r#"{"b": "B", "x": 5}"#,
    );
    assert_eq!(
        out,
        r#"{"b":"B","metadata":{"x":5,"Owner Team":"t"},"a":1}"#
    );
}

#[test]
fn omit_leaves_the_field_out_and_null_is_written() {
    let out = map(
        "map to file.out { a = .a ?? omit  b = .b  c = omit }",
        r#"{"b": null}"#,
    );
    assert_eq!(out, r#"{"b":null}"#);
}

#[test]
fn missing_field_reaching_the_output_is_e0703_naming_the_field() {
    let outcome = run(
        &compile("map to file.out { email = .email }"),
        r#"{"name": "x"}"#,
    );
    assert_eq!(code(&outcome), Some(Code::MissingFieldAtRuntime));
    assert!(show(&outcome).contains("email"), "{}", show(&outcome));
}

#[test]
fn reading_through_null_or_missing() {
    let body = "map to file.out { a = .org?.name  b = .org?.name ?? \"none\" }";
    assert_eq!(map(body, r#"{"org": null}"#), r#"{"a":null,"b":"none"}"#);
    assert_eq!(map(body, r#"{}"#), r#"{"a":null,"b":"none"}"#);
    let strict = compile("map to file.out { a = .org.name }");
    assert_eq!(
        code(&run(&strict, r#"{"org": null}"#)),
        Some(Code::MissingFieldAtRuntime)
    );
    assert_eq!(
        code(&run(&strict, r#"{}"#)),
        Some(Code::MissingFieldAtRuntime)
    );
    let handled = "map to file.out { a = .org.name ?? \"none\" }";
    assert_eq!(map(handled, r#"{}"#), r#"{"a":"none"}"#);
}

#[test]
fn coalesce_catches_failures_but_not_skip_or_fail() {
    assert_eq!(
        map(
            r#"map to file.out { a = int(.x) ?? 0 }"#,
            r#"{"x": "nope"}"#
        ),
        r#"{"a":0}"#
    );
    assert_eq!(
        map(r#"map to file.out { a = skip("no email") ?? "x" }"#, "{}"),
        "skipped: no email"
    );
    let failed = run(
        &compile(r#"map to file.out { a = fail("not yet") ?? "x" }"#),
        "{}",
    );
    assert_eq!(code(&failed), Some(Code::RecordFailed));
    assert!(show(&failed).contains("not yet"));
    // `??` on the right of a skip: the skip only happens when the left side is nothing.
    assert_eq!(
        map(
            r#"map to file.out { a = .email ?? skip("no email") }"#,
            r#"{"email": "e"}"#
        ),
        r#"{"a":"e"}"#
    );
}

#[test]
fn unhandled_function_failure_is_e0705() {
    let outcome = run(
        &compile("map to file.out { a = int(.x) }"),
        r#"{"x": "nope"}"#,
    );
    assert_eq!(code(&outcome), Some(Code::FunctionFailed));
}

#[test]
fn assert_turns_nothing_and_failures_into_record_failures() {
    let body = "lookup t { \"a\" => 1 }\n map to file.out { v = .v!  w = t[.k]! }";
    assert_eq!(map(body, r#"{"v": 1, "k": "a"}"#), r#"{"v":1,"w":1}"#);
    let compiled = compile(body);
    assert_eq!(
        code(&run(&compiled, r#"{"k": "a"}"#)),
        Some(Code::RecordFailed)
    );
    assert_eq!(
        code(&run(&compiled, r#"{"v": null, "k": "a"}"#)),
        Some(Code::RecordFailed)
    );
    assert_eq!(
        code(&run(&compiled, r#"{"v": 1, "k": "b"}"#)),
        Some(Code::LookupMissed)
    );
    // An asserted failure is not caught by an outer `??`.
    let outer = compile("map to file.out { v = (.v!) ?? 0 }");
    assert_eq!(code(&run(&outer, "{}")), Some(Code::RecordFailed));
}

#[test]
fn inline_lookups_convert_keys_to_text_and_miss_as_failures() {
    let body = r#"lookup types { "card" => "CARD", "5" => "FIVE" }
      map to file.out { a = types[.t] ?? "OTHER"  b = types[.n] ?? "none" }"#;
    assert_eq!(
        map(body, r#"{"t": "card", "n": 5}"#),
        r#"{"a":"CARD","b":"FIVE"}"#
    );
    assert_eq!(
        map(body, r#"{"t": "sepa", "n": 6}"#),
        r#"{"a":"OTHER","b":"none"}"#
    );
    let unhandled = run(
        &compile(body.replace("?? \"OTHER\"", "").as_str()),
        r#"{"t": "x", "n": 5}"#,
    );
    assert_eq!(code(&unhandled), Some(Code::LookupMissed));
}

#[test]
fn file_lookups_are_loaded_relative_to_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("owners.csv"),
        "capsule_user,email\nada,ada@example.com\nbob,bob@example.com\n",
    )
    .unwrap();
    let text = lang_support::wrap(
        r#"lookup owners from "owners.csv" key "capsule_user" value "email"
           map to file.out { owner = owners[.user] ?? "unassigned" }"#,
    );
    let compiled = compile_in(&text, dir.path());
    assert_eq!(
        show(&run(&compiled, r#"{"user": "bob"}"#)),
        r#"{"owner":"bob@example.com"}"#
    );
    assert_eq!(
        show(&run(&compiled, r#"{"user": "eve"}"#)),
        r#"{"owner":"unassigned"}"#
    );
}

#[test]
fn lets_are_lazy_an_unused_failing_let_does_not_fail_the_record() {
    let body = r#"let bad = int(.x)
      let gone = skip("never")
      let charge = .data.object
      map to file.out { id = charge.id }"#;
    assert_eq!(
        map(body, r#"{"x": "no", "data": {"object": {"id": "ch_1"}}}"#),
        r#"{"id":"ch_1"}"#
    );
    let used = r#"let email = .email ?? skip("no email")
      map to file.out { a = email  b = email }"#;
    assert_eq!(map(used, "{}"), "skipped: no email");
}

#[test]
fn where_false_filters_and_all_wheres_apply() {
    let body = r#"where .type == "person"
      where .active
      map to file.out { id = .id }"#;
    assert_eq!(
        map(body, r#"{"type": "org", "active": true, "id": 1}"#),
        "filtered"
    );
    assert_eq!(
        map(body, r#"{"type": "person", "active": false, "id": 1}"#),
        "filtered"
    );
    assert_eq!(
        map(body, r#"{"type": "person", "active": true, "id": 1}"#),
        r#"{"id":1}"#
    );
}

#[test]
fn null_and_missing_compare_equal_to_null() {
    let body = "map to file.out { a = .x == null  b = .x != null }";
    assert_eq!(map(body, "{}"), r#"{"a":true,"b":false}"#);
    assert_eq!(map(body, r#"{"x": null}"#), r#"{"a":true,"b":false}"#);
    assert_eq!(map(body, r#"{"x": 0}"#), r#"{"a":false,"b":true}"#);
}

#[test]
fn templates_render_like_string() {
    let body = r#"map to file.out { a = "Order ${.id} for ${.amount} at ${from_unix(.t)}" }"#;
    assert_eq!(
        map(body, r#"{"id": 42, "amount": 12.50, "t": 0}"#),
        r#"{"a":"Order 42 for 12.50 at 1970-01-01T00:00:00Z"}"#
    );
}

#[test]
fn match_and_if() {
    let body = r#"map to file.out {
        kind = match .t { "card" | "link" => "CARD", 3 => "three", _ => "OTHER" }
        size = if .n > 10 { "big" } else if .n > 5 { "mid" } else { "small" }
        none = if .n > 100 { "x" }
    }"#;
    assert_eq!(
        map(body, r#"{"t": "link", "n": 7}"#),
        r#"{"kind":"CARD","size":"mid","none":null}"#
    );
    assert_eq!(
        map(body, r#"{"t": 3, "n": 11}"#),
        r#"{"kind":"three","size":"big","none":null}"#
    );
    assert_eq!(
        map(body, r#"{"t": "x", "n": 1}"#),
        r#"{"kind":"OTHER","size":"small","none":null}"#
    );
}

#[test]
fn arithmetic_is_exact() {
    let body = "map to file.out { a = .x + .y  b = .x + .y == 0.3  c = 7 / 2  d = 6 / 3  e = .i * 2 + 1  f = 1 < 1.5  g = 2 == 2.00 }";
    assert_eq!(
        map(body, r#"{"x": 0.1, "y": 0.2, "i": 20}"#),
        r#"{"a":0.3,"b":true,"c":3.5,"d":2,"e":41,"f":true,"g":true}"#
    );
    assert_eq!(
        map(
            r#"map to file.out { s = .a + "-" + .b }"#,
            r#"{"a": "x", "b": "y"}"#
        ),
        r#"{"s":"x-y"}"#
    );
}

#[test]
fn integer_overflow_and_division_by_zero_are_e0704() {
    let compiled = compile("map to file.out { a = .x + 1 }");
    let outcome = run(&compiled, r#"{"x": 9223372036854775807}"#);
    assert_eq!(code(&outcome), Some(Code::ArithmeticError));
    let compiled = compile("map to file.out { a = .x / .y }");
    assert_eq!(
        code(&run(&compiled, r#"{"x": 1, "y": 0}"#)),
        Some(Code::ArithmeticError)
    );
    assert_eq!(
        code(&run(&compiled, r#"{"x": 1.5, "y": 0.0}"#)),
        Some(Code::ArithmeticError)
    );
    // Caught by `??` like any failure.
    let handled = compile("map to file.out { a = .x / .y ?? 0 }");
    assert_eq!(show(&run(&handled, r#"{"x": 1, "y": 0}"#)), r#"{"a":0}"#);
}

#[test]
fn wrong_types_at_run_time_are_record_errors_not_panics() {
    let compiled = compile("map to file.out { a = .x + 1  b = .x.y  c = -.x }");
    for record in [
        r#"{"x": "text"}"#,
        r#"{"x": [1]}"#,
        r#"{"x": true}"#,
        r#"{"x": {"y": 1}}"#,
    ] {
        let outcome = run(&compiled, record);
        assert!(
            matches!(outcome, ferry::lang::Outcome::Failed(_)),
            "{record}: {}",
            show(&outcome)
        );
    }
}

#[test]
fn a_failing_record_does_not_stop_the_next() {
    let compiled = compile("map to file.out { a = int(.x) }");
    let outcomes: Vec<String> = [r#"{"x": "1"}"#, r#"{"x": "no"}"#, r#"{"x": "3"}"#]
        .iter()
        .map(|r| show(&run(&compiled, r)))
        .collect();
    assert_eq!(outcomes[0], r#"{"a":1}"#);
    assert!(outcomes[1].starts_with("failed E0705"), "{}", outcomes[1]);
    assert_eq!(outcomes[2], r#"{"a":3}"#);
}

#[test]
fn closures_with_map_filter_and_outer_names() {
    let body = r#"let rate = 2
      map to file.out {
        doubled = map(.items, |x| x.n * rate)
        big = map(filter(.items, |x| x.n > 1), |x| x.id)
        nested = map(.items, |x| map(.tags, |t| "${x.id}:${t}"))
      }"#;
    let record = r#"{"items": [{"id": "a", "n": 1}, {"id": "b", "n": 2}], "tags": ["p", "q"]}"#;
    assert_eq!(
        map(body, record),
        r#"{"doubled":[2,4],"big":["b"],"nested":[["a:p","a:q"],["b:p","b:q"]]}"#
    );
}

#[test]
fn a_let_with_closures_first_read_inside_a_closure_leaves_its_parameter_alone() {
    // `scale` is computed the first time the outer closure reads it; its own closure must not
    // take the slot where `x` lives.
    let body = r#"let scale = sum(map(.weights, |w| w))
      map to file.out {
        out = map(.items, |x| { before: x.id, scaled: x.n * scale, after: "${x.id}" })
      }"#;
    let record = r#"{"weights": [1, 2], "items": [{"id": "a", "n": 1}, {"id": "b", "n": 2}]}"#;
    assert_eq!(
        map(body, record),
        r#"{"out":[{"before":"a","scaled":3,"after":"a"},{"before":"b","scaled":6,"after":"b"}]}"#
    );
}

#[test]
fn a_skip_inside_a_closure_skips_the_record() {
    let body = r#"map to file.out { a = map(.items, |x| x.n ?? skip("item without n")) }"#;
    assert_eq!(
        map(body, r#"{"items": [{"n": 1}, {}]}"#),
        "skipped: item without n"
    );
}

#[test]
fn user_functions_named_arguments_and_defaults() {
    let text = r#"fn full_name(first: string?, last: string?) -> string = join([first, last], " ")
      fn twice(x: int) -> int = x * 2
      pipeline p {
        source file.input
        map to file.out {
          name = full_name(.first, .last)
          named = full_name(last: "L", first: "F")
          n = twice(twice(.n))
          rounded = round(.d, 1)
          joined = concat("a", "b", "c")
        }
        sink file.output {}
      }"#;
    let compiled = compile_in(text, std::path::Path::new("."));
    assert_eq!(
        show(&run(&compiled, r#"{"first": "Ada", "n": 3, "d": 2.25}"#)),
        r#"{"name":"Ada","named":"F L","n":12,"rounded":2.2,"joined":"abc"}"#
    );
}

#[test]
fn runaway_recursion_fails_the_record_with_e0707() {
    let text = r#"fn down(n: int) -> int = if n == 0 { 0 } else { down(n - 1) }
      pipeline p {
        source file.input
        map to file.out { a = down(.n) ?? -1 }
        sink file.output {}
      }"#;
    let compiled = compile_in(text, std::path::Path::new("."));
    assert_eq!(show(&run(&compiled, r#"{"n": 5}"#)), r#"{"a":0}"#);
    assert_eq!(
        code(&run(&compiled, r#"{"n": 100000}"#)),
        Some(Code::CallTooDeep)
    );
}

#[test]
fn xref_takes_a_bare_collection_name() {
    let compiled = compile(
        r#"map to file.out { c = xref(stripe.customers, .customer) ?? fail("customer not synced yet") }"#,
    );
    let mut xrefs = ferry::lang::MapCrossReferences::default();
    xrefs.0.insert(
        "stripe.customers".into(),
        [("cus_1".to_string(), ferry::lang::TestLink::id("C0001"))]
            .into_iter()
            .collect(),
    );
    assert_eq!(
        show(&lang_support::run_with(
            &compiled,
            r#"{"customer": "cus_1"}"#,
            &xrefs
        )),
        r#"{"c":"C0001"}"#
    );
    let missed = lang_support::run_with(&compiled, r#"{"customer": "cus_2"}"#, &xrefs);
    assert_eq!(code(&missed), Some(Code::RecordFailed));
    assert!(show(&missed).contains("customer not synced yet"));
}

#[test]
fn lone_expressions_for_examples() {
    assert_eq!(lang_support::eval("1 + 2").as_deref(), Ok("3"));
    assert_eq!(lang_support::eval(".").as_deref(), Ok("{}"));
    assert_eq!(lang_support::eval(".x ?? 5").as_deref(), Ok("5"));
    assert_eq!(
        lang_support::eval(r#"skip("why")"#),
        Err("skipped: why".to_string())
    );
    assert_eq!(
        lang_support::eval(r#"fail("why")"#),
        Err("failed: why".to_string())
    );
}
