//! Where things start in a declarative (YAML/JSON) file: the line of each operation of `up` and
//! of each top-level key, for messages that point at a line. serde reads the values; this reads
//! only the positions, from a YAML 1.2 event parser (JSON is YAML to it).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser};

/// Lines (1-based) of a declarative file's parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceLines {
    /// The line where each operation of `up` starts, in order.
    pub up: Vec<usize>,
    /// The line of each top-level key.
    pub keys: HashMap<String, usize>,
}

impl SourceLines {
    /// Reads the positions; a text the parser refuses part way gives what it found before.
    pub fn read(text: &str) -> SourceLines {
        let mut lines = SourceLines::default();
        // Depth 1 is inside the top-level mapping; `up`'s operations start at depth 2.
        let mut depth = 0usize;
        let mut expecting_key = true;
        let mut key: Option<String> = None;
        let mut in_up = false;
        for event in Parser::new_from_str(text) {
            let Ok((event, span)) = event else { break };
            let line = span.start.line();
            match event {
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    if depth == 1 {
                        in_up = key.as_deref() == Some("up") && matches!(event, Event::SequenceStart(..));
                    } else if depth == 2 && in_up {
                        lines.up.push(line);
                    }
                    depth += 1;
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    depth = depth.saturating_sub(1);
                    if depth == 1 {
                        expecting_key = true;
                        in_up = false;
                    }
                }
                Event::Scalar(..) | Event::Alias(..) if depth == 1 => {
                    if expecting_key {
                        if let Event::Scalar(name, ..) = &event {
                            lines.keys.entry(name.to_string()).or_insert(line);
                            key = Some(name.to_string());
                        }
                        expecting_key = false;
                    } else {
                        expecting_key = true;
                    }
                }
                Event::Scalar(..) | Event::Alias(..) if depth == 2 && in_up => lines.up.push(line),
                _ => {}
            }
        }
        lines
    }

    /// The line of operation `index` of `up`; 1 when it cannot be told.
    pub fn operation(&self, index: usize) -> usize {
        self.up.get(index).copied().unwrap_or(1)
    }

    /// The line of a top-level key; 1 when it cannot be told.
    pub fn key(&self, name: &str) -> usize {
        self.keys.get(name).copied().unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_and_keys_of_yaml() {
        let text = "# users\ndescription: x\nphase: contract\nup:\n  - createIndex: { collection: users, keys: { email: 1 } }\n\n  - removeField:\n      collection: users\n      field: legacy\nlintIgnore: [no-down]\ndown:\n  - dropIndex: { collection: users, name: email_1 }\n";
        let lines = SourceLines::read(text);
        assert_eq!(lines.up, [5, 7]);
        assert_eq!((lines.key("phase"), lines.key("lintIgnore"), lines.key("down")), (3, 10, 11));
        assert_eq!(lines.operation(5), 1);
    }

    #[test]
    fn operations_of_json() {
        let text = "{\n  \"lintIgnore\": [\"no-down\"],\n  \"up\": [\n    {\"dropCollection\": {\"collection\": \"a\"}},\n    {\"dropCollection\":\n      {\"collection\": \"b\"}}\n  ]\n}\n";
        let lines = SourceLines::read(text);
        assert_eq!(lines.up, [4, 5]);
        assert_eq!(lines.key("lintIgnore"), 2);
    }

    #[test]
    fn a_broken_text_gives_what_was_found() {
        assert_eq!(SourceLines::read("up:\n  - a: 1\n  - b: [\n").up, [2, 3]);
        assert_eq!(SourceLines::read("").up, Vec::<usize>::new());
    }
}
