//! How a transaction's XmlOut ends: an error when the document held no item, then
//! `StatusOfItems` with its counts zero-padded to six digits, as Syspro writes them.

use crate::connectors::syspro::xml::write_element;

/// Closes `out` (whose root is `root`) with `counts` (`ItemsProcessed`, ...); `items` is how many
/// items the document held.
pub fn close(out: &mut String, root: &str, items: usize, counts: &[(&str, usize)]) {
    if items == 0 {
        write_element(out, "ErrorDescription", "the document holds no Item");
    }
    out.push_str("<StatusOfItems>");
    for (name, count) in counts {
        write_element(out, name, &format!("{count:06}"));
    }
    out.push_str(&format!("</StatusOfItems></{root}>"));
}
