//! Checksums of migration files: SHA-256 of the content with CRLF folded to LF, so a checkout on
//! Windows and one on Linux agree. A migration kept in two files (an up and a down file) has one
//! checksum over both, so an edited down file is drift too.

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `content` after folding `\r\n` to `\n`.
pub fn checksum(content: &[u8]) -> String {
    checksum_of_parts(&[content])
}

/// The checksum of an up file and its down file: the up file's own checksum when there is no
/// down file, so a migration that gains a down file changes its checksum.
pub fn checksum_with_down(up: &[u8], down: Option<&[u8]>) -> String {
    match down {
        None => checksum(up),
        Some(down) => checksum_of_parts(&[up, b"\0down\0", down]),
    }
}

fn checksum_of_parts(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for content in parts {
        fold_into(&mut hasher, content);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in hasher.finalize() {
        hex.push(HEX[usize::from(byte >> 4)] as char);
        hex.push(HEX[usize::from(byte & 0xf)] as char);
    }
    hex
}

/// Feeds `content` to the hasher with `\r\n` folded to `\n`.
fn fold_into(hasher: &mut Sha256, content: &[u8]) {
    let mut start = 0;
    for (index, pair) in content.windows(2).enumerate() {
        if pair == b"\r\n" {
            hasher.update(&content[start..index]);
            start = index + 1;
        }
    }
    hasher.update(&content[start..]);
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

    #[test]
    fn a_down_file_is_part_of_the_checksum() {
        assert_eq!(checksum_with_down(b"up", None), checksum(b"up"));
        let both = checksum_with_down(b"up\r\n", Some(b"down"));
        assert_eq!(both, checksum_with_down(b"up\n", Some(b"down")));
        assert_ne!(both, checksum_with_down(b"up\n", Some(b"down2")));
        assert_ne!(both, checksum(b"up\n"));
        assert_ne!(checksum_with_down(b"up", Some(b"")), checksum(b"up"), "an empty down file counts");
    }
}
