//! Counts in a server's reply (`n`, `nModified`): the server's word, read without trusting it.
//!
//! A count is an Int32, an Int64 or a Double depending on the server; a negative one (a bug or a
//! hostile server) is read as none rather than cast to nearly 2^64, which the sums of counts
//! would then overflow.

use bson::{Bson, Document};

/// The count `key` of `reply`: 0 when it is missing, negative or not a number.
pub fn reply_count(reply: &Document, key: &str) -> u64 {
    match reply.get(key) {
        Some(Bson::Int32(n)) => u64::try_from(*n).unwrap_or(0),
        Some(Bson::Int64(n)) => u64::try_from(*n).unwrap_or(0),
        // `as` saturates: NaN and negatives give 0, a huge value u64::MAX.
        Some(Bson::Double(n)) => *n as u64,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn counts_of_every_numeric_type_and_nonsense() {
        let reply = doc! { "a": 3, "b": 4i64, "c": 5.0, "d": -1, "e": i64::MIN, "f": -2.5, "g": f64::NAN, "h": "7" };
        let counts: Vec<u64> =
            ["a", "b", "c", "d", "e", "f", "g", "h", "missing"].map(|k| reply_count(&reply, k)).into();
        assert_eq!(counts, [3, 4, 5, 0, 0, 0, 0, 0, 0]);
    }
}
