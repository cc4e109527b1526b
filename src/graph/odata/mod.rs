//! `OData` conventions of Graph answers: `@odata.context`, query options (`$select`, `$top`, `$filter`,
//! `$search`, `$orderby`, `$expand`, `$count`, `$skiptoken`), paging with an absolute `@odata.nextLink` on
//! the request's own host, delta pages, and the entity types' property lists that the options are checked
//! against.
//!
//! A handler takes a [`Ctx`] (version, base URL, path and query of the request), builds the full JSON of
//! every entity, and hands them to [`Ctx::collection`] or [`Ctx::entity`], which filter, count, page and
//! select. Reading and applying the options themselves is `options`.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use serde_json::{Map, Value as Json};

mod options;

use options::{select_expanded, selected, with_id_selected, Options};

use super::error::GraphError;
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
    /// Navigation properties `$expand` may name (each an entity of this same type, such as a user's
    /// `manager`).
    pub expandable: &'static [&'static str],
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
    /// The request said `ConsistencyLevel: eventual` (Graph's advanced queries; `$search` needs it).
    eventual: bool,
    /// `Prefer: odata.maxpagesize=N`, the page size of a delta query.
    max_page: Option<usize>,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let uri = parts.extensions.get::<RequestUri>().map_or_else(|| parts.uri.clone(), |o| o.0.clone());
        let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        let path = uri.path().to_string();
        let version = path.trim_start_matches('/').split('/').next().unwrap_or("v1.0").to_string();
        let params = query_params(uri.query().unwrap_or(""));
        let eventual = parts
            .headers
            .get("consistencylevel")
            .and_then(|h| h.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"));
        let max_page = parts
            .headers
            .get_all("prefer")
            .iter()
            .filter_map(|h| h.to_str().ok())
            .flat_map(|h| h.split(','))
            .find_map(|p| p.trim().strip_prefix("odata.maxpagesize=").and_then(|n| n.trim().parse().ok()))
            .filter(|n| (1..=MAX_PAGE).contains(n));
        Ok(Ctx { version, base: format!("http://{host}"), path, params, eventual, max_page })
    }
}

/// One entry of a delta page.
#[derive(Debug)]
pub enum DeltaItem {
    /// An object that exists: its full JSON.
    Present(Json),
    /// An object that exists, and an annotation added after `$select` in place of the property it stands
    /// for (a group's `members@delta`).
    Annotated(Json, Option<(&'static str, Json)>),
    /// An object gone since the last round: `reason` is `changed` (restorable, in the recycle bin) or
    /// `deleted` (permanently).
    Removed {
        /// Its id.
        id: String,
        /// `changed` or `deleted`.
        reason: &'static str,
    },
}

/// Where a delta page points next.
#[derive(Debug)]
pub enum DeltaLink {
    /// More of this round: `$skiptoken`.
    Next(String),
    /// The round is complete: `$deltatoken` for the next one.
    Delta(String),
}

impl Ctx {
    /// The `@odata.context` URL for `fragment` (`users`, `users/$entity`, ...).
    pub fn context(&self, fragment: &str) -> String {
        format!("{}/{}/$metadata#{fragment}", self.base, self.version)
    }

    /// A query parameter, with or without its `$`.
    pub fn param(&self, name: &str) -> Option<&str> {
        let bare = name.trim_start_matches('$');
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name) || k.eq_ignore_ascii_case(bare))
            .map(|(_, v)| v.as_str())
    }

    /// A collection answer: `items` (full JSON) filtered, counted, paged and selected, with
    /// `@odata.context` for `set` (`users`, `groups/{id}/members`) and a `@odata.nextLink` when more remain.
    pub fn collection(&self, set: &str, ty: &EntityType, items: Vec<Json>) -> Result<Json, GraphError> {
        let o = self.options(ty)?;
        let matching = o.arrange(items, Json::clone);
        let total = matching.len();
        let value = matching.into_iter().skip(o.skip).take(o.top.unwrap_or(DEFAULT_PAGE)).collect();
        Ok(self.page(set, ty, &o, total, value))
    }

