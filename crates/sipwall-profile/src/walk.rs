//! Paths into a profile (`flows[2].remote_ports[0]`) and a walk over its serialised form.
//!
//! The JSON form of a profile has the same keys and indices as its TOML text, so a path found
//! here can be located in the file the profile came from.

use std::fmt;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Path(pub Vec<Segment>);

impl Path {
    /// Builds a path from a dotted text with indices: `flows[2].remote_ports[0]`.
    pub fn parse(text: &str) -> Path {
        let mut segments = Vec::new();
        for part in text.split('.').filter(|p| !p.is_empty()) {
            let mut pieces = part.split('[');
            if let Some(key) = pieces.next().filter(|k| !k.is_empty()) {
                segments.push(Segment::Key(key.to_string()));
            }
            for index in pieces {
                if let Ok(i) = index.trim_end_matches(']').parse() {
                    segments.push(Segment::Index(i));
                }
            }
        }
        Path(segments)
    }

    pub fn key(&self, key: &str) -> Path {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_string()));
        path
    }

    pub fn index(&self, index: usize) -> Path {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }

    pub fn last_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|s| match s {
            Segment::Key(k) => Some(k.as_str()),
            Segment::Index(_) => None,
        })
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Calls `visit` for every string in the tree with its path.
pub fn walk_strings(value: &Value, path: &mut Path, visit: &mut dyn FnMut(&Path, &str)) {
    match value {
        Value::String(text) => visit(path, text),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.0.push(Segment::Index(i));
                walk_strings(item, path, visit);
                path.0.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                path.0.push(Segment::Key(key.clone()));
                walk_strings(item, path, visit);
                path.0.pop();
            }
        }
        _ => {}
    }
}

/// Calls `visit` for every array stored under the key `key`, with its path.
pub fn walk_arrays_named(
    value: &Value,
    key: &str,
    path: &mut Path,
    visit: &mut dyn FnMut(&Path, &[Value]),
) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.0.push(Segment::Index(i));
                walk_arrays_named(item, key, path, visit);
                path.0.pop();
            }
        }
        Value::Object(map) => {
            for (name, item) in map {
                path.0.push(Segment::Key(name.clone()));
                if let (true, Value::Array(items)) = (name == key, item) {
                    visit(path, items);
                }
                walk_arrays_named(item, key, path, visit);
                path.0.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_and_parse_alike() {
        let path = Path::default()
            .key("flows")
            .index(2)
            .key("remote_ports")
            .index(0);
        assert_eq!(path.to_string(), "flows[2].remote_ports[0]");
        assert_eq!(Path::parse("flows[2].remote_ports[0]"), path);
        assert_eq!(path.last_key(), Some("remote_ports"));
    }
}
