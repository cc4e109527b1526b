//! String and multi-value functions: `Append`, `Join`, `Left`, `Mid`, `Word`, `InStr`, `Replace`, `Split`,
//! `PCase`, `ToLower`/`ToUpper`, `NormalizeDiacritics`, the encodings, `Item` and `RemoveDuplicates`.

use base64::Engine as _;
use regex::Regex;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::Cx;
use crate::mapping::eval::EvalError;
use crate::mapping::value::Value;

/// Applies `f` to the text of a single value, or to each element of a multi-value; `Null` stays `Null`.
pub(super) fn map_text(v: &Value, f: impl Fn(&str) -> String + Copy) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Multi(items) => Value::Multi(items.iter().map(|i| map_text(i, f)).collect()),
        other => Value::Str(f(&other.to_text().unwrap_or_default())),
    }
}

pub(super) fn append(source: &Value, suffix: &Value) -> Result<Value, EvalError> {
    let suffix = suffix.to_text().unwrap_or_default();
    Ok(map_text(source, |s| format!("{s}{suffix}")))
}

pub(super) fn append_before(prefix: &Value, source: &Value) -> Result<Value, EvalError> {
    let prefix = prefix.to_text().unwrap_or_default();
    Ok(map_text(source, |s| format!("{prefix}{s}")))
}

/// Joins every non-empty source (multi-values expanded) with the separator; `Null` when nothing is left.
pub(super) fn join(separator: &Value, sources: &[Value]) -> Value {
    fn flatten(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Multi(items) => items.iter().for_each(|i| flatten(i, out)),
            other => {
                if let Some(t) = other.to_text().filter(|t| !t.is_empty()) {
                    out.push(t);
                }
            }
        }
    }
    let mut parts = Vec::new();
    sources.iter().for_each(|s| flatten(s, &mut parts));
    if parts.is_empty() {
        return Value::Null;
    }
    Value::Str(parts.join(&separator.to_text().unwrap_or_default()))
}

pub(super) fn left(cx: &Cx, source: &Value, n: &Value) -> Result<Value, EvalError> {
    let n = cx.int(n, "NumChars")?;
    let take = |s: &str| if n < 0 { s.to_string() } else { s.chars().take(n as usize).collect() };
    Ok(match source {
        Value::Multi(_) => map_text(source, take),
        other => Value::Str(take(&other.to_text().unwrap_or_default())),
    })
}

pub(super) fn mid(cx: &Cx, source: &Value, start: &Value, length: &Value) -> Result<Value, EvalError> {
    let start = cx.int(start, "start")?;
    let length = cx.int(length, "length")?;
    if start < 1 {
        return Err(cx.err(format_args!("`start` is 1-based, got {start}")));
    }
    if length < 0 {
        return Err(cx.err(format_args!("`length` must not be negative, got {length}")));
    }
    Ok(map_text(source, |s| s.chars().skip(start as usize - 1).take(length as usize).collect()))
}

pub(super) fn word(cx: &Cx, source: &Value, number: &Value, delimiters: &Value) -> Result<Value, EvalError> {
    let n = cx.int(number, "WordNumber")?;
    let delims: Vec<char> = delimiters.to_text().unwrap_or_default().chars().collect();
    let pick = |s: &str| {
        let w =
            if n < 1 { None } else { s.split(|c| delims.contains(&c)).filter(|w| !w.is_empty()).nth(n as usize - 1) };
        w.unwrap_or("").to_string()
    };
    Ok(match source {
        Value::Multi(_) => map_text(source, pick),
        other => Value::Str(pick(&other.to_text().unwrap_or_default())),
    })
}