    /// As [`Ctx::collection`], shaping each item into JSON only when needed: `shape(item, None)` gives the
    /// full JSON, `shape(item, Some(names))` at least the named properties (what `$filter` reads). Without
    /// `$filter` only the items of the requested page are shaped, and with one every item is shaped with
    /// the filtered properties only, so a 100,000-user directory stays cheap to page and query.
    pub fn collection_of<T: Clone>(
        &self,
        set: &str,
        ty: &EntityType,
        items: Vec<T>,
        shape: impl Fn(T, Option<&[String]>) -> Json,
    ) -> Result<Json, GraphError> {
        let o = self.options(ty)?;
        let page = o.top.unwrap_or(DEFAULT_PAGE);
        let names = o.names();
        let matching = o.arrange(items, |i| shape(i.clone(), Some(&names)));
        let total = matching.len();
        let value = matching.into_iter().skip(o.skip).take(page).map(|i| shape(i, None)).collect();
        Ok(self.page(set, ty, &o, total, value))
    }

    fn page(&self, set: &str, ty: &EntityType, o: &Options, total: usize, value: Vec<Json>) -> Json {
        let page = o.top.unwrap_or(DEFAULT_PAGE);
        let value: Vec<Json> = value.into_iter().map(|i| select_expanded(i, ty, o)).collect();
        let mut out = Map::new();
        out.insert("@odata.context".into(), Json::String(self.context(&selected(set, o.select.as_deref()))));
        if o.count {
            out.insert("@odata.count".into(), Json::from(total));
        }
        if o.skip + page < total {
            out.insert("@odata.nextLink".into(), Json::String(self.next_link(o.skip + page)));
        }
        out.insert("value".into(), Json::Array(value));
        Json::Object(out)
    }

    /// The number of `items` that pass `$filter` and `$search`: the answer of a `/$count` segment.
    pub fn count_of<T: Clone>(
        &self,
        ty: &EntityType,
        items: Vec<T>,
        shape: impl Fn(T, Option<&[String]>) -> Json,
    ) -> Result<usize, GraphError> {
        let o = self.options(ty)?;
        let names = o.names();
        Ok(if o.examines() {
            items.into_iter().filter(|i| o.keeps(&shape(i.clone(), Some(&names)))).count()
        } else {
            items.len()
        })
    }

    /// A single-entity answer with `@odata.context` `set/$entity`, selected by `$select`.
    pub fn entity(&self, set: &str, ty: &EntityType, item: Json) -> Result<Json, GraphError> {
        let o = self.options(ty)?;
        let mut out = Map::new();
        let context = self.context(&format!("{}/$entity", selected(set, o.select.as_deref())));
        out.insert("@odata.context".into(), Json::String(context));
        if let Json::Object(map) = select_expanded(item, ty, &o) {
            out.extend(map);
        }
        Ok(Json::Object(out))
    }

    /// The navigation property `$expand` names, checked against `ty` (`None` without `$expand`): a handler
    /// adds it to each item it shapes in full.
    pub fn expands(&self, ty: &EntityType) -> Result<Option<String>, GraphError> {
        Ok(self.options(ty)?.expand.map(|e| e.property))
    }

    /// A page of a delta query: `items` with `$select` applied to the present ones, then either an
    /// `@odata.nextLink` carrying `$skiptoken` or the round's final `@odata.deltaLink` carrying `$deltatoken`.
    /// `$select` is the only query option a delta query takes here.
    pub fn delta_page(
        &self,
        set: &str,
        ty: &EntityType,
        items: Vec<DeltaItem>,
        link: DeltaLink,
    ) -> Result<Json, GraphError> {
        let o = self.options_paged(ty, false)?;
        if o.examines() || o.top.is_some() || o.count {
            return Err(GraphError::bad_request(
                "a delta query takes only $select here (and `Prefer: odata.maxpagesize=N` for its page size)",
            ));
        }
        let value: Vec<Json> = items
            .into_iter()
            .map(|item| match item {
                // A delta entry always carries its id, whatever `$select` says: it is how a client applies it.
                DeltaItem::Present(json) => with_id_selected(json, ty, o.select.as_deref()),
                DeltaItem::Annotated(json, annotation) => {
                    let mut json = with_id_selected(json, ty, o.select.as_deref());
                    if let (Json::Object(map), Some((key, value))) = (&mut json, annotation) {
                        // The annotation stands for its property (`members@delta` for `members`).
                        let property = key.split('@').next().unwrap_or(key);
                        if map.get(property).is_some_and(Json::is_null) {
                            map.remove(property);
                        }
                        map.insert(key.into(), value);
                    }
                    json
                }
                DeltaItem::Removed { id, reason } => serde_json::json!({
                    "@odata.type": format!("#{}", ty.name), "id": id, "@removed": {"reason": reason}
                }),
            })
            .collect();
        let mut out = Map::new();
        out.insert("@odata.context".into(), Json::String(self.context(&selected(set, o.select.as_deref()))));
        let (key, token) = match link {
            DeltaLink::Next(token) => ("@odata.nextLink", ("$skiptoken", token)),
            DeltaLink::Delta(token) => ("@odata.deltaLink", ("$deltatoken", token)),
        };
        out.insert(key.into(), Json::String(self.link_with(token.0, &token.1)));
        out.insert("value".into(), Json::Array(value));
        Ok(Json::Object(out))
    }

