//! SCIM attribute paths as used in PATCH (RFC 7644 §3.5.2): `attr`, `attr.sub`, `attr[filter]`,
//! `attr[filter].sub`, each optionally URN-qualified (`urn:…:enterprise:2.0:User:employeeNumber`,
//! `urn:…:enterprise:2.0:User:manager`), plus a bare extension URN addressing the whole extension object.
//! [`AttrPath`] parses them (errors carry byte offsets) and reads, sets and removes the addressed values in a
//! JSON resource.
//!
//! Setting a filtered path whose filter matches no element creates the element from the filter's equality
//! terms (`emails[type eq "work"].value` → `{"type":"work","value":…}`), because Entra expects that
//! (ENTRA.md 1.4, 8.6).

use std::fmt;

use serde_json::{Map, Value};

use crate::scim::filter::{self, AttrRef, Filter};
use crate::scim::model::{self, ScimType};
use crate::scim::schema::{self, AttrDef};

mod edit;

use edit::{append_unique, drop_if_empty, merge, set_ci, set_element, template};

/// A parsed PATCH path.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrPath {
    /// The schema URN, when qualified (for an extension root: the extension URN).
    pub urn: Option<String>,
    /// The attribute name; empty when the path is an extension URN alone.
    pub name: String,
    /// The value filter of `attr[filter]`.
    pub filter: Option<Filter>,
    /// The sub-attribute (`attr.sub` or `attr[filter].sub`).
    pub sub: Option<String>,
}

/// A path that could not be parsed or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PathError {
    /// The SCIM error keyword (`invalidPath`, `noTarget`, `invalidValue`, `mutability`).
    pub kind: ScimType,
    /// Byte offset into the path text, for parse errors.
    pub offset: Option<usize>,
    /// What went wrong.
    pub message: String,
}

impl PathError {
    fn new(kind: ScimType, message: impl Into<String>) -> Self {
        PathError { kind, offset: None, message: message.into() }
    }
}

/// How [`AttrPath::set`] treats a multi-valued attribute without a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetMode {
    /// Append the values (skipping ones already present).
    Add,
    /// Replace all values.
    Replace,
}

impl AttrPath {
    /// Parses a path.
    pub fn parse(text: &str) -> Result<AttrPath, PathError> {
        let parse_err = |e: filter::FilterError| PathError {
            kind: ScimType::InvalidPath,
            offset: Some(e.offset),
            message: format!("invalid path `{text}`: {}", e.message),
        };
        if let Some(s) = schema::schema(text.trim()).filter(|s| !schema::is_core(s.id)) {
            return Ok(AttrPath { urn: Some(s.id.to_string()), name: String::new(), filter: None, sub: None });
        }
        let mut p = filter::Parser::new(text, 0);
        let head = p.attr_ref().map_err(parse_err)?;
        let mut path = AttrPath { urn: head.urn, name: head.name, filter: None, sub: head.sub };
        if text.as_bytes().get(p.pos) == Some(&b'[') {
            if path.sub.is_some() {
                return Err(parse_err(filter::FilterError {
                    offset: p.pos,
                    message: "a value filter must follow the attribute, not its sub-attribute".into(),
                }));
            }
            path.filter = Some(p.bracket().map_err(parse_err)?);
            if text.as_bytes().get(p.pos) == Some(&b'.') {
                let start = p.pos + 1;
                p.pos = start;
                let sub = p.attr_ref().map_err(parse_err)?;
                if sub.urn.is_some() || sub.sub.is_some() {
                    return Err(parse_err(filter::FilterError {
                        offset: start,
                        message: "expected one sub-attribute name after `].`".into(),
                    }));
                }
                path.sub = Some(sub.name);
            }
        }
        if p.pos < text.len() {
            let rest: String = text[p.pos..].chars().take(12).collect();
            return Err(parse_err(filter::FilterError { offset: p.pos, message: format!("unexpected `{rest}`") }));
        }
        Ok(path)
    }

    /// True when the path is an extension URN alone (the whole extension object).
    pub fn is_extension_root(&self) -> bool {
        self.name.is_empty()
    }

