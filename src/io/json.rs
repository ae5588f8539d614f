//! A minimal, allocation-free JSON scanner for safetensors headers: it walks
//! objects, arrays, strings and unsigned integers in place, and skips any
//! other value. Nesting is bounded so hostile input cannot exhaust the stack.

use super::errors::{EntryProblem, HeaderProblem, SafetensorsError};

/// Deepest nesting accepted when skipping unknown values.
const MAX_DEPTH: usize = 16;

/// A cursor over header bytes.
pub(crate) struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// A JSON string as it appears in the header (escapes not yet decoded).
#[derive(Clone, Copy, Debug)]
pub struct JsonStr<'a> {
    raw: &'a [u8],
}

type Res<T> = Result<T, SafetensorsError>;

impl<'a> Scanner<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Scanner { bytes, pos: 0 }
    }

    pub(crate) fn error(&self) -> SafetensorsError {
        self.problem(HeaderProblem::Syntax)
    }

    /// An error at the cursor.
    pub(crate) fn problem(&self, problem: HeaderProblem) -> SafetensorsError {
        SafetensorsError::InvalidHeader {
            offset: self.pos,
            problem,
        }
    }

    /// The cursor (a byte offset into the header).
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// A cursor at `pos` of the same bytes.
    pub(crate) fn at(&self, pos: usize) -> Self {
        Scanner { bytes: self.bytes, pos }
    }

    /// The next non-blank byte, not consumed.
    pub(crate) fn next_byte(&mut self) -> Option<u8> {
        self.peek()
    }

    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes `b` (after white space) or fails.
    pub(crate) fn expect(&mut self, b: u8) -> Res<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// Consumes `b` if it is next; tells whether it was.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Only white space remains.
    pub(crate) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// A string, returned raw (its escapes are checked, not decoded).
    pub(crate) fn string(&mut self) -> Res<JsonStr<'a>> {
        self.expect(b'"')?;
        let start = self.pos;
        loop {
            match self.bytes.get(self.pos) {
                None => return Err(self.error()),
                Some(b'"') => break,
                Some(b'\\') => {
                    let esc = self.bytes.get(self.pos + 1).copied();
                    self.pos += match esc {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => 2,
                        Some(b'u') if self.hex4(self.pos + 2).is_some() => 6,
                        _ => return Err(self.error()),
                    };
                }
                Some(&c) if c < 0x20 => return Err(self.error()),
                Some(_) => self.pos += 1,
            }
        }
        let raw = self.bytes.get(start..self.pos).ok_or(self.error())?;
        self.pos += 1;
        core::str::from_utf8(raw).map_err(|_| self.error())?;
        Ok(JsonStr { raw })
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.bytes.get(at..at + 4)?;
        digits
            .iter()
            .try_fold(0u32, |acc, &d| Some(acc * 16 + (d as char).to_digit(16)?))
    }

    /// An unsigned integer without sign, fraction or exponent.
    pub(crate) fn unsigned(&mut self) -> Res<u64> {
        self.peek();
        let start = self.pos;
        let mut v: u64 = 0;
        while let Some(d) = self.bytes.get(self.pos).and_then(|&b| (b as char).to_digit(10)) {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d)))
                .ok_or(self.error())?;
            self.pos += 1;
        }
        let digits = self.pos - start;
        let leading_zero = digits > 1 && self.bytes.get(start) == Some(&b'0');
        if digits == 0 || leading_zero || matches!(self.bytes.get(self.pos), Some(b'.' | b'e' | b'E')) {
            return Err(self.error());
        }
        Ok(v)
    }

    /// An unsigned integer, or why the value there is not one (`what` names
    /// the value in the problem: "a dimension", "an offset"); a value that is
    /// not a number at all is a syntax error.
    pub(crate) fn unsigned_or(&mut self, what: &'static str) -> Result<u64, Result<EntryProblem, SafetensorsError>> {
        let start = self.pos;
        if let Ok(v) = self.unsigned() {
            return Ok(v);
        }
        self.pos = start;
        self.peek();
        let first = self.bytes.get(self.pos).copied();
        let number = first.is_some_and(|c| c.is_ascii_digit() || c == b'-');
        if !number {
            return Err(Err(self.error()));
        }
        let probe = self.pos;
        if self.skip_scalar().is_err() {
            return Err(Err(self.error()));
        }
        let text = self.bytes.get(probe..self.pos).unwrap_or(&[]);
        Err(Ok(
            if first == Some(b'-') && text.iter().any(|c| (b'1'..=b'9').contains(c)) {
                EntryProblem::Negative(what)
            } else if text.iter().any(|c| matches!(c, b'.' | b'e' | b'E')) {
                EntryProblem::NotAnInteger(what)
            } else if first == Some(b'-') {
                EntryProblem::Negative(what)
            } else if text.len() > 1 && text.first() == Some(&b'0') {
                return Err(Err(self.at(probe).error()));
            } else {
                EntryProblem::TooLarge(what)
            },
        ))
    }

    /// Skips any value.
    pub(crate) fn skip_value(&mut self) -> Res<()> {
        self.skip_nested(0)
    }

    fn skip_nested(&mut self, depth: usize) -> Res<()> {
        if depth > MAX_DEPTH {
            return Err(self.problem(HeaderProblem::TooDeep { limit: MAX_DEPTH }));
        }
        match self.peek() {
            Some(b'"') => self.string().map(|_| ()),
            Some(open @ (b'{' | b'[')) => {
                self.pos += 1;
                let close = if open == b'{' { b'}' } else { b']' };
                if self.eat(close) {
                    return Ok(());
                }
                loop {
                    if open == b'{' {
                        self.string()?;
                        self.expect(b':')?;
                    }
                    self.skip_nested(depth + 1)?;
                    if self.eat(close) {
                        return Ok(());
                    }
                    self.expect(b',')?;
                }
            }
            Some(_) => self.skip_scalar(),
            None => Err(self.error()),
        }
    }

    fn skip_scalar(&mut self) -> Res<()> {
        let start = self.pos;
        while let Some(&b) = self.bytes.get(self.pos) {
            if !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')) {
                break;
            }
            self.pos += 1;
        }
        let word = self.bytes.get(start..self.pos).unwrap_or(&[]);
        let number = word.first().is_some_and(|c| c.is_ascii_digit() || *c == b'-');
        if matches!(word, b"true" | b"false" | b"null") || number {
            Ok(())
        } else {
            Err(self.error())
        }
    }
}

