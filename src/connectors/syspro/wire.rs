//! What Syspro's e.net REST service answers: an XmlOut document, or text starting with `ERROR`;
//! and those answers as [`ConnectorError`]s naming the business object and the field.
//!
//! UNVERIFIED: whether the WCF service wraps XmlOut in a `<string>` element (accepted either
//! way), the exact wording of its session errors (any `ERROR` text mentioning a session is
//! taken as an expired or unknown session), and that business rule failures come back with
//! HTTP 200 (they are reported here as status 422 so they read as permanent).

use super::xml::{self, Element};
use crate::connectors::ConnectorError;

/// A business object's answer.
#[derive(Debug)]
pub enum Reply {
    /// The XmlOut document (or the plain text a Logon returns, as the root's text).
    Document(Element),
    /// The session id is unknown or has expired: log on again.
    SessionInvalid,
    /// `ERROR ...` text: the business object refused the call.
    Refused(String),
}

/// Reads the body of a business object call.
pub fn read_reply(body: &str) -> Result<Reply, String> {
    let text = body.trim().trim_start_matches('\u{feff}');
    if let Some(message) = error_text(text) {
        return Ok(if message.to_ascii_lowercase().contains("session") {
            Reply::SessionInvalid
        } else {
            Reply::Refused(message)
        });
    }
    let lower = text.get(..100).unwrap_or(text).to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        // A proxy's or IIS's error page, not the service's answer.
        return Err("an HTML page, not an XmlOut document".into());
    }
    let root = xml::parse(text)?;
    // The WCF serializer's `<string xmlns="...Serialization/">` around the real document.
    if root.is("string") && root.children.is_empty() {
        return read_reply(&root.text);
    }
    Ok(Reply::Document(root))
}

/// The message of an `ERROR` answer.
pub fn error_text(text: &str) -> Option<String> {
    let head = text.get(..5)?;
    head.eq_ignore_ascii_case("ERROR").then(|| {
        text[5..]
            .trim_start_matches([' ', ':', '-'])
            .trim()
            .to_string()
    })
}

/// Every `<ErrorDescription>` in an XmlOut document, with the element that holds it (and that
/// element's `CustomerPoLine` or `Key`, when it has one).
pub fn errors_in(root: &Element) -> Vec<(String, String)> {
    let mut found = Vec::new();
    collect_errors(root, &mut found);
    found
}

fn collect_errors(element: &Element, found: &mut Vec<(String, String)>) {
    for message in element.children_named("ErrorDescription") {
        if !message.text.is_empty() {
            let mut place = element.name.clone();
            if let Some(line) = element.text_of("CustomerPoLine") {
                place.push_str(&format!(" {line}"));
            }
            found.push((place, message.text.clone()));
        }
    }
    for child in &element.children {
        collect_errors(child, found);
    }
}

/// A business rule refusal: permanent, so the record goes to the dead-letter queue.
pub fn refused(endpoint: &str, place: Option<String>, message: String) -> ConnectorError {
    ConnectorError::Api {
        endpoint: format!("syspro {endpoint}"),
        status: 422,
        kind: Some("syspro_error".into()),
        code: None,
        param: place,
        message,
    }
}

/// The XmlOut's errors as one connector error, if it has any: its `<ErrorDescription>`s, else
/// a `StatusOfItems` that counts invalid items or processed nothing.
pub fn check_document(endpoint: &str, root: &Element) -> Result<(), ConnectorError> {
    let errors = errors_in(root);
    let Some((place, _)) = errors.first() else {
        return check_status(endpoint, root);
    };
    let place = place.clone();
    let message = errors
        .into_iter()
        .map(|(place, message)| format!("{place}: {message}"))
        .collect::<Vec<_>>()
        .join("; ");
    Err(refused(endpoint, Some(place), message))
}

