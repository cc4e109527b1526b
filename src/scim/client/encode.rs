//! Query encoding as Entra sends it (`application/x-www-form-urlencoded`: space as `+`, `"` as `%22`).

/// Form-encodes query parameters the way Entra does: space as `+`, everything but `A-Za-z0-9-._*`
/// percent-encoded (`"` → `%22`, `@` → `%40`).
pub fn encode_query(params: &[(String, String)]) -> String {
    // Room for every part unescaped and a few escapes: every query is encoded, growing costs a copy each time.
    let mut out = String::with_capacity(params.iter().map(|(k, v)| k.len() + v.len() + 8).sum());
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_form_encoded(&mut out, k);
        out.push('=');
        push_form_encoded(&mut out, v);
    }
    out
}

/// Form-encodes one component (`application/x-www-form-urlencoded`).
pub fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_form_encoded(&mut out, text);
    out
}

/// [`form_encode`] onto the end of `out` (every request's query is encoded: no text is allocated per byte).
fn push_form_encoded(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(byte as char),
            b' ' => out.push('+'),
            other => {
                out.push('%');
                out.push(HEX[usize::from(other >> 4)] as char);
                out.push(HEX[usize::from(other & 0xF)] as char);
            }
        }
    }
}

/// Decodes a form-encoded component (`+` → space, `%XX` → byte); malformed escapes are kept as text.
pub fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                // Exactly two hex digits; anything else (`%4`, `%zz`, `%+1`) stays as text.
                let digit = |at: usize| bytes.get(at).and_then(|&d| char::from(d).to_digit(16));
                match (digit(i + 1), digit(i + 2)) {
                    (Some(high), Some(low)) => {
                        out.push(u8::try_from(high * 16 + low).unwrap_or(b'%'));
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    // Valid UTF-8 (the usual case) becomes the string without a copy.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends `text` form-decoded to `out` (see [`form_decode`]); text with nothing to decode is appended as
/// it is.
pub(crate) fn push_form_decoded(out: &mut String, text: &str) {
    if text.bytes().any(|b| b == b'+' || b == b'%') {
        out.push_str(&form_decode(text));
    } else {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_takes_two_hex_digits_and_keeps_anything_else() {
        assert_eq!(form_decode("userName+eq+%22a%40b%22"), "userName eq \"a@b\"");
        assert_eq!(form_decode("%+1%zz%4"), "% 1%zz%4", "a sign is not a digit; the + is a space");
        assert_eq!(form_decode("%e2%82%ac"), "€");
    }
}