impl<'a> JsonStr<'a> {
    /// Whether the decoded string equals `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        let mut want = s.chars();
        let mut got = Decoder { raw: self.raw, pos: 0 };
        loop {
            match (got.next(), want.next()) {
                (None, None) => return true,
                (Some(a), Some(b)) if a == b => {}
                _ => return false,
            }
        }
    }

    /// The decoded characters (a lone surrogate decodes to U+FFFD).
    pub fn chars(&self) -> impl Iterator<Item = char> + 'a {
        Decoder { raw: self.raw, pos: 0 }
    }

    /// The raw text between the quotes (escapes not decoded).
    pub fn raw(&self) -> &'a str {
        core::str::from_utf8(self.raw).unwrap_or("")
    }
}

impl core::fmt::Display for JsonStr<'_> {
    /// The decoded string.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.chars().try_for_each(|c| core::fmt::Write::write_char(f, c))
    }
}

/// Decodes a checked JSON string's characters (a lone surrogate decodes to U+FFFD).
struct Decoder<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl Iterator for Decoder<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let rest = core::str::from_utf8(self.raw.get(self.pos..)?).ok()?;
        let c = rest.chars().next()?;
        if c != '\\' {
            self.pos += c.len_utf8();
            return Some(c);
        }
        let e = *self.raw.get(self.pos + 1)?;
        self.pos += 2;
        Some(match e {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex = core::str::from_utf8(self.raw.get(self.pos..self.pos + 4)?).ok()?;
                self.pos += 4;
                char::from_u32(u32::from_str_radix(hex, 16).ok()?).unwrap_or('\u{fffd}')
            }
            other => other as char,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_numbers_and_skips() {
        let mut s = Scanner::new(br#" "a\"b\u0041" 123 {"x":[1,-2.5e3,true,null,{"y":"z"}]} "#);
        assert!(s.string().unwrap().eq_str("a\"bA"));
        assert_eq!(s.unsigned().unwrap(), 123);
        s.skip_value().unwrap();
        assert!(s.at_end());
    }

    #[test]
    fn rejects_bad_input() {
        assert!(Scanner::new(b"\"abc").string().is_err());
        assert!(Scanner::new(b"01").unsigned().is_err());
        assert!(Scanner::new(b"1.5").unsigned().is_err());
        assert!(Scanner::new(b"99999999999999999999999").unsigned().is_err());
        assert!(
            Scanner::new(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")
                .skip_value()
                .is_err()
        );
        assert!(Scanner::new(b"nope").skip_value().is_err());
    }
}
