//! Query parameters of list and search requests (RFC 7644 §3.4.2, §3.4.3, §3.9): `filter` (parsed and
//! checked against the resource type's schema, so an unsupported attribute is a 400 `invalidFilter` rather
//! than a silent empty result), `startIndex`/`count` paging, and the `attributes`/`excludedAttributes`
//! projection applied to every returned resource.

use serde_json::{Map, Value};

use crate::scim::filter::{self, AttrRef, CompareOp, Filter};
use crate::scim::model::{self, ScimType};
use crate::scim::path::AttrPath;
use crate::scim::schema::{self, AttrDef, AttrType, Returned};
use crate::server::error::ApiError;
use crate::server::store::Kind;

/// Parsed list/search parameters.
#[derive(Debug, Default)]
pub(crate) struct ListParams {
    pub filter: Option<Filter>,
    /// 1-based.
    pub start_index: usize,
    pub count: Option<usize>,
    pub projection: Projection,
}

/// `attributes` / `excludedAttributes`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Projection {
    /// Requested attributes, each with the requested sub-attributes (`None`: the whole attribute), so
    /// `emails.value,emails.type` keeps both.
    pub attributes: Vec<(AttrPath, Option<Vec<String>>)>,
    pub excluded: Vec<AttrPath>,
}

fn group_by_attribute(paths: Vec<AttrPath>) -> Vec<(AttrPath, Option<Vec<String>>)> {
    let mut out: Vec<(AttrPath, Option<Vec<String>>)> = Vec::new();
    for p in paths {
        let whole = AttrPath { urn: p.urn, name: p.name, filter: None, sub: None };
        let key = whole.to_string();
        let i = match out.iter().position(|(w, _)| w.to_string().eq_ignore_ascii_case(&key)) {
            Some(i) => i,
            None => {
                out.push((whole, Some(Vec::new())));
                out.len() - 1
            }
        };
        let slot = &mut out[i].1;
        match (p.sub, slot.as_mut()) {
            (Some(sub), Some(subs)) => subs.push(sub),
            _ => *slot = None,
        }
    }
    out
}

fn parse_list(text: &str, param: &str) -> Result<Vec<AttrPath>, ApiError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            AttrPath::parse(s).ok().filter(|p| p.filter.is_none()).ok_or_else(|| {
                ApiError::bad(ScimType::InvalidSyntax, format!("`{param}`: `{s}` is not an attribute name"))
            })
        })
        .collect()
}

fn parse_number(text: &str, param: &str) -> Result<i64, ApiError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::bad(ScimType::InvalidValue, format!("`{param}` must be an integer, got `{text}`")))
}

impl Projection {
    /// From the two parameter texts.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ApiError> {
        Ok(Projection {
            attributes: group_by_attribute(
                attributes.map(|t| parse_list(t, "attributes")).transpose()?.unwrap_or_default(),
            ),
            excluded: excluded.map(|t| parse_list(t, "excludedAttributes")).transpose()?.unwrap_or_default(),
        })
    }

    /// True when there are no parameters: [`Projection::apply`] then returns a document unchanged unless it
    /// has an attribute that is never returned (`password`, the only one RFC 7643 defines).
    pub fn selects_all(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// The resource as returned: `id`, `schemas` and `meta` always; `attributes` narrows, `excludedAttributes`
    /// removes; write-only attributes (`password`) never.
    pub fn apply(&self, doc: Value) -> Value {
        let always = |k: &str| ["id", "schemas", "meta"].iter().any(|a| a.eq_ignore_ascii_case(k));
        let mut out: Value = match doc.as_object() {
            Some(obj) if !self.attributes.is_empty() => {
                let mut kept =
                    Value::Object(obj.iter().filter(|(k, _)| always(k)).map(|(k, v)| (k.clone(), v.clone())).collect());
                for (whole, subs) in &self.attributes {
                    copy_attr(&doc, &mut kept, whole, subs.as_deref());
                }
                reorder_like(&kept, obj)
            }
            _ => doc,
        };
        for p in &self.excluded {
            if !(p.container_key().is_none() && always(&p.name)) {
                p.remove(&mut out);
            }
        }
        if let Some(o) = out.as_object_mut() {
            o.retain(|k, _| schema::locate(None, k).def.is_none_or(|d| d.returned != Returned::Never));
        }
        out
    }
}

