//! Reading one TOML table with its spans: typed getters that report wrong types where they are, and
//! the unknown keys left over with a "did you mean".

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::diagnostic::did_you_mean;

use super::{Cx, Val};

/// A table being read: remembers which keys were used so the rest can be reported as unknown.
pub(super) struct Fields<'a, 'i> {
    map: &'a DeTable<'i>,
    span: Range<usize>,
    used: Vec<String>,
}

impl<'a, 'i> Fields<'a, 'i> {
    pub(super) fn new(map: &'a DeTable<'i>, span: Range<usize>) -> Self {
        Fields { map, span, used: Vec::new() }
    }

    pub(super) fn get(&mut self, key: &str) -> Option<&'a Val<'i>> {
        self.used.push(key.to_string());
        self.map.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
    }

    pub(super) fn string(&mut self, cx: &mut Cx, key: &str) -> Option<(String, Range<usize>)> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some((s.to_string(), v.span())),
            other => {
                cx.error(
                    v.span(),
                    format!("`{key}` must be a string, found {}", other.type_str()),
                    "expected a string",
                );
                None
            }
        }
    }

    pub(super) fn bool(&mut self, cx: &mut Cx, key: &str) -> Option<bool> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                cx.error(
                    v.span(),
                    format!("`{key}` must be true or false, found {}", other.type_str()),
                    "expected a boolean",
                );
                None
            }
        }
    }

    pub(super) fn int(&mut self, cx: &mut Cx, key: &str) -> Option<(i64, Range<usize>)> {
        let v = self.get(key)?;
        let parsed = v.get_ref().as_integer().and_then(|i| i64::from_str_radix(i.as_str(), i.radix()).ok());
        if parsed.is_none() {
            cx.error(
                v.span(),
                format!("`{key}` must be an integer, found {}", v.get_ref().type_str()),
                "expected an integer",
            );
        }
        parsed.map(|i| (i, v.span()))
    }

    pub(super) fn table(&mut self, cx: &mut Cx, key: &str) -> Option<(&'a DeTable<'i>, Range<usize>)> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some((t, v.span())),
            other => {
                cx.error(v.span(), format!("`{key}` must be a table, found {}", other.type_str()), "expected a table");
                None
            }
        }
    }

    /// The tables of an array of tables (`[[users.attributes]]`).
    pub(super) fn tables(&mut self, cx: &mut Cx, key: &str) -> Vec<(&'a DeTable<'i>, Range<usize>)> {
        let Some(v) = self.get(key) else { return Vec::new() };
        let Some(items) = v.get_ref().as_array() else {
            cx.error(v.span(), format!("`{key}` must be an array of tables"), format!("write `[[...{key}]]` sections"));
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::Table(t) => Some((t, item.span())),
                other => {
                    cx.error(
                        item.span(),
                        format!("entries of `{key}` must be tables, found {}", other.type_str()),
                        "expected a table",
                    );
                    None
                }
            })
            .collect()
    }

    /// Reports every key that was not read.
    pub(super) fn finish(self, cx: &mut Cx, allowed: &[&str], what: &str) {
        for (k, _) in self.map.iter() {
            let key: &str = k.get_ref();
            if self.used.iter().any(|u| u == key) {
                continue;
            }
            let label = did_you_mean(key, allowed.iter().copied())
                .map_or_else(|| format!("expected one of {}", allowed.join(", ")), |s| format!("did you mean `{s}`?"));
            cx.error(k.span(), format!("unknown key `{key}` in {what}"), label);
        }
        let _ = self.span;
    }
}
