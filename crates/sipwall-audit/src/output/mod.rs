//! The report for people (`human`), for programs (`json`: the [`Report`](crate::Report) as
//! serialised, schema `sipwall.audit` version 1) and for code-scanning tools (`sarif`, 2.1.0).

pub mod human;
pub mod sarif;

use sipwall_profile::Source as Citation;

/// `seed § section — "quote"` / `RFC 4787 § 4.3`.
pub(crate) fn citation(source: &Citation) -> String {
    let mut text = match (&source.doc, source.rfc) {
        (Some(doc), _) => format!("{doc} § {}", source.section),
        (None, Some(rfc)) => format!("RFC {rfc} § {}", source.section),
        (None, None) => format!("§ {}", source.section),
    };
    if let Some(quote) = &source.quote {
        let quote = quote.split_whitespace().collect::<Vec<_>>().join(" ");
        text.push_str(&format!(" — \"{quote}\""));
    }
    text
}
