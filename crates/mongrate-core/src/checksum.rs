//! Checksums of migration files: SHA-256 of the content with CRLF folded to LF, so a checkout on
//! Windows and one on Linux agree.

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `content` after folding `\r\n` to `\n`.
pub fn checksum(content: &[u8]) -> String {
    let mut hasher = Sha256::new();
    let mut start = 0;
    for (index, pair) in content.windows(2).enumerate() {
        if pair == b"\r\n" {
            hasher.update(&content[start..index]);
            start = index + 1;
        }
    }
    hasher.update(&content[start..]);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in hasher.finalize() {
        hex.push(HEX[usize::from(byte >> 4)] as char);
        hex.push(HEX[usize::from(byte & 0xf)] as char);
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest() {
        assert_eq!(checksum(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn crlf_and_lf_agree() {
        assert_eq!(checksum(b"a\r\nb\r\n"), checksum(b"a\nb\n"));
        assert_ne!(checksum(b"a\rb"), checksum(b"a\nb"));
        assert_ne!(checksum(b"a\nb"), checksum(b"a\nc"));
    }
}
