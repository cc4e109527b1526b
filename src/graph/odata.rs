//! `OData` conventions of Graph answers: `@odata.context`, query options (`$select`, `$top`, `$filter`,
//! `$count`, `$skiptoken`), paging with an absolute `@odata.nextLink` on the request's own host, and the
//! entity types' property lists that `$select` and `$filter` are checked against.
//!
//! A handler takes a [`Ctx`] (version, base URL, path and query of the request), builds the full JSON of
//! every entity, and hands them to [`Ctx::collection`] or [`Ctx::entity`], which filter, count, page and
//! select.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use serde_json::{Map, Value as Json};

use super::error::GraphError;
use super::filter::{self, Filter};
use crate::scim::client::{encode_query, form_decode};

/// Page size when the request gives no `$top` (Graph's for directory objects).
pub const DEFAULT_PAGE: usize = 100;
/// The largest `$top` Graph accepts for directory objects.
pub const MAX_PAGE: usize = 999;

/// An entity type: its name, every property `$select`/`$filter` may name, and the properties returned
/// without `$select`.
#[derive(Debug)]
pub struct EntityType {
    /// `microsoft.graph.user`.
    pub name: &'static str,
    /// Every property.
    pub properties: &'static [&'static str],
    /// Returned when there is no `$select` (empty: all).
    pub defaults: &'static [&'static str],
}

impl EntityType {
    fn knows(&self, name: &str) -> bool {
        self.properties.iter().any(|p| p.eq_ignore_ascii_case(name)) || crate::directory::is_extension(name)
    }
}

/// The URI as the client sent it, before nesting stripped `/v1.0` or `/beta`: the error middleware
/// stores it for links back to the request.
#[derive(Debug, Clone)]
pub struct RequestUri(pub axum::http::Uri);

/// What a handler knows about its request: Graph version, the base URL clients reached, the path and the
/// query parameters.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `v1.0` or `beta`.
    pub version: String,
    /// `http://host:port`.
    pub base: String,
    path: String,
    params: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let uri = parts.extensions.get::<RequestUri>().map_or_else(|| parts.uri.clone(), |o| o.0.clone());
        let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        let path = uri.path().to_string();
        let version = path.trim_start_matches('/').split('/').next().unwrap_or("v1.0").to_string();
        let params = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (form_decode(k), form_decode(v))
            })
            .collect();
        Ok(Ctx { version, base: format!("http://{host}"), path, params })
    }
}

/// The query options of one request, checked against an entity type.
#[derive(Debug, Default)]
struct Options {
    select: Option<Vec<String>>,
    top: Option<usize>,
    skip: usize,
    filter: Option<Filter>,
    count: bool,
}

impl Ctx {
    /// The `@odata.context` URL for `fragment` (`users`, `users/$entity`, ...).
    pub fn context(&self, fragment: &str) -> String {
        format!("{}/{}/$metadata#{fragment}", self.base, self.version)
    }

