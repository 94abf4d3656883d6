//! gzip (RFC 1952) and DEFLATE (RFC 1951) decoding, for Helm release records only.
//!
//! Helm stores each release as gzip-compressed JSON; this is the one place dusk needs to
//! decompress, so a small bounded decoder lives here instead of a dependency. It takes
//! untrusted bytes from the cluster: output is capped (a gzip bomb is an error, not an
//! exhausted machine), every read is bounds-checked, and the CRC-32 is verified.
//! Never panics on any input.

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InflateError(pub &'static str);

type Result<T> = std::result::Result<T, InflateError>;

/// Decompress one gzip member, producing at most `max_out` bytes.
pub fn gunzip(data: &[u8], max_out: usize) -> Result<Vec<u8>> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    if data.len() < 18 || data[0] != 0x1f || data[1] != 0x8b {
        return Err(InflateError("not gzip data"));
    }
    if data[2] != 8 {
        return Err(InflateError("unknown gzip compression method"));
    }
    let flags = data[3];
    let mut pos = 10;
    if flags & FEXTRA != 0 {
        let len = usize::from(u16::from_le_bytes([
            *data.get(pos).ok_or(InflateError("truncated gzip header"))?,
            *data
                .get(pos + 1)
                .ok_or(InflateError("truncated gzip header"))?,
        ]));
        pos += 2 + len;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = data
                .get(pos..)
                .and_then(|rest| rest.iter().position(|&b| b == 0))
                .ok_or(InflateError("truncated gzip header"))?;
            pos += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        pos += 2;
    }
    let body = data
        .get(pos..)
        .ok_or(InflateError("truncated gzip header"))?;
    let (out, used) = inflate(body, max_out)?;
    let trailer = body
        .get(used..used + 8)
        .ok_or(InflateError("truncated gzip trailer"))?;
    let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    if crc != crc32(&out) {
        return Err(InflateError("gzip checksum mismatch"));
    }
    Ok(out)
}

/// CRC-32 (IEEE), bit by bit: release records are small, and a table buys nothing here.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & 0u32.wrapping_sub(crc & 1));
        }
    }
    !crc
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
    nbits: u32,
}

impl Bits<'_> {
    fn need(&mut self, n: u32) -> Result<u32> {
        while self.nbits < n {
            let byte = *self
                .data
                .get(self.pos)
                .ok_or(InflateError("truncated deflate data"))?;
            self.pos += 1;
            self.bit |= u32::from(byte) << self.nbits;
            self.nbits += 8;
        }
        let v = self.bit & ((1u32 << n) - 1);
        self.bit >>= n;
        self.nbits -= n;
        Ok(v)
    }

    /// Drop the bits left in the current byte (before a stored block).
    fn align(&mut self) {
        self.bit = 0;
        self.nbits = 0;
    }
}