/// `StatusOfItems`: counts Syspro zero-pads (`000001`), named `...Processed` and `...Invalid`
/// (`ItemsInvalid`, `RecordsInvalid`, `PostingsInvalid`). A document without one is fine.
fn check_status(endpoint: &str, root: &Element) -> Result<(), ConnectorError> {
    let mut statuses = Vec::new();
    if root.is("StatusOfItems") {
        statuses.push(root);
    }
    root.descendants("StatusOfItems", &mut statuses);
    for status in statuses {
        let (mut processed, mut invalid) = (None::<u64>, 0);
        for count in &status.children {
            let name = count.name.to_ascii_lowercase();
            let (is_invalid, is_processed) = (name.ends_with("invalid"), name.ends_with("processed"));
            if !is_invalid && !is_processed {
                continue;
            }
            let value = count.text.trim().parse::<u64>().map_err(|_| {
                bad_response(
                    endpoint,
                    format!("StatusOfItems/{} '{}' is not a count", count.name, count.text),
                )
            })?;
            if is_invalid && value > 0 {
                return Err(refused(
                    endpoint,
                    Some(format!("StatusOfItems/{}", count.name)),
                    format!(
                        "Syspro counted {value} invalid ({}) and gave no reason",
                        count.name
                    ),
                ));
            }
            invalid += value;
            if is_processed {
                processed = Some(processed.unwrap_or(0) + value);
            }
        }
        if processed == Some(0) && invalid == 0 {
            return Err(refused(
                endpoint,
                Some("StatusOfItems".into()),
                "Syspro processed nothing and reported no error".into(),
            ));
        }
    }
    Ok(())
}

pub fn bad_response(endpoint: &str, reason: impl Into<String>) -> ConnectorError {
    ConnectorError::BadResponse {
        endpoint: format!("syspro {endpoint}"),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_and_sessions() {
        assert!(matches!(
            read_reply("ERROR: Invalid session id"),
            Ok(Reply::SessionInvalid)
        ));
        match read_reply("ERROR - Invalid operator password") {
            Ok(Reply::Refused(message)) => assert_eq!(message, "Invalid operator password"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn documents_and_wrapped_documents() {
        let wrapped = "<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">&lt;A&gt;&lt;B&gt;1&lt;/B&gt;&lt;/A&gt;</string>";
        match read_reply(wrapped) {
            Ok(Reply::Document(root)) => assert_eq!(root.text_of("B"), Some("1")),
            other => panic!("{other:?}"),
        }
        assert!(read_reply("<A>").is_err());
        let page = read_reply("<!DOCTYPE html><html><body>Service Unavailable</body></html>");
        assert_eq!(page.unwrap_err(), "an HTML page, not an XmlOut document");
    }

    #[test]
    fn status_of_items_counts_are_checked() {
        let check = |text: &str| check_document("GENTJL (Transaction/Post)", &xml::parse(text).unwrap());
        assert!(check("<postgljournal><StatusOfItems><JournalsProcessed>000001</JournalsProcessed><PostingsInvalid>000000</PostingsInvalid></StatusOfItems></postgljournal>").is_ok());
        let invalid = check("<postgljournal><StatusOfItems><JournalsProcessed>000000</JournalsProcessed><PostingsInvalid>000002</PostingsInvalid></StatusOfItems></postgljournal>").unwrap_err();
        let text = invalid.to_string();
        assert!(text.contains("GENTJL") && text.contains("2 invalid (PostingsInvalid)"), "{text}");
        assert!(matches!(invalid, ConnectorError::Api { param: Some(ref p), .. } if p == "StatusOfItems/PostingsInvalid"));
        let nothing = check("<a><StatusOfItems><ItemsProcessed>0</ItemsProcessed><ItemsInvalid>0</ItemsInvalid></StatusOfItems></a>");
        assert!(nothing.unwrap_err().to_string().contains("processed nothing"));
        let garbled = check("<a><StatusOfItems><ItemsInvalid>x</ItemsInvalid></StatusOfItems></a>");
        assert!(matches!(garbled, Err(ConnectorError::BadResponse { .. })));
    }

    #[test]
    fn errors_name_their_element() {
        let root = xml::parse(
            "<SalesOrders><Order><ErrorDescription>Customer 'X' not on file</ErrorDescription>\
             <StockLine><CustomerPoLine>2</CustomerPoLine><ErrorDescription>bad OrderQty</ErrorDescription></StockLine></Order></SalesOrders>",
        )
        .unwrap();
        let error = check_document("SORTOI", &root).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("Order: Customer 'X' not on file"), "{text}");
        assert!(text.contains("StockLine 2: bad OrderQty"), "{text}");
        assert!(error.is_permanent());
        // The cassette's shape: the field's own element holds its value and its error.
        let field = xml::parse("<item><stockcode><Value>1004</Value><ErrorNumber>240004</ErrorNumber><ErrorDescription>Stock code '1004' not found</ErrorDescription></stockcode></item>").unwrap();
        match check_document("INVQRY (Query/Query)", &field).unwrap_err() {
            ConnectorError::Api { endpoint, param, message, .. } => {
                assert_eq!(endpoint, "syspro INVQRY (Query/Query)");
                assert_eq!(param.as_deref(), Some("stockcode"));
                assert_eq!(message, "stockcode: Stock code '1004' not found");
            }
            other => panic!("{other:?}"),
        }
    }
}