pub(super) fn instr(cx: &Cx, hay: &Value, needle: &Value, start: &Value, compare: &Value) -> Result<Value, EvalError> {
    let Some(hay) = hay.to_text() else { return Ok(Value::Null) };
    let needle = needle.to_text().unwrap_or_default();
    let start = cx.opt_int(start, "start")?.unwrap_or(1);
    if start < 1 {
        return Err(cx.err(format_args!("`start` is 1-based, got {start}")));
    }
    let text_compare = cx.opt_int(compare, "compareType")?.unwrap_or(0) == 1;
    let fold = |s: &str| if text_compare { s.to_lowercase() } else { s.to_string() };
    let chars: Vec<char> = hay.chars().collect();
    let needle: Vec<char> = fold(&needle).chars().collect();
    let hay: Vec<char> = fold(&chars.iter().collect::<String>()).chars().collect();
    let from = start as usize - 1;
    if needle.is_empty() {
        return Ok(Value::Int(if from <= hay.len() { start } else { 0 }));
    }
    let pos = (from..hay.len()).find(|&i| hay[i..].starts_with(&needle));
    Ok(Value::Int(pos.map_or(0, |p| p as i64 + 1)))
}

pub(super) fn item(cx: &Cx, source: &Value, index: &Value) -> Result<Value, EvalError> {
    let i = cx.int(index, "index")?;
    if i < 1 {
        return Err(cx.err(format_args!("`index` is 1-based, got {i}")));
    }
    Ok(match source {
        Value::Multi(items) => items.get(i as usize - 1).cloned().unwrap_or(Value::Null),
        Value::Null => Value::Null,
        single if i == 1 => single.clone(),
        _ => Value::Null,
    })
}

pub(super) fn remove_duplicates(source: Value) -> Value {
    match source {
        Value::Multi(items) => {
            let mut out: Vec<Value> = Vec::with_capacity(items.len());
            for i in items {
                if !out.contains(&i) {
                    out.push(i);
                }
            }
            Value::Multi(out)
        }
        other => other,
    }
}

/// Splits on the delimiter string; elements are trimmed (the documented example drops the blank after
/// each comma, see `docs/mapping-notes.md`).
pub(super) fn split(source: &Value, delimiter: &Value) -> Value {
    let Some(s) = source.to_text() else { return Value::Null };
    let d = delimiter.to_text().unwrap_or_default();
    if d.is_empty() {
        return Value::Multi(vec![Value::Str(s)]);
    }
    Value::Multi(s.split(d.as_str()).map(|p| Value::Str(p.trim().to_string())).collect())
}

pub(super) fn change_case(source: &Value, culture: &Value, upper: bool) -> Value {
    let turkic = culture.to_text().is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c == "tr" || c.starts_with("tr-") || c == "az" || c.starts_with("az-")
    });
    map_text(source, |s| match (upper, turkic) {
        (true, true) => s.replace('i', "İ").to_uppercase(),
        (false, true) => s.replace('I', "ı").replace('İ', "i").to_lowercase(),
        (true, false) => s.to_uppercase(),
        (false, false) => s.to_lowercase(),
    })
}

/// Title case: the first letter of each word upper, the rest lower. Without explicit separators every
/// character that is not a letter, digit or combining mark separates words (.NET `ToTitleCase`'s
/// categories).
pub(super) fn pcase(source: &Value, separators: &Value) -> Value {
    let seps: Option<Vec<char>> = separators.to_text().filter(|s| !s.is_empty()).map(|s| s.chars().collect());
    map_text(source, |s| {
        let mut out = String::with_capacity(s.len());
        let mut at_start = true;
        for c in s.chars() {
            let is_sep = match &seps {
                Some(seps) => seps.contains(&c),
                None => !(c.is_alphanumeric() || is_combining_mark(c)),
            };
            if is_sep {
                out.push(c);
                at_start = true;
            } else if at_start {
                out.extend(c.to_uppercase());
                at_start = false;
            } else {
                out.extend(c.to_lowercase());
            }
        }
        out
    })
}

pub(super) fn normalize_diacritics(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'æ' | 'ǣ' => out.push_str("ae"),
            'Æ' | 'Ǣ' => out.push_str("AE"),
            'ø' | 'œ' => out.push_str("oe"),
            'Ø' | 'Œ' => out.push_str("OE"),
            'ß' => out.push_str("ss"),
            'ł' => out.push('l'),
            'Ł' => out.push('L'),
            'ı' => out.push('i'),
            'đ' => out.push('d'),
            'Đ' => out.push('D'),
            other => out.extend(other.to_string().nfd().filter(|c| !is_combining_mark(*c))),
        }
    }
    out
}