/// Copies attribute `whole` from `src` into `dst`: all of it, or only the sub-attributes `subs` (of each element,
/// for a multi-valued attribute).
fn copy_attr(src: &Value, dst: &mut Value, whole: &AttrPath, subs: Option<&[String]>) {
    let Some(v) = whole.get(src) else { return };
    let pick = |o: &Map<String, Value>, subs: &[String]| -> Map<String, Value> {
        subs.iter().filter_map(|s| model::get_ci(o, s).map(|x| (s.clone(), x.clone()))).collect()
    };
    let value = match (subs, v) {
        (None, v) => v.clone(),
        (Some(subs), Value::Array(a)) => Value::Array(
            a.iter()
                .filter_map(Value::as_object)
                .map(|o| pick(o, subs))
                .filter(|o| !o.is_empty())
                .map(Value::Object)
                .collect(),
        ),
        (Some(subs), Value::Object(o)) => Value::Object(pick(o, subs)),
        (Some(_), _) => return,
    };
    if !model::is_unassigned(&value) {
        // Ignoring the error is right: the value came from a resource of the same shape.
        let _ = whole.set(dst, value, crate::scim::path::SetMode::Replace);
    }
}

fn reorder_like(v: &Value, like: &Map<String, Value>) -> Value {
    let Some(o) = v.as_object() else { return v.clone() };
    let mut out = Map::new();
    for k in like.keys() {
        if let Some(x) = o.get(k) {
            out.insert(k.clone(), x.clone());
        }
    }
    for (k, x) in o {
        if !out.contains_key(k) {
            out.insert(k.clone(), x.clone());
        }
    }
    Value::Object(out)
}

impl ListParams {
    /// From URL query pairs (names case-insensitive; unknown ones, such as `aadOptscim062020`, ignored).
    pub fn from_query(kind: Kind, pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let get = |name: &str| pairs.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        let filter = get("filter").filter(|f| !f.trim().is_empty()).map(|f| parse_filter(kind, f)).transpose()?;
        let start_index = get("startIndex").map(|s| parse_number(s, "startIndex")).transpose()?.unwrap_or(1);
        let count = get("count").map(|s| parse_number(s, "count")).transpose()?;
        Ok(ListParams {
            filter,
            start_index: start_index.max(1) as usize,
            count: count.map(|c| c.max(0) as usize),
            projection: Projection::parse(get("attributes"), get("excludedAttributes"))?,
        })
    }

    /// From a `POST /.search` body (RFC 7644 §3.4.3).
    pub fn from_search(kind: Kind, body: &Value) -> Result<Self, ApiError> {
        let Some(obj) = body.as_object() else {
            return Err(ApiError::bad(ScimType::InvalidSyntax, "a search request must be a JSON object"));
        };
        let text = |name: &str| -> Result<Option<String>, ApiError> {
            match model::get_ci(obj, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Array(a)) => Ok(Some(a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(other) => {
                    Err(ApiError::bad(ScimType::InvalidValue, format!("`{name}` has an invalid value {other}")))
                }
            }
        };
        let mut pairs = Vec::new();
        for name in ["filter", "startIndex", "count", "attributes", "excludedAttributes"] {
            if let Some(v) = text(name)? {
                pairs.push((name.to_string(), v));
            }
        }
        Self::from_query(kind, &pairs)
    }
}

/// Parses a filter and checks every attribute it names against the resource type's schemas.
pub(crate) fn parse_filter(kind: Kind, text: &str) -> Result<Filter, ApiError> {
    let f = filter::parse(text).map_err(|e| ApiError::filter(text, &e))?;
    for (parent, attr) in f.attributes() {
        let def = match parent {
            None => attr_def(kind, attr),
            Some(p) => match attr_def(kind, p) {
                Ok(Some(d)) => d.sub(&attr.name).map(Some).ok_or(()),
                other => other,
            },
        };
        if parent.is_none() && kind == Kind::User && attr.name.eq_ignore_ascii_case("groups") {
            return Err(ApiError::bad(
                ScimType::InvalidFilter,
                format!(
                    "invalid filter `{text}`: filtering users by `groups` is not supported; query /Groups by `members`"
                ),
            ));
        }
        let def = def.map_err(|()| {
            let shown = match parent {
                Some(p) => format!("{p}.{}", attr.name),
                None => attr.to_string(),
            };
            ApiError::bad(
                ScimType::InvalidFilter,
                format!("invalid filter `{text}`: `{shown}` is not an attribute of {} resources", kind.name()),
            )
        })?;
        if let Some(d) = def {
            check_operator(&f, attr, d, text)?;
        }
    }
    Ok(f)
}

/// The definition of a top-level filter attribute for `kind`: `Ok(None)` for attributes of an extension this
/// server does not know (stored as sent, so filterable), `Err` for unknown ones.
fn attr_def(kind: Kind, attr: &AttrRef) -> Result<Option<&'static AttrDef>, ()> {
    let urn = attr.urn.as_deref();
    if let Some(u) = urn {
        if schema::schema(u).is_none() {
            return Ok(None);
        }
    }
    let core = match kind {
        Kind::User => &schema::USER,
        Kind::Group => &schema::GROUP,
    };
    let in_core = urn.is_none_or(|u| u.eq_ignore_ascii_case(core.id));
    let def = schema::COMMON
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(&attr.name))
        .filter(|_| in_core)
        .or_else(|| core.attr(&attr.name).filter(|_| in_core))
        .or_else(|| {
            let ext_ok =
                kind == Kind::User && urn.is_none_or(|u| u.eq_ignore_ascii_case(model::ENTERPRISE_USER_SCHEMA));
            schema::ENTERPRISE_USER.attr(&attr.name).filter(|_| ext_ok)
        })
        .ok_or(())?;
    match &attr.sub {
        None => Ok(Some(def)),
        Some(s) => def.sub(s).map(Some).ok_or(()),
    }
}

