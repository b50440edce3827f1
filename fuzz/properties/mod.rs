//! The properties the fuzz targets check, shared with the test suite: `fuzz/fuzz_targets/*`
//! feed them libFuzzer's bytes, `tests/it/fuzz_regressions.rs` replays the minimised crashing
//! inputs through the same functions, and `tests/it/proptest_fuzz_properties.rs` feeds them
//! proptest's structured values. A property that does not hold panics, which is how libFuzzer
//! and proptest see a failure.
#![allow(dead_code)]

pub mod form;
pub mod link_header;
pub mod lookup;
pub mod odata_next_link;
pub mod parse_check;
pub mod signature;

/// Reads structured values out of a fuzzer's bytes. It never fails: past the end every read
/// gives zeros or empty text, so every byte string is some input.
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&first, rest)) => {
                self.data = rest;
                first
            }
            None => 0,
        }
    }

    pub fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// Eight bytes, little-endian (missing bytes are zero).
    pub fn u64(&mut self) -> u64 {
        let mut value = [0u8; 8];
        for slot in &mut value {
            *slot = self.byte();
        }
        u64::from_le_bytes(value)
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// A length byte, then that many bytes.
    pub fn chunk(&mut self) -> &'a [u8] {
        let n = usize::from(self.byte());
        self.take(n)
    }

    /// A chunk as text (invalid UTF-8 replaced).
    pub fn text(&mut self) -> String {
        String::from_utf8_lossy(self.chunk()).into_owned()
    }

    /// A length byte, then that many characters drawn from `alphabet`.
    pub fn text_from(&mut self, alphabet: &[char]) -> String {
        let n = usize::from(self.byte() % 24);
        (0..n)
            .map(|_| alphabet[usize::from(self.byte()) % alphabet.len()])
            .collect()
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}