/// A canonical Huffman code: how many codes of each length, and the symbols in order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Result<Huffman> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[usize::from(l)] += 1;
        }
        counts[0] = 0;
        let mut left: i32 = 1;
        for &c in &counts[1..] {
            left = (left << 1) - i32::from(c);
            if left < 0 {
                return Err(InflateError("invalid Huffman code lengths"));
            }
        }
        let mut offsets = [0u16; 16];
        for len in 1..15 {
            offsets[len + 1] = offsets[len] + counts[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (symbol, &l) in lengths.iter().enumerate() {
            if l != 0 {
                let slot = &mut offsets[usize::from(l)];
                symbols[usize::from(*slot)] = symbol as u16;
                *slot += 1;
            }
        }
        Ok(Huffman { counts, symbols })
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.need(1)? as i32;
            let count = i32::from(self.counts[len]);
            if code - first < count {
                return self
                    .symbols
                    .get((index + code - first) as usize)
                    .copied()
                    .ok_or(InflateError("invalid Huffman code"));
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err(InflateError("invalid Huffman code"))
    }
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// Decode a raw DEFLATE stream; returns the output and the bytes of `data` it used.
pub fn inflate(data: &[u8], max_out: usize) -> Result<(Vec<u8>, usize)> {
    let mut bits = Bits {
        data,
        pos: 0,
        bit: 0,
        nbits: 0,
    };
    let mut out = Vec::new();
    loop {
        let last = bits.need(1)? == 1;
        match bits.need(2)? {
            0 => stored(&mut bits, &mut out, max_out)?,
            1 => {
                let (lit, dist) = fixed_codes()?;
                codes(&mut bits, &mut out, &lit, &dist, max_out)?;
            }
            2 => {
                let (lit, dist) = dynamic_codes(&mut bits)?;
                codes(&mut bits, &mut out, &lit, &dist, max_out)?;
            }
            _ => return Err(InflateError("invalid deflate block type")),
        }
        if last {
            return Ok((out, bits.pos));
        }
    }
}

fn stored(bits: &mut Bits<'_>, out: &mut Vec<u8>, max_out: usize) -> Result<()> {
    bits.align();
    let header = bits
        .data
        .get(bits.pos..bits.pos + 4)
        .ok_or(InflateError("truncated stored block"))?;
    let len = u16::from_le_bytes([header[0], header[1]]);
    let nlen = u16::from_le_bytes([header[2], header[3]]);
    if len != !nlen {
        return Err(InflateError("corrupt stored block length"));
    }
    bits.pos += 4;
    let block = bits
        .data
        .get(bits.pos..bits.pos + usize::from(len))
        .ok_or(InflateError("truncated stored block"))?;
    if out.len() + block.len() > max_out {
        return Err(InflateError("decompressed data exceeds the size limit"));
    }
    out.extend_from_slice(block);
    bits.pos += usize::from(len);
    Ok(())
}

fn fixed_codes() -> Result<(Huffman, Huffman)> {
    let mut lengths = [0u8; 288];
    lengths[..144].fill(8);
    lengths[144..256].fill(9);
    lengths[256..280].fill(7);
    lengths[280..].fill(8);
    Ok((Huffman::new(&lengths)?, Huffman::new(&[5u8; 30])?))
}

fn dynamic_codes(bits: &mut Bits<'_>) -> Result<(Huffman, Huffman)> {
    const ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    let nlen = bits.need(5)? as usize + 257;
    let ndist = bits.need(5)? as usize + 1;
    let ncode = bits.need(4)? as usize + 4;
    if nlen > 286 || ndist > 30 {
        return Err(InflateError("invalid dynamic block header"));
    }
    let mut code_lengths = [0u8; 19];
    for &slot in &ORDER[..ncode] {
        code_lengths[slot] = bits.need(3)? as u8;
    }
    let code = Huffman::new(&code_lengths)?;
    let mut lengths = vec![0u8; nlen + ndist];
    let mut i = 0;
    while i < lengths.len() {
        let symbol = code.decode(bits)?;
        let (value, repeat) = match symbol {
            0..=15 => (symbol as u8, 1),
            16 => {
                let prev = *i
                    .checked_sub(1)
                    .and_then(|p| lengths.get(p))
                    .ok_or(InflateError("repeat with no previous length"))?;
                (prev, 3 + bits.need(2)? as usize)
            }
            17 => (0, 3 + bits.need(3)? as usize),
            _ => (0, 11 + bits.need(7)? as usize),
        };
        let end = i + repeat;
        if end > lengths.len() {
            return Err(InflateError("too many code lengths"));
        }
        lengths[i..end].fill(value);
        i = end;
    }
    if lengths[256] == 0 {
        return Err(InflateError("no end-of-block code"));
    }
    Ok((
        Huffman::new(&lengths[..nlen])?,
        Huffman::new(&lengths[nlen..])?,
    ))
}

fn codes(
    bits: &mut Bits<'_>,
    out: &mut Vec<u8>,
    lit: &Huffman,
    dist: &Huffman,
    max_out: usize,
) -> Result<()> {
    loop {
        let symbol = usize::from(lit.decode(bits)?);
        if symbol < 256 {
            if out.len() >= max_out {
                return Err(InflateError("decompressed data exceeds the size limit"));
            }
            out.push(symbol as u8);
            continue;
        }
        if symbol == 256 {
            return Ok(());
        }
        let s = symbol - 257;
        let (Some(&base), Some(&extra)) = (LEN_BASE.get(s), LEN_EXTRA.get(s)) else {
            return Err(InflateError("invalid length code"));
        };
        let len = usize::from(base) + bits.need(u32::from(extra))? as usize;
        let d = usize::from(dist.decode(bits)?);
        let (Some(&base), Some(&extra)) = (DIST_BASE.get(d), DIST_EXTRA.get(d)) else {
            return Err(InflateError("invalid distance code"));
        };
        let distance = usize::from(base) + bits.need(u32::from(extra))? as usize;
        if distance > out.len() {
            return Err(InflateError("distance before the start of the data"));
        }
        if out.len() + len > max_out {
            return Err(InflateError("decompressed data exceeds the size limit"));
        }
        let start = out.len() - distance;
        for k in 0..len {
            let b = out[start + k];
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `printf 'hello hello hello hello\n' | gzip -9n`: fixed Huffman codes with a match.
    const HELLO: &[u8] = &[
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9,
        0x57, 0xc8, 0x40, 0x27, 0xb9, 0x00, 0x00, 0x88, 0x59, 0x0b, 0x18, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn fixed_huffman_member_decodes() {
        assert_eq!(
            gunzip(HELLO, 1024).unwrap(),
            b"hello hello hello hello\n".to_vec()
        );
    }

    #[test]
    fn corruption_and_bombs_are_errors_not_panics() {
        let mut bad = HELLO.to_vec();
        bad[12] ^= 0xff;
        assert!(gunzip(&bad, 1024).is_err());
        assert_eq!(
            gunzip(HELLO, 5).unwrap_err().0,
            "decompressed data exceeds the size limit"
        );
        for cut in 0..HELLO.len() {
            assert!(gunzip(&HELLO[..cut], 1024).is_err());
        }
        assert!(gunzip(b"{\"not\": \"gzip\"}", 1024).is_err());
    }

    #[test]
    fn stored_block_decodes() {
        // BFINAL=1, BTYPE=00, LEN=3, NLEN=!3, "abc".
        let raw = [0x01, 0x03, 0x00, 0xfc, 0xff, b'a', b'b', b'c'];
        assert_eq!(inflate(&raw, 10).unwrap(), (b"abc".to_vec(), 8));
    }

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