/// Ordering operators on booleans and complex values are not supported (RFC 7644 §3.4.2.2).
fn check_operator(f: &Filter, attr: &AttrRef, def: &AttrDef, text: &str) -> Result<(), ApiError> {
    let mut bad = false;
    visit(f, &mut |g| {
        if let Filter::Compare { attr: a, op, .. } = g {
            let ordering = matches!(op, CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le);
            let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
            if std::ptr::eq(a, attr) && ((ordering || substring) && def.kind == AttrType::Boolean) {
                bad = true;
            }
        }
    });
    if bad {
        return Err(ApiError::bad(
            ScimType::InvalidFilter,
            format!("invalid filter `{text}`: `{attr}` is a boolean; only `eq`, `ne` and `pr` apply"),
        ));
    }
    Ok(())
}

fn visit<'a>(f: &'a Filter, g: &mut impl FnMut(&'a Filter)) {
    g(f);
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => {
            visit(a, g);
            visit(b, g);
        }
        Filter::Not(x) => visit(x, g),
        Filter::ValuePath { filter, then, .. } => {
            visit(filter, g);
            if let Some(t) = then {
                visit(t, g);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_are_checked_against_the_schema() {
        assert!(parse_filter(Kind::User, r#"userName eq "a""#).is_ok());
        assert!(parse_filter(Kind::User, r#"emails[type eq "work"].value eq "a""#).is_ok());
        assert!(parse_filter(
            Kind::User,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "a""#
        )
        .is_ok());
        assert!(parse_filter(Kind::User, r#"urn:ietf:params:scim:schemas:extension:Custom:2.0:User:x eq "a""#).is_ok());
        assert!(parse_filter(Kind::Group, r#"displayName eq "a" and members eq "u""#).is_ok());
        for (kind, bad) in [
            (Kind::User, r#"nosuch eq "a""#),
            (Kind::User, r#"members eq "a""#),
            (Kind::Group, r#"userName eq "a""#),
            (Kind::User, r#"emails[nosuch eq "a"]"#),
            (Kind::User, r#"active gt true"#),
            (Kind::User, r#"name.nosuch eq "a""#),
            (Kind::User, r#"groups eq "g""#),
        ] {
            let e = parse_filter(kind, bad).expect_err(bad);
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{bad}");
        }
    }

    #[test]
    fn projection_keeps_always_returned_attributes() {
        let doc = json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "g", "familyName": "f"},
                         "emails": [{"value": "e", "type": "work"}], "password": "p", "meta": {"version": "W/\"1\""}});
        let p = Projection::parse(Some("userName,name.givenName,emails.value,emails.type"), None).expect("parses");
        assert_eq!(
            p.apply(doc.clone()),
            json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "g"}, "emails": [{"value": "e", "type": "work"}], "meta": {"version": "W/\"1\""}})
        );
        let p = Projection::parse(None, Some("emails,id,name.familyName")).expect("parses");
        assert_eq!(
            p.apply(doc.clone()),
            json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "g"}, "meta": {"version": "W/\"1\""}})
        );
    }

    #[test]
    fn paging_parameters() {
        let q =
            |s: &str, c: &str| vec![("startIndex".to_string(), s.to_string()), ("COUNT".to_string(), c.to_string())];
        let p = ListParams::from_query(Kind::User, &q("0", "-3")).expect("parses");
        assert_eq!((p.start_index, p.count), (1, Some(0)));
        assert!(ListParams::from_query(Kind::User, &q("x", "1")).is_err());
    }
}
