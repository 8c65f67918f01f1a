//! The checksums other tools keep of the files they applied, computed the way each tool computes
//! them, so that an import can tell a file changed since the tool applied it.

use sha2::{Digest, Sha256, Sha384};

/// A checksum as another tool recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForeignChecksum {
    /// migrate-mongo's `fileHash`: lower-case hex SHA-256 of the file's bytes.
    Sha256Hex(String),
    /// sqlx's `checksum`: SHA-384 of the (up) file's bytes, here as hex.
    Sha384Hex(String),
    /// Flyway's `checksum`: CRC-32 of the file's lines, without their line ends and without a
    /// byte-order mark, as a signed 32-bit number.
    FlywayCrc32(i32),
}

impl ForeignChecksum {
    /// Whether `content` is the file the tool checksummed.
    pub fn matches(&self, content: &str) -> bool {
        match self {
            ForeignChecksum::Sha256Hex(hex) => hex.eq_ignore_ascii_case(&to_hex(&Sha256::digest(content.as_bytes()))),
            ForeignChecksum::Sha384Hex(hex) => hex.eq_ignore_ascii_case(&to_hex(&Sha384::digest(content.as_bytes()))),
            ForeignChecksum::FlywayCrc32(crc) => *crc == flyway_checksum(content),
        }
    }

    /// The checksum as a record keeps it when it is not the file's: the tool's kind and value.
    pub fn recorded_text(&self) -> String {
        match self {
            ForeignChecksum::Sha256Hex(hex) => format!("sha256:{}", hex.to_ascii_lowercase()),
            ForeignChecksum::Sha384Hex(hex) => format!("sha384:{}", hex.to_ascii_lowercase()),
            ForeignChecksum::FlywayCrc32(crc) => format!("flyway-crc32:{crc}"),
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Flyway's checksum of a SQL file: the CRC-32 of each line's UTF-8 bytes in turn, lines split as
/// Java's `BufferedReader.readLine` splits them (`\n`, `\r\n` or a lone `\r`), a leading BOM
/// dropped, so the same script checked out with other line ends has the same checksum.
pub fn flyway_checksum(content: &str) -> i32 {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut crc = Crc32::default();
    let mut rest = content;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        crc.update(&rest.as_bytes()[..end]);
        let tail = &rest[end..];
        rest = tail.strip_prefix("\r\n").or_else(|| tail.strip_prefix(['\n', '\r'])).unwrap_or(tail);
    }
    // Java keeps the CRC in an int: the same 32 bits, read as signed.
    crc.finish() as i32
}

/// CRC-32 (IEEE 802.3, as java.util.zip.CRC32), a bit at a time: files are small.
#[derive(Default)]
struct Crc32 {
    state: u32,
}

impl Crc32 {
    fn update(&mut self, bytes: &[u8]) {
        let mut crc = !self.state;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                let mask = (crc & 1).wrapping_neg();
                crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
            }
        }
        self.state = !crc;
    }

    fn finish(&self) -> u32 {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flyway_checksums_are_flyways() {
        // What Flyway 12 wrote into flyway_schema_history for these scripts.
        assert_eq!(flyway_checksum("CREATE TABLE a(id int);\n"), 1032505041);
        assert_eq!(flyway_checksum("CREATE TABLE b(id int);\n"), -692224558);
        assert_eq!(flyway_checksum("CREATE OR REPLACE VIEW va AS SELECT * FROM a;\n"), 382475791);
        // Line ends and a BOM do not count; the line breaks themselves do not either.
        assert_eq!(flyway_checksum("\u{feff}CREATE TABLE a(id int);\r\n"), 1032505041);
        assert_eq!(flyway_checksum("CREATE TABLE a(id int);"), 1032505041);
        assert_eq!(flyway_checksum("a\r\nb"), flyway_checksum("a\rb"));
        assert_ne!(flyway_checksum("a\nb"), flyway_checksum("a\nc"));
    }

    #[test]
    fn crc32_is_the_standard_one() {
        let mut crc = Crc32::default();
        crc.update(b"123456789");
        assert_eq!(crc.finish(), 0xCBF4_3926);
    }

    #[test]
    fn hashes_match_their_content_only() {
        let sha256 = ForeignChecksum::Sha256Hex(to_hex(&Sha256::digest(b"a")));
        assert!(sha256.matches("a"));
        assert!(!sha256.matches("b"));
        let sha384 = ForeignChecksum::Sha384Hex(to_hex(&Sha384::digest(b"a")).to_uppercase());
        assert!(sha384.matches("a"), "SQLite's hex() is upper case");
        assert!(!sha384.matches("a\n"));
        assert!(ForeignChecksum::FlywayCrc32(1032505041).matches("CREATE TABLE a(id int);\n"));
    }
}