pub(super) fn base64_utf16(s: &str) -> String {
    let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(super) fn utf8_hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02X}")).collect()
}

/// `Replace(source, oldValue, regexPattern, regexGroupName, replacementValue, replacementAttributeName,
/// template)`: the mode is chosen by which arguments are present (an empty string counts as present).
pub(super) fn replace(cx: &Cx, args: &[Value]) -> Result<Value, EvalError> {
    let a = |i: usize| args.get(i).and_then(|v| v.to_text());
    let (source, old, pattern, group, replacement, replacement_attr, template) =
        (a(0), a(1), a(2), a(3), a(4), a(5), a(6));
    if let Some(pattern) = pattern {
        let re =
            Regex::new(&pattern).map_err(|e| cx.err(format_args!("invalid or unsupported regex `{pattern}`: {e}")))?;
        if let (Some(group), Some(other)) = (&group, &replacement_attr) {
            if source.as_deref().is_some_and(|s| !s.is_empty()) {
                return Ok(args[0].clone());
            }
            let found = re.captures(other).and_then(|c| c.name(group)).map(|m| m.as_str().to_string());
            return Ok(found.map_or(Value::Null, Value::Str));
        }
        let replacement = replacement.ok_or_else(|| cx.err("a `regexPattern` needs a `replacementValue`"))?;
        return Ok(match group {
            Some(group) => map_text(&args[0], |s| replace_group(&re, s, &group, &replacement)),
            None => map_text(&args[0], |s| re.replace_all(s, replacement.as_str()).into_owned()),
        });
    }
    let old = old.ok_or_else(|| cx.err("needs `oldValue` or `regexPattern`"))?;
    if let Some(template) = template {
        return Ok(match source {
            None => Value::Null,
            Some(_) => {
                map_text(&args[0], |s| if old.is_empty() { template.clone() } else { template.replace(&old, s) })
            }
        });
    }
    let replacement = replacement.ok_or_else(|| cx.err("`oldValue` needs a `replacementValue` or a `template`"))?;
    Ok(map_text(&args[0], |s| if old.is_empty() { s.to_string() } else { s.replace(&old, &replacement) }))
}

/// Replaces only the text captured by `group` in every match.
fn replace_group(re: &Regex, s: &str, group: &str, replacement: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for caps in re.captures_iter(s) {
        if let Some(m) = caps.name(group) {
            if m.start() < last {
                continue;
            }
            out.push_str(&s[last..m.start()]);
            out.push_str(replacement);
            last = m.end();
        }
    }
    out.push_str(&s[last..]);
    out
}

#[cfg(test)]
mod tests {
    use crate::mapping::eval::{evaluate, EvalEnv};
    use crate::mapping::parse::parse_expression;
    use crate::mapping::value::{SourceObject, Value};

