//! The bytes of Syspro's answers as text. Syspro declares its XmlOut `encoding="Windows-1252"`
//! (shared/reference/apis-wave2.md §2.1, seen in real traffic), so a body is read in the
//! encoding its XML declaration or its `Content-Type` charset names; UTF-8 otherwise, and
//! Windows-1252 when it is not valid UTF-8 (a body with no declaration from an older build).
//! The emulator writes its answers with [`to_windows_1252`].

/// What bytes 0x80..=0x9F stand for in Windows-1252; the five it leaves undefined map to the C1
/// controls of the same value, as browsers (WHATWG) read them.
const HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// Labels of the single-byte encodings read as Windows-1252 (Latin-1 is its subset in practice).
const SINGLE_BYTE: &[&str] = &[
    "windows-1252",
    "cp1252",
    "iso-8859-1",
    "iso8859-1",
    "latin1",
    "l1",
];

/// The body as text, decoded as the answer says it is encoded.
pub fn decode(body: &[u8], content_type: Option<&str>) -> String {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let label = declared_encoding(body).or_else(|| content_type.and_then(charset));
    if label.is_some_and(|l| SINGLE_BYTE.iter().any(|s| s.eq_ignore_ascii_case(l.trim()))) {
        return from_windows_1252(body);
    }
    match std::str::from_utf8(body) {
        Ok(text) => text.to_string(),
        Err(_) => from_windows_1252(body),
    }
}

fn from_windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&byte| match byte {
            0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
            _ => char::from(byte),
        })
        .collect()
}

/// `text` in Windows-1252; a character it cannot hold becomes an XML character reference.
pub fn to_windows_1252(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        match u32::from(ch) {
            code @ (0..=0x7F | 0xA0..=0xFF) => out.push(code as u8),
            code => match HIGH.iter().position(|&high| high == ch) {
                Some(index) if !(0x80..=0x9F).contains(&code) => out.push(0x80 + index as u8),
                _ => out.extend_from_slice(format!("&#{code};").as_bytes()),
            },
        }
    }
    out
}

/// The `encoding` of an `<?xml ...?>` declaration at the start of `body`.
fn declared_encoding(body: &[u8]) -> Option<&str> {
    let head = &body[..body.len().min(200)];
    let head = std::str::from_utf8(head)
        .ok()
        .or_else(|| std::str::from_utf8(&head[..head.iter().position(|&b| b >= 0x80)?]).ok())?;
    let declaration = head.trim_start().strip_prefix("<?xml")?;
    let declaration = &declaration[..declaration.find("?>")?];
    let after = &declaration[declaration.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let value = &after[1..];
    Some(&value[..value.find(quote)?])
}

fn charset(content_type: &str) -> Option<&str> {
    content_type.split(';').find_map(|part| {
        let (name, value) = part.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_windows_1252_body_reads_as_text() {
        let body = b"<?xml version=\"1.0\" encoding=\"Windows-1252\"?><a>Caf\xE9 \x80 \x93ok\x94</a>";
        assert_eq!(
            decode(body, Some("application/octet-stream")),
            "<?xml version=\"1.0\" encoding=\"Windows-1252\"?><a>Café € \u{201C}ok\u{201D}</a>"
        );
    }

    #[test]
    fn charsets_utf8_and_undeclared_single_byte_bodies() {
        assert_eq!(decode(b"<a>\xE9</a>", Some("text/xml; charset=windows-1252")), "<a>é</a>");
        assert_eq!(decode("<a>é€</a>".as_bytes(), None), "<a>é€</a>");
        assert_eq!(decode(b"<a>\xE9</a>", None), "<a>é</a>");
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>", None), "<a/>");
    }

    #[test]
    fn writing_windows_1252_round_trips_and_escapes_the_rest() {
        let bytes = to_windows_1252("Café € “ok” 日");
        assert_eq!(bytes[3], 0xE9);
        assert_eq!(decode(&bytes, Some("text/xml; charset=windows-1252")), "Café € “ok” &#26085;");
    }
}
