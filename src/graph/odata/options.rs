//! The query options of a Graph request, read and applied: `$select`, `$top`, `$filter`, `$search`,
//! `$orderby`, `$expand`, `$count` and `$skiptoken`, each checked against the entity type's properties.

use serde_json::{Map, Value as Json};

use super::{Ctx, EntityType, MAX_PAGE};
use crate::graph::error::GraphError;
use crate::graph::filter::{self, Filter};
use crate::graph::search::{self, Search};

/// The query options of one request, checked against an entity type.
#[derive(Debug, Default)]
pub(super) struct Options {
    pub select: Option<Vec<String>>,
    pub top: Option<usize>,
    pub skip: usize,
    pub filter: Option<Filter>,
    pub search: Option<Search>,
    /// `$orderby`: properties, each descending or not.
    pub order: Vec<(String, bool)>,
    /// `$expand=property` or `property($select=a,b)`.
    pub expand: Option<Expansion>,
    pub count: bool,
}

/// One expanded navigation property and what to select of it.
#[derive(Debug)]
pub(super) struct Expansion {
    pub property: String,
    pub select: Option<Vec<String>>,
}

impl Options {
    /// The properties `$filter`, `$search` and `$orderby` read.
    pub(super) fn names(&self) -> Vec<String> {
        let mut names = self.filter.as_ref().map(Filter::names).unwrap_or_default();
        names.extend(self.search.as_ref().map(Search::names).unwrap_or_default());
        names.extend(self.order.iter().map(|(name, _)| name.clone()));
        names
    }

    /// Whether the query reads any property (and so needs each item shaped before paging).
    pub(super) fn examines(&self) -> bool {
        self.filter.is_some() || self.search.is_some() || !self.order.is_empty()
    }

    /// True when `item` passes `$filter` and `$search`.
    pub(super) fn keeps(&self, item: &Json) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(item)) && self.search.as_ref().is_none_or(|s| s.matches(item))
    }

    /// The values `$orderby` sorts `item` by, in its order.
    fn order_keys(&self, item: &Json) -> Vec<Json> {
        self.order
            .iter()
            .map(|(name, _)| filter::lookup(item, std::slice::from_ref(name)).cloned().unwrap_or(Json::Null))
            .collect()
    }

    /// `$orderby`'s order of two items by their [`Options::order_keys`]: nulls first, text without regard to
    /// case, timestamps as instants.
    fn ordering(&self, a: &[Json], b: &[Json]) -> std::cmp::Ordering {
        for (((_, descending), x), y) in self.order.iter().zip(a).zip(b) {
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

    /// The items that pass, in `$orderby`'s order (stable: equal items keep the directory's order). Each item's
    /// shape is dropped once read; only the values it is sorted by are kept (a provisioning log's 100,000
    /// entries, shaped at once, would take gigabytes).
    pub(super) fn arrange<T>(&self, items: Vec<T>, shaped: impl Fn(&T) -> Json) -> Vec<T> {
        if !self.examines() {
            return items;
        }
        let mut kept: Vec<(Vec<Json>, T)> = items
            .into_iter()
            .filter_map(|item| {
                let json = shaped(&item);
                self.keeps(&json).then(|| (self.order_keys(&json), item))
            })
            .collect();
        if !self.order.is_empty() {
            kept.sort_by(|(a, _), (b, _)| self.ordering(a, b));
        }
        kept.into_iter().map(|(_, item)| item).collect()
    }
}

impl Ctx {
    pub(super) fn options(&self, ty: &EntityType) -> Result<Options, GraphError> {
        self.options_paged(ty, true)
    }

    /// The options; `$skiptoken` is read as a position when `paged` (a delta query's tokens are its own).
    pub(super) fn options_paged(&self, ty: &EntityType, paged: bool) -> Result<Options, GraphError> {
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
}

/// `$select` applied to a delta entry, which always keeps its id: it is how a client applies the entry.
pub(super) fn with_id_selected(json: Json, ty: &EntityType, names: Option<&[String]>) -> Json {
    match names {
        Some(names) if !names.iter().any(|n| n.eq_ignore_ascii_case("id")) => {
            let mut with_id = vec!["id".to_string()];
            with_id.extend(names.iter().cloned());
            select(json, ty, Some(&with_id))
        }
        names => select(json, ty, names),
    }
}

pub(super) fn selected(set: &str, select: Option<&[String]>) -> String {
    match select {
        Some(names) => format!("{set}({})", names.join(",")),
        None => set.to_string(),
    }
}

/// `$expand`'s value: one property of `ty.expandable`, with an optional nested `($select=a,b)`.
pub(super) fn expansion(text: &str, ty: &EntityType) -> Result<Expansion, GraphError> {
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
pub(super) fn select_expanded(item: Json, ty: &EntityType, o: &Options) -> Json {
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
pub(super) fn select(item: Json, ty: &EntityType, select: Option<&[String]>) -> Json {
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