    fn run_with(text: &str, pairs: &[(&str, Value)]) -> Value {
        let (expr, errors) = parse_expression(text);
        assert!(errors.is_empty(), "{text}: {errors:?}");
        let src: SourceObject = pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        evaluate(&expr.expect("parsed"), &src, &mut EvalEnv::deterministic(1)).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn run(text: &str) -> Value {
        run_with(text, &[])
    }

    fn s(v: &str) -> Value {
        Value::Str(v.to_string())
    }

    fn multi(items: &[&str]) -> Value {
        Value::Multi(items.iter().map(|i| s(i)).collect())
    }

    #[test]
    fn documented_examples_for_strings() {
        assert_eq!(
            run_with(r#"Append([userPrincipalName], ".test")"#, &[("userPrincipalName", s("John.Doe@contoso.com"))]),
            s("John.Doe@contoso.com.test")
        );
        assert_eq!(run(r#"ConvertToBase64("Hello world!")"#), s("SABlAGwAbABvACAAdwBvAHIAbABkACEA"));
        assert_eq!(run(r#"ConvertToUTF8Hex("Hello world!")"#), s("48656C6C6F20776F726C6421"));
        assert_eq!(run(r#"InStr("The quick brown fox","quick")"#), Value::Int(5));
        assert_eq!(run(r#"InStr("repEated","e",3,vbBinaryCompare)"#), Value::Int(7));
        assert_eq!(run(r#"Left("John Doe", 3)"#), s("Joh"));
        assert_eq!(run_with("NormalizeDiacritics([givenName])", &[("givenName", s("Zoë"))]), s("Zoe"));
        assert_eq!(
            run_with("PCase([firstName])", &[("firstName", s("PABLO GONSALVES (SECOND)"))]),
            s("Pablo Gonsalves (Second)")
        );
        assert_eq!(run_with(r#"PCase([lastName]," '-")"#, &[("lastName", s("PINTO-DE'SILVA"))]), s("Pinto-De'Silva"));
        assert_eq!(
            run_with(
                r#"PCase(Join(" ",[firstName],[lastName]))"#,
                &[("firstName", s("GREGORY")), ("lastName", s("JAMES"))]
            ),
            s("Gregory James")
        );
        assert_eq!(
            run_with(
                r#"Split([extensionAttribute5], ",")"#,
                &[("extensionAttribute5", s("PermissionSetOne, PermissionSetTwo"))]
            ),
            multi(&["PermissionSetOne", "PermissionSetTwo"])
        );
        assert_eq!(run(r#"Word("The quick brown fox",3," ")"#), s("brown"));
        assert_eq!(run(r#"Word("This,string!has&many separators",3,",!&#")"#), s("has"));
        assert_eq!(run(r#"Join(", ", "", [surname], [givenName])"#.replace("[surname]", "\"Doe\"").replace("[givenName]", "\"John\"").as_str()), s("Doe, John"));
        assert_eq!(
            run_with(
                "Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))",
                &[("givenName", s("John")), ("surname", s("Doe"))]
            ),
            s("JohDoe")
        );
        assert_eq!(
            run(r#"ToLower(Join("@", NormalizeDiacritics(StripSpaces(Join(".",  "John", "Smith"))), "contoso.com"))"#),
            s("john.smith@contoso.com")
        );
    }

    #[test]
    fn documented_examples_for_replace() {
        assert_eq!(
            run_with(r#"Replace([mail], "@contoso.com", , ,"", ,)"#, &[("mail", s("john.doe@contoso.com"))]),
            s("john.doe")
        );
        assert_eq!(
            run_with(
                r#"Replace([BusinessTitle],"Product Developer", , , "Software Engineer", , )"#,
                &[("BusinessTitle", s("Product Developer"))]
            ),
            s("Software Engineer")
        );
        assert_eq!(
            run_with(r#"Replace([UserID],"<username>", , , , , "<username>@contoso.com")"#, &[("UserID", s("jsmith"))]),
            s("jsmith@contoso.com")
        );
        assert_eq!(
            run_with(
                r#"Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", , "${phoneNumber}", , )"#,
                &[("telephoneNumber", s("+91 9998887777"))]
            ),
            s("9998887777")
        );
        assert_eq!(
            run_with(r#"Replace([mobile], , "[()\\s-]+", , "", , )"#, &[("mobile", s("+1 (999) 888-7777"))]),
            s("+19998887777")
        );
        assert_eq!(
            run_with(
                r#"Replace([AddressLineData], ,"(?<streetNumber>^\\d*)","streetNumber", "888", , )"#,
                &[("AddressLineData", s("545 Tremont Street"))]
            ),
            s("888 Tremont Street")
        );
        assert_eq!(
            run_with(
                r#"Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )"#,
                &[("userPrincipalName", s("jsmith@contoso.com"))]
            ),
            s("jsmith")
        );
        let ex5 = r#"Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , [mobile], )"#;
        assert_eq!(run_with(ex5, &[("telephoneNumber", s("")), ("mobile", s("+91 8887779999"))]), s("8887779999"));
        assert_eq!(run_with(ex5, &[("telephoneNumber", s("+1 123")), ("mobile", s("+91 8887779999"))]), s("+1 123"));
        assert_eq!(
            run_with(r#"Replace([mailNickname], , "[a-zA-Z_]*", , "", , )"#, &[("mailNickname", s("john_doe72"))]),
            s("72")
        );
    }

    #[test]
    fn nulls_and_edge_cases() {
        assert_eq!(run(r#"Left([x], 3)"#), s(""), "null string gives empty");
        assert_eq!(run(r#"Left("abc", 0)"#), s(""));
        assert_eq!(run(r#"Left("abc", -1)"#), s("abc"));
        assert_eq!(run(r#"Left("ab", 5)"#), s("ab"));
        assert_eq!(run(r#"Mid("abcdef", 3, 100)"#), s("cdef"));
        assert_eq!(run(r#"Mid([x], 1, 2)"#), Value::Null);
        assert_eq!(run(r#"Word("a b", 0, " ")"#), s(""));
        assert_eq!(run(r#"Word("a b", 3, " ")"#), s(""));
        assert_eq!(run(r#"Word([x], 1, " ")"#), s(""));
        assert_eq!(run(r#"Append([x], "s")"#), Value::Null);
        assert_eq!(run(r#"Join(" ", [x], [y])"#), Value::Null);
        assert_eq!(run(r#"InStr("abc", "z")"#), Value::Int(0));
        assert_eq!(run(r#"InStr("ABC", "b", 1, vbTextCompare)"#), Value::Int(2));
        assert_eq!(run(r#"StripSpaces(" a b ")"#), s("ab"));
        assert_eq!(run(r#"ToUpper("istanbul", "tr-TR")"#), s("İSTANBUL"));
        assert_eq!(run(r#"ToLower("ÄBC")"#), s("äbc"));
        assert_eq!(
            run(r#"NormalizeDiacritics("Æsa Øster Straße Łukasz Çelik")"#),
            s("AEsa OEster Strasse Lukasz Celik")
        );
    }

    #[test]
    fn multi_valued_inputs() {
        let proxies = multi(&["smtp:a@x", "SMTP:b@x", "smtp:a@x"]);
        assert_eq!(run_with("Count([proxyAddresses])", &[("proxyAddresses", proxies.clone())]), Value::Int(3));
        assert_eq!(run_with("Count([otherMails])", &[]), Value::Int(0));
        assert_eq!(run_with("Item([proxyAddresses], 2)", &[("proxyAddresses", proxies.clone())]), s("SMTP:b@x"));
        assert_eq!(run_with("Item([proxyAddresses], 9)", &[("proxyAddresses", proxies.clone())]), Value::Null);
        assert_eq!(
            run_with("RemoveDuplicates([proxyAddresses])", &[("proxyAddresses", proxies.clone())]),
            multi(&["smtp:a@x", "SMTP:b@x"])
        );
        assert_eq!(
            run_with(r#"Join(";", [proxyAddresses], "c")"#, &[("proxyAddresses", multi(&["a", "b"]))]),
            s("a;b;c")
        );
        assert_eq!(
            run_with("ToLower([proxyAddresses])", &[("proxyAddresses", multi(&["A", "B"]))]),
            multi(&["a", "b"])
        );
    }

    #[test]
    fn argument_errors_are_reported() {
        let (expr, _) = parse_expression(r#"Mid("abc", 0, 1)"#);
        let err = evaluate(&expr.expect("parsed"), &SourceObject::new(), &mut EvalEnv::deterministic(1)).unwrap_err();
        assert_eq!(err.message, "`Mid`: `start` is 1-based, got 0");
        let (expr, _) = parse_expression(r#"Left("abc", "x")"#);
        let err = evaluate(&expr.expect("parsed"), &SourceObject::new(), &mut EvalEnv::deterministic(1)).unwrap_err();
        assert_eq!(err.message, "`Left`: `NumChars` must be a number, got \"x\"");
        let (expr, _) = parse_expression(r#"Replace("a", , "(?<=a)b", , "", , )"#);
        let err = evaluate(&expr.expect("parsed"), &SourceObject::new(), &mut EvalEnv::deterministic(1)).unwrap_err();
        assert!(err.message.starts_with("`Replace`: invalid or unsupported regex"), "{err}");
        let (expr, _) = parse_expression(r#"Item([proxyAddresses], 0)"#);
        assert!(evaluate(&expr.expect("parsed"), &SourceObject::new(), &mut EvalEnv::deterministic(1)).is_err());
    }
}
