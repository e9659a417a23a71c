//! sipwall's report renderers (DESIGN §3). For now: the self-contained HTML report of a
//! `sipwall check` ([`check_html`]), one file with inline CSS and inline SVG charts that
//! loads nothing, runs no script and reads the same offline or as an email attachment.
//!
//! A check outcome carries text from the network (SIP headers echoed by a middlebox, the
//! reflector's names, its evidence lines): every string goes through [`escape`] on its way
//! into the page.

mod chart;
mod escape;
mod html;
mod lifetime;
mod media;
mod time;

pub use escape::{Escaped, escape};
pub use html::check_html;
pub use time::format_utc;

#[cfg(test)]
mod tests;
