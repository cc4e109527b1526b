//! `OData` conventions of Graph answers: `@odata.context`, query options (`$select`, `$top`, `$filter`,
//! `$search`, `$orderby`, `$expand`, `$count`, `$skiptoken`), paging with an absolute `@odata.nextLink` on
//! the request's own host, delta pages, and the entity types' property lists that the options are checked
//! against.
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
use super::search::{self, Search};
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

/// The query options of one request, checked against an entity type.
#[derive(Debug, Default)]
struct Options {
    select: Option<Vec<String>>,
    top: Option<usize>,
    skip: usize,
    filter: Option<Filter>,
    search: Option<Search>,
    /// `$orderby`: properties, each descending or not.
    order: Vec<(String, bool)>,
    /// `$expand=property` or `property($select=a,b)`.
    expand: Option<Expansion>,
    count: bool,
}

/// One expanded navigation property and what to select of it.
#[derive(Debug)]
struct Expansion {
    property: String,
    select: Option<Vec<String>>,
}

impl Options {
    /// The properties `$filter`, `$search` and `$orderby` read.
    fn names(&self) -> Vec<String> {
        let mut names = self.filter.as_ref().map(Filter::names).unwrap_or_default();
        names.extend(self.search.as_ref().map(Search::names).unwrap_or_default());
        names.extend(self.order.iter().map(|(name, _)| name.clone()));
        names
    }

    /// Whether the query reads any property (and so needs each item shaped before paging).
    fn examines(&self) -> bool {
        self.filter.is_some() || self.search.is_some() || !self.order.is_empty()
    }

