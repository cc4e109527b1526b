//! Attribute mappings: Entra's expression language and functions, attribute mappings with their flow
//! rules, the built-in presets, scoping filters, the mapping file format, the import and export of Graph
//! `synchronizationSchema` JSON, and the `check`/`explain`/`eval` back-ends. Pure: no HTTP, no runtime,
//! and the only file-system access is [`load`] reading the file it is given.
//!
//! ```text
//! preset name ─┐
//! mapping TOML ─┼─ load ──▶ parse + check (every problem as a located Diagnostic) ──▶ MappingSet
//! schema JSON ──┘                                                                      ├─▶ export_schema (schema JSON)
//! SourceObject ──▶ ScopingFilters::evaluate ──▶ AttributeMapping::evaluate_for(EvalEnv) ┴─▶ Value
//!                  TargetAttr::scim_value ──▶ build_resource (POST body) / TargetAttr::lookup (diff)
//! ```
//!
//! # Entry points
//!
//! - [`load`] / [`check`] / [`load_source`]: preset, mapping TOML or schema JSON → [`MappingSet`] or
//!   every [`crate::diagnostic::Diagnostic`]; [`presets::names`] lists the presets.
//! - [`export_schema`]: a [`MappingSet`] as the Graph schema JSON a tenant serves (the reverse of
//!   [`import_schema`], with the documented differences).
//! - [`ScopingFilters::evaluate`]: is an object in scope, clause by clause.
//! - [`ObjectMapping::matching_attributes`], [`AttributeMapping::evaluate_for`] (defaults, create-only,
//!   `IgnoreFlowIfNullOrEmpty` as [`Evaluated::Ignore`]), [`ObjectMapping::create_body`].
//! - [`TargetAttr`]: `lookup` in an endpoint's resource, `scim_value` for the wire, `same_value` /
//!   [`AttributeMapping::in_sync`] to decide whether an update is needed (ENTRA.md 3.4).
//! - [`explain`] and [`eval_expression_text`]: the back-ends of the CLI's mapping commands.
//! - [`EvalEnv::deterministic`] / [`EvalEnv::system`]: where `Now()`, `Guid()` and `RandomString()` come from.
//!
//! # Expression grammar
//!
//! Function names are case-sensitive; whitespace is allowed between tokens; an expression is at most
//! 10,000 characters.
//!
//! ```ebnf
//! expression  = term , [ cmp_op , term ] ;            (* comparisons only as IIF/CBool condition *)
//! cmp_op      = "=" | "<>" | ">" | ">=" | "<" | "<=" ;
//! term        = attribute | string | integer | hex | call | identifier ;
//! call        = name , "(" , [ argument , { "," , argument } ] , ")" ;
//! argument    = [ expression ] ;                      (* empty = omitted optional argument *)
//! attribute   = "[" , { any character - "]" } , "]" ;
//! string      = '"' , { any character - ( '"' | "\" ) | '\"' | "\\" | "\" } , '"' ;
//!                                                     (* \" and \\ are escapes; other \ kept *)
//! integer     = [ "-" ] , digit , { digit } ;
//! hex         = "&H" , hex_digit , { hex_digit } ;
//! name        = ( letter | "_" ) , { letter | digit | "_" | "." } ;
//! identifier  = name ;                                (* vbTextCompare, vbBinaryCompare, True, False *)
//! ```

mod ast;
mod catalog;
mod check;
mod compare;
mod compile;
mod eval;
mod explain;
mod export;
mod functions;
mod load;
mod model;
mod parse;
pub mod presets;
mod resource;
mod rules;
mod schema;
mod scope;
mod source;
mod target;
mod toml_format;
mod value;

pub use ast::{quote, CmpOp, Expr, ExprKind};
pub use catalog::{
    function, is_known_attribute, FunctionSig, ObjectKind, FUNCTIONS, GROUP_ATTRIBUTES, USER_ATTRIBUTES,
};
pub use check::check_expression;
pub use compile::{compile_expression, eval_expression_text};
pub use eval::{evaluate, fixed_now, select_unique_candidates, EvalEnv, EvalError, UniquenessOracle};
pub use explain::{explain, explain_object, AttributeOutcome, Explanation, MatchingStep};
pub use export::{export_schema, target_object_name, SOURCE_DIRECTORY, TARGET_DIRECTORY};
pub use functions::{dotnet_regex, entra_date_text, format_datetime, parse_date, parse_datetime_exact, ROLE_TYPE};
pub use load::{check, load, load_source, Loaded};
pub use model::{
    Apply, AttributeError, AttributeMapping, Evaluated, Expression, FlowBehavior, MappingSet, MappingSource,
    ObjectMapping, Operation, TargetActions,
};
pub use parse::{parse_expression, MAX_EXPRESSION_CHARS};
pub use resource::{build_resource, ADSCIM_GROUP, CORE_GROUP, CORE_USER};
pub use schema::import_schema;
pub use scope::{ClauseResult, ScopeOperator, ScopeVerdict, ScopingClause, ScopingFilter, ScopingFilters};
pub use source::{ExprError, ExprSource};
pub use target::{ScimType, TargetAttr, TargetError, ValueFilter, ENTERPRISE_USER};
pub use toml_format::parse_mapping_toml;
pub use value::{SortedNames, SourceObject, Value};
