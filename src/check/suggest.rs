//! "Did you mean ...?" suggestions for misspelt names.

/// The candidate closest to `name`, when it is close enough to be a likely typo.
pub(crate) fn closest<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let wanted = name.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let lower = candidate.to_lowercase();
        let score = if lower == wanted {
            1.0
        } else {
            let similarity = strsim::jaro_winkler(&wanted, &lower);
            let edits = strsim::levenshtein(&wanted, &lower);
            // Short names need an edit-distance check: Jaro-Winkler is generous with them.
            if similarity >= 0.85 || (edits <= 2 && wanted.chars().count() > 3) {
                similarity
            } else {
                continue;
            }
        };
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((candidate, score));
        }
    }
    best.map(|(c, _)| c)
}

/// `did you mean `x`?` for the closest candidate, formatted with `show`.
pub(crate) fn did_you_mean<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
    show: impl Fn(&str) -> String,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{}`?", show(c)))
}

/// A short list of names for help lines (`a`, `b`, `c`, ...).
pub(crate) fn listing<'c>(names: impl IntoIterator<Item = &'c str>, limit: usize) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut shown: Vec<String> = names.iter().take(limit).map(|n| format!("`{n}`")).collect();
    if names.len() > limit {
        shown.push(format!("... ({} more)", names.len() - limit));
    }
    shown.join(", ")
}