    /// True when `item` passes `$filter` and `$search`.
    fn keeps(&self, item: &Json) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(item)) && self.search.as_ref().is_none_or(|s| s.matches(item))
    }

    /// `$orderby`'s order of two items: nulls first, text without regard to case, timestamps as instants.
    fn ordering(&self, a: &Json, b: &Json) -> std::cmp::Ordering {
        for (name, descending) in &self.order {
            let path = std::slice::from_ref(name);
            let (x, y) =
                (filter::lookup(a, path).unwrap_or(&Json::Null), filter::lookup(b, path).unwrap_or(&Json::Null));
            let order = match (x.is_null(), y.is_null()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Less,
                (false, true) => std::cmp::Ordering::Greater,
                (false, false) => filter::compare(x, y).unwrap_or(std::cmp::Ordering::Equal),
            };
            let order = if *descending { order.reverse() } else { order };
            if order.is_ne() {
                return order;
            }
        }
        std::cmp::Ordering::Equal
    }

    /// The items that pass, in `$orderby`'s order (stable: equal items keep the directory's order).
    fn arrange<T>(&self, items: Vec<T>, shaped: impl Fn(&T) -> Json) -> Vec<T> {
        if !self.examines() {
            return items;
        }
        let mut kept: Vec<(Json, T)> = items
            .into_iter()
            .filter_map(|item| {
                let json = shaped(&item);
                self.keeps(&json).then_some((json, item))
            })
            .collect();
        if !self.order.is_empty() {
            kept.sort_by(|(a, _), (b, _)| self.ordering(a, b));
        }
        kept.into_iter().map(|(_, item)| item).collect()
    }
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

    fn options(&self, ty: &EntityType) -> Result<Options, GraphError> {
        self.options_paged(ty, true)
    }

    /// The options; `$skiptoken` is read as a position when `paged` (a delta query's tokens are its own).
    fn options_paged(&self, ty: &EntityType, paged: bool) -> Result<Options, GraphError> {
        for (key, _) in &self.params {
            let k = key.trim_start_matches('$').to_ascii_lowercase();
            if ["skip", "format", "apply"].contains(&k.as_str()) {
                return Err(GraphError::bad_request(format!(
                    "the query option `{key}` is not supported by the simulator (supported: $select, $top, $filter, $search, $orderby, $count)"
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
        if let Some(token) = self.param("$skiptoken").filter(|_| paged) {
            o.skip = token.parse().map_err(|_| {
                GraphError::bad_request(format!("the $skiptoken `{token}` was not issued by this server"))
            })?;
        }
        if let Some(text) = self.param("$filter").filter(|t| !t.trim().is_empty()) {
            let parsed = filter::parse(text, &|name| ty.knows(name))
                .map_err(|e| GraphError::bad_request(format!("Invalid filter clause: {e}")))?;
            o.filter = Some(parsed);
        }
        if let Some(text) = self.param("$search") {
            if !self.eventual {
                return Err(GraphError::bad_request(
                    "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
                ));
            }
            let parsed = search::parse(text, &|name| ty.knows(name))
                .map_err(|e| GraphError::bad_request(format!("Invalid search clause: {e}")))?;
            o.search = Some(parsed);
        }
        if let Some(text) = self.param("$orderby").filter(|t| !t.trim().is_empty()) {
            for part in text.split(',') {
                let mut words = part.split_whitespace();
                let name = words.next().unwrap_or("");
                let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
                    None | Some("asc") => false,
                    Some("desc") => true,
                    Some(other) => {
                        return Err(GraphError::bad_request(format!(
                            "Invalid $orderby: `{other}` after `{name}`; expected asc or desc"
                        )))
                    }
                };
                if name.is_empty() || words.next().is_some() {
                    return Err(GraphError::bad_request(format!(
                        "Invalid $orderby: `{}`; expected `property`, `property asc` or `property desc`",
                        part.trim()
                    )));
                }
                if !ty.knows(name) {
                    return Err(GraphError::bad_request(format!(
                        "Could not find a property named '{name}' on type '{}'.",
                        ty.name
                    )));
                }
                o.order.push((name.to_string(), descending));
            }
        }
        if let Some(text) = self.param("$expand").filter(|t| !t.trim().is_empty()) {
            o.expand = Some(expansion(text, ty)?);
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

/// `$select` applied to a delta entry, which always keeps its id: it is how a client applies the entry.
fn with_id_selected(json: Json, ty: &EntityType, names: Option<&[String]>) -> Json {
    match names {
        Some(names) if !names.iter().any(|n| n.eq_ignore_ascii_case("id")) => {
            let mut with_id = vec!["id".to_string()];
            with_id.extend(names.iter().cloned());
            select(json, ty, Some(&with_id))
        }
        names => select(json, ty, names),
    }
}

fn selected(set: &str, select: Option<&[String]>) -> String {
    match select {
        Some(names) => format!("{set}({})", names.join(",")),
        None => set.to_string(),
    }
}

/// `$expand`'s value: one property of `ty.expandable`, with an optional nested `($select=a,b)`.
fn expansion(text: &str, ty: &EntityType) -> Result<Expansion, GraphError> {
    let text = text.trim();
    let (name, nested) = match text.split_once('(') {
        Some((name, rest)) => (name.trim(), Some(rest.strip_suffix(')').unwrap_or(rest))),
        None => (text, None),
    };
    let Some(property) = ty.expandable.iter().find(|p| p.eq_ignore_ascii_case(name)) else {
        let supported = if ty.expandable.is_empty() { "nothing here".to_string() } else { ty.expandable.join(", ") };
        return Err(GraphError::bad_request(format!(
            "the query option `$expand={text}` is not supported by the simulator on type '{}' (it expands {supported})",
            ty.name
        )));
    };
    let select = match nested.map(str::trim) {
        None | Some("") => None,
        Some(options) => {
            let names = options
                .split_once('=')
                .filter(|(k, _)| k.trim().trim_start_matches('$').eq_ignore_ascii_case("select"))
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "`$expand={text}`: only a nested $select is supported, as in `{property}($select=id,displayName)`"
                    ))
                })?;
            let names: Vec<String> = names.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
            if let Some(bad) = names.iter().find(|n| !ty.knows(n)) {
                return Err(GraphError::bad_request(format!(
                    "Parsing OData Select and Expand failed: Could not find a property named '{bad}' on type '{}'.",
                    ty.name
                )));
            }
            Some(names)
        }
    };
    Ok(Expansion { property: property.to_string(), select })
}

/// [`select`] on the item, keeping the expanded property whatever `$select` says (as Graph does), itself
/// selected by the nested `$select` or the type's defaults.
fn select_expanded(item: Json, ty: &EntityType, o: &Options) -> Json {
    let Some(expand) = &o.expand else { return select(item, ty, o.select.as_deref()) };
    let Json::Object(mut map) = item else { return item };
    let expanded = map.remove(&expand.property);
    let mut out = select(Json::Object(map), ty, o.select.as_deref());
    if let (Some(value), Json::Object(out)) = (expanded, &mut out) {
        out.insert(expand.property.clone(), select(value, ty, expand.select.as_deref()));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static THING: EntityType =
        EntityType { name: "test.thing", properties: &["id", "name", "size"], defaults: &["id"], expandable: &[] };

    fn ctx(query: &str) -> Ctx {
        let params = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (form_decode(k), form_decode(v))
            })
            .collect();
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