    /// Whether the answer shows property `name`: there is no `$select`, or it names `name`.
    pub fn selects(&self, name: &str) -> bool {
        self.param("$select").is_none_or(|list| list.split(',').any(|n| n.trim().eq_ignore_ascii_case(name)))
    }

    /// The page size of a delta query (`Prefer: odata.maxpagesize`, else Graph's default).
    pub fn delta_page_size(&self) -> usize {
        self.max_page.unwrap_or(DEFAULT_PAGE)
    }

    /// This request's URL with its paging tokens replaced by `key=value`.
    fn link_with(&self, key: &str, value: &str) -> String {
        let mut params: Vec<(String, String)> = self
            .params
            .iter()
            .filter(|(k, _)| {
                let bare = k.trim_start_matches('$');
                !bare.eq_ignore_ascii_case("skiptoken") && !bare.eq_ignore_ascii_case("deltatoken")
            })
            .cloned()
            .collect();
        params.push((key.into(), value.into()));
        format!("{}{}?{}", self.base, self.path, encode_query(&params))
    }

    fn next_link(&self, skip: usize) -> String {
        self.link_with("$skiptoken", &skip.to_string())
    }
}

/// A query string's parameters, decoded, in order.
fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static THING: EntityType =
        EntityType { name: "test.thing", properties: &["id", "name", "size"], defaults: &["id"], expandable: &[] };

    fn ctx(query: &str) -> Ctx {
        let params = query_params(query);
        Ctx {
            version: "beta".into(),
            base: "http://127.0.0.1:9".into(),
            path: "/beta/things".into(),
            params,
            eventual: true,
            max_page: None,
        }
    }

    fn things() -> Vec<Json> {
        (1..=5).map(|i| json!({"id": i.to_string(), "name": format!("thing {i}"), "size": i})).collect()
    }

    #[test]
    fn pages_keep_the_other_options_and_defaults_apply_without_select() {
        let page = ctx("$top=2&$filter=size%20ge%202").collection("things", &THING, things()).unwrap();
        assert_eq!(page["value"], json!([{"id": "2"}, {"id": "3"}]));
        let next = page["@odata.nextLink"].as_str().unwrap();
        assert_eq!(next, "http://127.0.0.1:9/beta/things?%24top=2&%24filter=size+ge+2&%24skiptoken=2");
        let query = next.split_once('?').unwrap().1;
        let last = ctx(query).collection("things", &THING, things()).unwrap();
        assert_eq!(last["value"], json!([{"id": "4"}, {"id": "5"}]));
        assert!(last.get("@odata.nextLink").is_none());
    }

    #[test]
    fn select_and_count_shape_the_answer() {
        let all = ctx("$select=name,size&$count=true").collection("things", &THING, things()).unwrap();
        assert_eq!(all["@odata.context"], "http://127.0.0.1:9/beta/$metadata#things(name,size)");
        assert_eq!(all["@odata.count"], 5);
        assert_eq!(all["value"][0], json!({"name": "thing 1", "size": 1}));
        let one = ctx("select=name").entity("things", &THING, things().remove(0)).unwrap();
        assert_eq!(
            one,
            json!({"@odata.context": "http://127.0.0.1:9/beta/$metadata#things(name)/$entity", "name": "thing 1"})
        );
        let counted = ctx("$filter=startswith(name,'thing')").count_of(&THING, things(), |t, _| t).unwrap();
        assert_eq!(counted, 5);
    }
}
