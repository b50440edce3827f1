//! The XML that Syspro's business objects take and return: a small element tree read with
//! quick-xml, and escaped writing. The emulator reads and writes through the same functions.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

/// One element: its name, its text (trimmed) and its child elements. Attributes are not kept:
/// Syspro's documents carry their values in elements. Names are looked up without regard to
/// case: Syspro often lower-cases the root of its answers (`<postgljournal>` for
/// `PostGlJournal`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// Whether this element is called `name`, in any case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(name))
    }

    /// Every child called `name`.
    pub fn children_named<'e>(&'e self, name: &'e str) -> impl Iterator<Item = &'e Element> {
        self.children.iter().filter(move |c| c.is(name))
    }

    /// The text of the first child called `name`, when it has any.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.as_str())
            .filter(|t| !t.is_empty())
    }

    /// The element at `path` (child names below this one).
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter()
            .try_fold(self, |element, name| element.child(name))
    }

    /// Every element called `name` at any depth below this one, in document order.
    pub fn descendants<'e>(&'e self, name: &str, out: &mut Vec<&'e Element>) {
        for child in &self.children {
            if child.is(name) {
                out.push(child);
            }
            child.descendants(name, out);
        }
    }
}

/// Reads a document into its root element; the reason when it is not well-formed XML.
pub fn parse(text: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|error| format!("not well-formed XML: {error}"))?;
        match event {
            Event::Start(start) => stack.push(Element {
                name: String::from_utf8_lossy(start.name().as_ref()).into_owned(),
                ..Element::default()
            }),
            Event::Empty(empty) => {
                let element = Element {
                    name: String::from_utf8_lossy(empty.name().as_ref()).into_owned(),
                    ..Element::default()
                };
                close(&mut stack, &mut root, element)?;
            }
            Event::End(_) => {
                let mut element = stack.pop().ok_or("an end tag without a start tag")?;
                element.text = element.text.trim().to_string();
                close(&mut stack, &mut root, element)?;
            }
            Event::Text(text) => {
                let decoded = text.decode().map_err(|error| error.to_string())?;
                push_text(&mut stack, &decoded);
            }
            Event::CData(data) => {
                let decoded = data.decode().map_err(|error| error.to_string())?;
                push_text(&mut stack, &decoded);
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(ch)) => ch.to_string(),
                    Ok(None) => {
                        let name = reference.decode().map_err(|error| error.to_string())?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity `&{name};`"))?
                            .to_string()
                    }
                    Err(error) => return Err(error.to_string()),
                };
                push_text(&mut stack, &resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("the document ends inside an element".into());
    }
    root.ok_or_else(|| "the document has no element".into())
}

fn close(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err("the document has more than one root element".into()),
    }
    Ok(())
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(open) = stack.last_mut() {
        open.text.push_str(text);
    }
}

/// `text` with `<`, `>`, `&`, `'` and `"` escaped.
pub fn escape(text: &str) -> Cow<'_, str> {
    quick_xml::escape::escape(text)
}

/// Appends `<name>value</name>`, the value escaped.
pub fn write_element(out: &mut String, name: &str, value: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&escape(value));
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Fills a template's `{{slot}}`s; each value is inserted as given (escape it first unless it
/// is already XML).
pub fn fill(template: &str, slots: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (slot, value) in slots {
        out = out.replace(&format!("{{{{{slot}}}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_elements_and_entities() {
        let root = parse(
            "<?xml version=\"1.0\"?><A x='1'><B> Smith &amp; Sons &#65; </B><C/><B>two</B></A>",
        )
        .unwrap();
        assert_eq!(root.name, "A");
        assert_eq!(root.text_of("B"), Some("Smith & Sons A"));
        assert_eq!(root.children_named("B").count(), 2);
        assert_eq!(root.text_of("C"), None);
        let lower = parse("<?xml version=\"1.0\" encoding=\"Windows-1252\"?><postgljournal><item/></postgljournal>").unwrap();
        assert!(lower.is("PostGlJournal") && lower.child("Item").is_some());
    }

    #[test]
    fn rejects_broken_documents() {
        assert!(parse("<A><B></A>").is_err());
        assert!(parse("plain text").is_err());
        assert!(parse("<A/><B/>").is_err());
        assert!(parse("<A>&bogus;</A>").is_err());
    }

    #[test]
    fn writes_escaped_values() {
        let mut out = String::new();
        write_element(&mut out, "Name", "R&D <Ltd>");
        assert_eq!(out, "<Name>R&amp;D &lt;Ltd&gt;</Name>");
        assert_eq!(parse(&out).unwrap().text, "R&D <Ltd>");
        assert_eq!(fill("<X>{{body}}</X>", &[("body", "<Y/>")]), "<X><Y/></X>");
    }
}