    fn param(&self, name: &str) -> Option<&str> {
        let bare = name.trim_start_matches('$');
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name) || k.eq_ignore_ascii_case(bare))
            .map(|(_, v)| v.as_str())
    }

    fn options(&self, ty: &EntityType) -> Result<Options, GraphError> {
        for (key, _) in &self.params {
            let k = key.trim_start_matches('$').to_ascii_lowercase();
            if ["orderby", "expand", "search", "skip", "format", "apply"].contains(&k.as_str()) {
                return Err(GraphError::bad_request(format!(
                    "the query option `{key}` is not supported by the simulator (supported: $select, $top, $filter, $count)"
                )));
            }
        }
        let mut o = Options::default();
        if let Some(select) = self.param("$select") {
            let names: Vec<String> =
                select.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            if let Some(bad) = names.iter().find(|n| !ty.knows(n)) {
                return Err(GraphError::bad_request(format!(
                    "Parsing OData Select and Expand failed: Could not find a property named '{bad}' on type '{}'.",
                    ty.name
                )));
            }
            o.select = Some(names);
        }
        if let Some(top) = self.param("$top") {
            match top.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => o.top = Some(n),
                _ => {
                    return Err(GraphError::bad_request(format!(
                        "Invalid page size specified: '{top}'. Must be between 1 and {MAX_PAGE} inclusive."
                    )))
                }
            }
        }
        if let Some(token) = self.param("$skiptoken") {
            o.skip = token.parse().map_err(|_| {
                GraphError::bad_request(format!("the $skiptoken `{token}` was not issued by this server"))
            })?;
        }
        if let Some(text) = self.param("$filter").filter(|t| !t.trim().is_empty()) {
            let parsed = filter::parse(text, &|name| ty.knows(name))
                .map_err(|e| GraphError::bad_request(format!("Invalid filter clause: {e}")))?;
            o.filter = Some(parsed);
        }
        if let Some(count) = self.param("$count") {
            o.count = match count.to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(GraphError::bad_request(format!("`$count` must be true or false, not `{count}`"))),
            };
        }
        Ok(o)
    }

    /// A collection answer: `items` (full JSON) filtered, counted, paged and selected, with
    /// `@odata.context` for `set` (`users`, `groups/{id}/members`) and a `@odata.nextLink` when more remain.
    pub fn collection(&self, set: &str, ty: &EntityType, items: Vec<Json>) -> Result<Json, GraphError> {
        let o = self.options(ty)?;
        let matching: Vec<Json> = match &o.filter {
            Some(f) => items.into_iter().filter(|i| f.matches(i)).collect(),
            None => items,
        };
        let total = matching.len();
        let page = o.top.unwrap_or(DEFAULT_PAGE);
        let value: Vec<Json> =
            matching.into_iter().skip(o.skip).take(page).map(|i| select(i, ty, o.select.as_deref())).collect();
        let mut out = Map::new();
        out.insert("@odata.context".into(), Json::String(self.context(&selected(set, o.select.as_deref()))));
        if o.count {
            out.insert("@odata.count".into(), Json::from(total));
        }
        if o.skip + page < total {
            out.insert("@odata.nextLink".into(), Json::String(self.next_link(o.skip + page)));
        }
        out.insert("value".into(), Json::Array(value));
        Ok(Json::Object(out))
    }

    /// A single-entity answer with `@odata.context` `set/$entity`, selected by `$select`.
    pub fn entity(&self, set: &str, ty: &EntityType, item: Json) -> Result<Json, GraphError> {
        let o = self.options(ty)?;
        let mut out = Map::new();
        let context = self.context(&format!("{}/$entity", selected(set, o.select.as_deref())));
        out.insert("@odata.context".into(), Json::String(context));
        if let Json::Object(map) = select(item, ty, o.select.as_deref()) {
            out.extend(map);
        }
        Ok(Json::Object(out))
    }

    fn next_link(&self, skip: usize) -> String {
        let mut params: Vec<(String, String)> = self
            .params
            .iter()
            .filter(|(k, _)| !k.trim_start_matches('$').eq_ignore_ascii_case("skiptoken"))
            .cloned()
            .collect();
        params.push(("$skiptoken".into(), skip.to_string()));
        format!("{}{}?{}", self.base, self.path, encode_query(&params))
    }
}

fn selected(set: &str, select: Option<&[String]>) -> String {
    match select {
        Some(names) => format!("{set}({})", names.join(",")),
        None => set.to_string(),
    }
}

/// Keeps the selected properties (or the type's defaults), plus `@odata.type` when the item has one.
fn select(item: Json, ty: &EntityType, select: Option<&[String]>) -> Json {
    let Json::Object(mut map) = item else { return item };
    let keep: Vec<&str> = match select {
        Some(names) => names.iter().map(String::as_str).collect(),
        None if ty.defaults.is_empty() => return Json::Object(map),
        None => ty.defaults.to_vec(),
    };
    let mut out = Map::new();
    if let Some(t) = map.remove("@odata.type") {
        out.insert("@odata.type".into(), t);
    }
    for name in keep {
        let key = map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned();
        let (k, v) = match key {
            Some(k) => {
                let v = map.remove(&k).unwrap_or(Json::Null);
                (k, v)
            }
            None => (name.to_string(), Json::Null),
        };
        out.insert(k, v);
    }
    Json::Object(out)
}