    /// The attribute reference without filter and sub-attribute (what value filters are relative to).
    pub fn attr_ref(&self) -> AttrRef {
        AttrRef { urn: self.urn.clone(), name: self.name.clone(), sub: None }
    }

    /// The schema definition of the attribute (not the sub-attribute), if known.
    pub fn def(&self) -> Option<&'static AttrDef> {
        schema::find(self.urn.as_deref(), &self.name, None)
    }

    /// The definition of the addressed leaf (the sub-attribute when there is one).
    pub fn leaf_def(&self) -> Option<&'static AttrDef> {
        let def = self.def()?;
        match &self.sub {
            Some(s) => def.sub(s),
            None => Some(def),
        }
    }

    /// The key of the extension object holding the attribute, or `None` for the resource's top level.
    pub fn container_key(&self) -> Option<String> {
        if self.is_extension_root() {
            return None;
        }
        match schema::locate(self.urn.as_deref(), &self.name).container {
            Some(urn) => Some(urn.to_string()),
            None => self.urn.clone().filter(|u| !schema::is_core(u)),
        }
    }

    /// True when the path addresses a server-owned attribute (`id`, `meta`, `schemas`).
    pub fn is_server_owned(&self) -> bool {
        self.container_key().is_none()
            && !self.is_extension_root()
            && ["id", "meta"].iter().any(|n| self.name.eq_ignore_ascii_case(n))
    }

    fn is_multi(&self, existing: Option<&Value>, value: Option<&Value>) -> bool {
        match self.def() {
            Some(d) => d.multi_valued,
            None => matches!(existing, Some(Value::Array(_))) || matches!(value, Some(Value::Array(_))),
        }
    }

    fn container<'a>(&self, res: &'a Value) -> Option<&'a Map<String, Value>> {
        let obj = res.as_object()?;
        match (self.is_extension_root(), self.container_key()) {
            (true, _) => model::get_ci(obj, self.urn.as_deref()?)?.as_object(),
            (false, Some(k)) => model::get_ci(obj, &k)?.as_object(),
            (false, None) => Some(obj),
        }
    }

    fn container_mut<'a>(&self, res: &'a mut Value, create: bool) -> Option<&'a mut Map<String, Value>> {
        let obj = res.as_object_mut()?;
        let key = if self.is_extension_root() { self.urn.clone() } else { self.container_key() };
        let Some(key) = key else { return Some(obj) };
        let actual = model::key_ci(obj, &key);
        let k = match actual {
            Some(k) => k,
            None if create => {
                obj.insert(key.clone(), Value::Object(Map::new()));
                key
            }
            None => return None,
        };
        let slot = obj.get_mut(&k)?;
        if !slot.is_object() {
            if !create {
                return None;
            }
            *slot = Value::Object(Map::new());
        }
        slot.as_object_mut()
    }

    /// Every value the path addresses (matching elements, or their sub-attribute).
    pub fn get_all<'a>(&self, res: &'a Value) -> Vec<&'a Value> {
        let Some(container) = self.container(res) else { return Vec::new() };
        if self.is_extension_root() {
            return vec![res
                .as_object()
                .and_then(|o| model::get_ci(o, self.urn.as_deref().unwrap_or("")))
                .unwrap_or(&Value::Null)]
            .into_iter()
            .filter(|v| !v.is_null())
            .collect();
        }
        let Some(v) = model::get_ci(container, &self.name) else { return Vec::new() };
        let attr = self.attr_ref();
        let elems: Vec<&Value> = match (&self.filter, v) {
            (Some(f), Value::Array(a)) => a.iter().filter(|e| f.eval(e, Some(&attr), Default::default())).collect(),
            (Some(f), single) => {
                vec![single].into_iter().filter(|e| f.eval(e, Some(&attr), Default::default())).collect()
            }
            (None, v) => vec![v],
        };
        match &self.sub {
            None => elems,
            Some(sub) => elems
                .into_iter()
                .flat_map(|e| match e {
                    Value::Array(a) => {
                        a.iter().filter_map(|x| x.as_object().and_then(|o| model::get_ci(o, sub))).collect()
                    }
                    Value::Object(o) => model::get_ci(o, sub).into_iter().collect(),
                    _ => Vec::new(),
                })
                .collect(),
        }
    }

    /// The first value the path addresses.
    pub fn get<'a>(&self, res: &'a Value) -> Option<&'a Value> {
        self.get_all(res).into_iter().next()
    }

    /// Sets the addressed value. Single-valued attributes are replaced (complex ones merged sub-attribute by
    /// sub-attribute), multi-valued ones appended to or replaced per `mode`, and a filtered path with no
    /// matching element creates one from the filter's equality terms. A JSON `null` value removes.
    pub fn set(&self, res: &mut Value, value: Value, mode: SetMode) -> Result<(), PathError> {
        if value.is_null() {
            self.remove(res);
            return Ok(());
        }
        if self.is_extension_root() {
            let Value::Object(fields) = value else {
                return Err(PathError::new(ScimType::InvalidValue, "an extension value must be an object"));
            };
            let container =
                self.container_mut(res, true).ok_or_else(|| PathError::new(ScimType::InvalidValue, "not an object"))?;
            merge(container, fields);
            return Ok(());
        }
        let multi = {
            let existing = self.container(res).and_then(|c| model::get_ci(c, &self.name));
            self.is_multi(existing, Some(&value))
        };
        let canonical = self.def().map_or(self.name.as_str(), |d| d.name).to_string();
        let container = self
            .container_mut(res, true)
            .ok_or_else(|| PathError::new(ScimType::InvalidValue, "the resource is not a JSON object"))?;
        let key = model::key_ci(container, &self.name).unwrap_or(canonical);
        match (&self.filter, &self.sub) {
            (None, None) if multi => {
                let new: Vec<Value> = match value {
                    Value::Array(a) => a.into_iter().filter(|v| !v.is_null()).collect(),
                    other => vec![other],
                };
                let slot = container.entry(key.clone()).or_insert_with(|| Value::Array(Vec::new()));
                match (mode, slot) {
                    (SetMode::Add, Value::Array(existing)) => append_unique(existing, new),
                    (_, slot) => *slot = Value::Array(new),
                }
                drop_if_empty(container, &key);
            }
            (None, None) => match (container.get_mut(&key), value) {
                (Some(Value::Object(existing)), Value::Object(fields)) => merge(existing, fields),
                (_, value) => {
                    container.insert(key, value);
                }
            },
            (None, Some(sub)) => {
                let slot = container.entry(key).or_insert_with(|| {
                    if multi {
                        Value::Array(vec![])
                    } else {
                        Value::Object(Map::new())
                    }
                });
                match slot {
                    Value::Array(a) if a.is_empty() => a.push(Value::Object(Map::from_iter([(sub.clone(), value)]))),
                    Value::Array(a) => {
                        for e in a.iter_mut().filter_map(Value::as_object_mut) {
                            set_ci(e, sub, value.clone());
                        }
                    }
                    Value::Object(o) => set_ci(o, sub, value),
                    other => *other = Value::Object(Map::from_iter([(sub.clone(), value)])),
                }
            }
            (Some(f), sub) if !multi && !container.contains_key(&key) => {
                // A single-valued complex attribute that is absent: the filter describes the new value.
                let mut elem = template(f, self.def()).ok_or_else(|| self.no_target())?;
                set_element(&mut elem, sub.as_deref(), value)?;
                container.insert(key, Value::Object(elem));
            }
            (Some(f), sub) => {
                let attr = self.attr_ref();
                let slot = container.entry(key).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Object(single) = slot {
                    // A filtered path on a single-valued complex attribute (`manager[value eq "x"].displayName`).
                    if !f.eval(&Value::Object(single.clone()), Some(&attr), Default::default()) {
                        return Err(self.no_target());
                    }
                    return set_element(single, sub.as_deref(), value);
                }
                if !slot.is_array() {
                    *slot = Value::Array(Vec::new());
                }
                let Value::Array(elems) = slot else {
                    return Err(PathError::new(ScimType::InvalidValue, format!("`{}` is not multi-valued", self.name)));
                };
                let mut matched = false;
                for e in elems.iter_mut() {
                    if f.eval(e, Some(&attr), Default::default()) {
                        matched = true;
                        if let Value::Object(o) = e {
                            set_element(o, sub.as_deref(), value.clone())?;
                        }
                    }
                }
                if !matched {
                    let mut elem = template(f, self.def()).ok_or_else(|| self.no_target())?;
                    set_element(&mut elem, sub.as_deref(), value)?;
                    elems.push(Value::Object(elem));
                }
            }
        }
        Ok(())
    }

    fn no_target(&self) -> PathError {
        PathError::new(
            ScimType::NoTarget,
            format!(
                "no value of `{}` matches the path `{self}` and the filter does not say how to create one",
                self.name
            ),
        )
    }

    /// Removes the addressed values; returns how many were removed. Removing a sub-attribute of a filtered
    /// element drops the element when only its filter attributes remain (Entra clearing a typed email).
    pub fn remove(&self, res: &mut Value) -> usize {
        let urn = self.urn.clone();
        let Some(container) = self.container_mut(res, false) else { return 0 };
        if self.is_extension_root() {
            let removed = !container.is_empty();
            if let Some(obj) = res.as_object_mut() {
                model::remove_ci(obj, urn.as_deref().unwrap_or(""));
            }
            return usize::from(removed);
        }
        let Some(key) = model::key_ci(container, &self.name) else { return 0 };
        let attr = self.attr_ref();
        let mut count = 0;
        match (&self.filter, &self.sub) {
            (None, None) => {
                container.shift_remove(&key);
                count = 1;
            }
            (None, Some(sub)) => match container.get_mut(&key) {
                Some(Value::Object(o)) => count = usize::from(model::remove_ci(o, sub).is_some()),
                Some(Value::Array(a)) => {
                    for e in a.iter_mut().filter_map(Value::as_object_mut) {
                        count += usize::from(model::remove_ci(e, sub).is_some());
                    }
                    a.retain(|e| !model::is_unassigned(e));
                }
                _ => {}
            },
            (Some(f), sub) => match container.get_mut(&key) {
                Some(Value::Array(a)) => {
                    let keep_keys =
                        template(f, self.def()).map(|t| t.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
                    let before = a.len();
                    match sub {
                        None => a.retain(|e| !f.eval(e, Some(&attr), Default::default())),
                        Some(sub) => {
                            for e in a.iter_mut() {
                                if f.eval(e, Some(&attr), Default::default()) {
                                    if let Value::Object(o) = e {
                                        count += usize::from(model::remove_ci(o, sub).is_some());
                                    }
                                }
                            }
                            // An element emptied of its `value` (or left with only its filter attributes) is gone.
                            let value_removed = sub.eq_ignore_ascii_case("value");
                            a.retain(|e| match e {
                                Value::Object(o) => {
                                    (!value_removed || model::get_ci(o, "value").is_some())
                                        && o.keys().any(|k| !keep_keys.iter().any(|t| t.eq_ignore_ascii_case(k)))
                                }
                                _ => true,
                            });
                        }
                    }
                    count += before - a.len();
                }
                Some(single @ Value::Object(_)) if f.eval(single, Some(&attr), Default::default()) => {
                    match (sub, single) {
                        (Some(sub), Value::Object(o)) => count = usize::from(model::remove_ci(o, sub).is_some()),
                        _ => {
                            container.shift_remove(&key);
                            count = 1;
                        }
                    }
                }
                _ => {}
            },
        }
        drop_if_empty(container, &key);
        if let (Some(ck), Some(obj)) = (self.container_key(), res.as_object_mut()) {
            if model::get_ci(obj, &ck).is_some_and(model::is_unassigned) {
                model::remove_ci(obj, &ck);
            }
        }
        count
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.urn, self.is_extension_root()) {
            (Some(urn), true) => return f.write_str(urn),
            (Some(urn), false) => write!(f, "{urn}:")?,
            (None, _) => {}
        }
        f.write_str(&self.name)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
