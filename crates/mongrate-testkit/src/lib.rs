//! Test support for the property tests of mongrate's crates: valid examples (a real migration
//! file, a real `mongrate.toml`) mutated by random insertions, deletions, swaps and duplications,
//! so that the parsers meet input that is nearly right as well as input that is plain noise.
//!
//! Edits work on characters, not bytes: every parser reads text that is already known to be
//! UTF-8 (a file that is not is refused before any parser sees it).

pub mod test_servers;

use proptest::prelude::*;

/// One random edit of a text. Positions are taken modulo the text's length at that point, so
/// any number is a position and shrinking moves edits towards the start.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, String),
    Delete(usize, usize),
    Swap(usize, usize),
    /// Copies a run of characters elsewhere (a second section, a repeated key).
    Duplicate(usize, usize, usize),
}

/// Characters that mean something to at least one parser, and a few that mean nothing to any.
#[rustfmt::skip]
const SPECIAL: &[char] = &[
    '\n', '\r', '\t', ' ', ';', '\'', '"', '`', '$', '-', '/', '*', '{', '}', '[', ']', '(', ')', ':', ',', '#', '=',
    '\\', '@', '?', '&', '%', '.', '_', '0', '9', 'E', 'é', '€', '😀', '\u{0}', '\u{feff}',
];

/// Text to insert: one of the caller's tokens, a special character or any character.
fn insertion(tokens: &'static [&'static str]) -> BoxedStrategy<String> {
    let special = proptest::sample::select(SPECIAL).prop_map(String::from);
    let any_char = any::<char>().prop_map(String::from);
    if tokens.is_empty() {
        return prop_oneof![special, any_char].boxed();
    }
    let token = proptest::sample::select(tokens).prop_map(str::to_owned);
    prop_oneof![3 => token, 2 => special, 1 => any_char].boxed()
}

fn edit(tokens: &'static [&'static str]) -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), insertion(tokens)).prop_map(|(at, text)| Edit::Insert(at, text)),
        2 => (any::<usize>(), 1..12usize).prop_map(|(at, len)| Edit::Delete(at, len)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        1 => (any::<usize>(), 1..40usize, any::<usize>()).prop_map(|(from, len, to)| Edit::Duplicate(from, len, to)),
    ]
}

fn apply(example: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = example.chars().collect();
    for edit in edits {
        // Positions are taken in the text as it is after the previous edits; an empty text only
        // takes insertions.
        let len = chars.len();
        match edit {
            Edit::Insert(at, text) => {
                let at = at % (len + 1);
                chars.splice(at..at, text.chars());
            }
            Edit::Delete(at, count) if len > 0 => {
                let at = at % len;
                chars.drain(at..at.saturating_add(*count).min(len));
            }
            Edit::Swap(a, b) if len > 0 => chars.swap(a % len, b % len),
            Edit::Duplicate(from, count, to) if len > 0 => {
                let from = from % len;
                let run: Vec<char> = chars[from..from.saturating_add(*count).min(len)].to_vec();
                let to = to % (len + 1);
                chars.splice(to..to, run);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// `example` with one to eight random edits; insertions favour `tokens` (the syntax of the
/// format: `-- mongrate:up`, `${`, `$oid`, …).
pub fn mutated(example: &'static str, tokens: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::collection::vec(edit(tokens), 1..8).prop_map(move |edits| apply(example, &edits))
}

/// Any text made of the tokens, special characters and arbitrary characters: noise that still
/// looks a little like the format.
pub fn noise(tokens: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::collection::vec(insertion(tokens), 0..40).prop_map(|parts| parts.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_stay_within_the_text() {
        assert_eq!(apply("abc", &[Edit::Insert(7, "X".into())]), "abcX");
        assert_eq!(apply("", &[Edit::Delete(3, 5), Edit::Swap(0, 1)]), "");
        assert_eq!(apply("héllo", &[Edit::Delete(9, usize::MAX)]), "héll");
        assert_eq!(apply("ab", &[Edit::Duplicate(0, 40, 0)]), "abab");
        assert_eq!(apply("ab", &[Edit::Swap(0, 1)]), "ba");
    }
}
