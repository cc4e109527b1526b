//! App role assignment functions and `RandomString`.
//!
//! The `appRoleAssignments` source value is multi-valued; each element is either a role value
//! (`"Admin"`) or the JSON text of an assignment (`{"id":"…","value":"Admin","displayName":"Admin"}`),
//! which is how [`Value::from_json`] carries objects.

use rand::seq::SliceRandom;
use rand::Rng;

use super::Cx;
use crate::mapping::eval::{EvalEnv, EvalError};
use crate::mapping::value::Value;

/// The `type` Entra puts on role objects.
pub const ROLE_TYPE: &str = "WindowsAzureActiveDirectoryRole";

struct Role {
    value: String,
    display: String,
}

fn roles(v: &Value) -> Vec<Role> {
    let items: Vec<&Value> = match v {
        Value::Multi(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        single => vec![single],
    };
    items
        .into_iter()
        .filter_map(|item| {
            let text = item.to_text().filter(|t| !t.trim().is_empty())?;
            let parsed = serde_json::from_str::<serde_json::Value>(&text).ok().filter(serde_json::Value::is_object);
            Some(match parsed {
                Some(obj) => {
                    let field = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_string);
                    let value =
                        field("value").or_else(|| field("displayName")).or_else(|| field("id")).unwrap_or_default();
                    let display = field("displayName").unwrap_or_else(|| value.clone());
                    Role { value, display }
                }
                None => Role { value: text.clone(), display: text },
            })
        })
        .collect()
}

/// `SingleAppRoleAssignment`: the first assigned role's value (Entra leaves undefined which one when a
/// user has several).
pub(super) fn single(v: &Value) -> Value {
    roles(v).into_iter().next().map_or(Value::Null, |r| Value::Str(r.value))
}

/// `AppRoleAssignments` (Graph catalogue): every assigned role's value.
pub(super) fn values(v: &Value) -> Value {
    let r = roles(v);
    if r.is_empty() {
        return Value::Null;
    }
    Value::Multi(r.into_iter().map(|r| Value::Str(r.value)).collect())
}

/// `AppRoleAssignmentsComplex` / `AssertiveAppRoleAssignmentsComplex`: every role as the JSON text of a
/// SCIM role object, `primary: false`.
pub(super) fn complex(v: &Value) -> Value {
    let r = roles(v);
    if r.is_empty() {
        return Value::Null;
    }
    Value::Multi(
        r.into_iter()
            .map(|r| {
                let obj =
                    serde_json::json!({"primary": false, "type": ROLE_TYPE, "display": r.display, "value": r.value});
                Value::Str(obj.to_string())
            })
            .collect(),
    )
}

const DIGITS: &str = "0123456789";
const SPECIALS: &str = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";

/// `RandomString(Length, MinimumNumbers, MinimumSpecialCharacters, MinimumCapital, MinimumLowerCase,
/// [CharactersToAvoid])`, drawn from the environment's generator.
pub(super) fn random_string(cx: &Cx, args: &[Value], env: &mut EvalEnv) -> Result<Value, EvalError> {
    let a = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    let len = cx.int(&a(0), "Length")?;
    let mins = [
        cx.int(&a(1), "MinimumNumbers")?,
        cx.int(&a(2), "MinimumSpecialCharacters")?,
        cx.int(&a(3), "MinimumCapital")?,
        cx.int(&a(4), "MinimumLowerCase")?,
    ];
    if !(1..=256).contains(&len) {
        return Err(cx.err(format_args!("`Length` must be between 1 and 256, got {len}")));
    }
    if mins.iter().any(|m| *m < 0) || mins.iter().sum::<i64>() > len {
        return Err(cx.err(format_args!("the minimums add up to more than `Length` ({len})")));
    }
    let avoid: Vec<char> = a(5).to_text().unwrap_or_default().chars().collect();
    let pools: Vec<Vec<char>> =
        [DIGITS, SPECIALS, UPPER, LOWER].iter().map(|p| p.chars().filter(|c| !avoid.contains(c)).collect()).collect();
    let all: Vec<char> = pools.iter().flatten().copied().collect();
    let rng = env.rng();
    let mut out: Vec<char> = Vec::with_capacity(len as usize);
    for (pool, min) in pools.iter().zip(mins) {
        if min > 0 && pool.is_empty() {
            return Err(cx.err("`CharactersToAvoid` removes every character of a required class"));
        }
        for _ in 0..min {
            out.push(pool[rng.random_range(0..pool.len())]);
        }
    }
    if all.is_empty() {
        return Err(cx.err("`CharactersToAvoid` removes every character"));
    }
    while out.len() < len as usize {
        out.push(all[rng.random_range(0..all.len())]);
    }
    out.shuffle(rng);
    Ok(Value::Str(out.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use crate::mapping::eval::{evaluate, EvalEnv};
    use crate::mapping::parse::parse_expression;
    use crate::mapping::value::{SourceObject, Value};

    fn run_with(text: &str, src: &SourceObject, seed: u64) -> Result<Value, String> {
        let (expr, errors) = parse_expression(text);
        assert!(errors.is_empty(), "{text}: {errors:?}");
        evaluate(&expr.expect("parsed"), src, &mut EvalEnv::deterministic(seed)).map_err(|e| e.message)
    }

    fn assigned() -> SourceObject {
        SourceObject::from_json(&serde_json::json!({"appRoleAssignments": [
            {"id": "06b0a5a8-0000-0000-0000-000000000001", "value": "Admin", "displayName": "Administrator"},
            "Reader"
        ]}))
    }

    #[test]
    fn single_app_role_assignment_returns_the_first_value() {
        assert_eq!(run_with("SingleAppRoleAssignment([appRoleAssignments])", &assigned(), 1), Ok("Admin".into()));
        assert_eq!(run_with("SingleAppRoleAssignment([appRoleAssignments])", &SourceObject::new(), 1), Ok(Value::Null));
        assert_eq!(
            run_with("AppRoleAssignments([appRoleAssignments])", &assigned(), 1),
            Ok(Value::Multi(vec!["Admin".into(), "Reader".into()]))
        );
    }

    #[test]
    fn complex_roles_are_role_objects() {
        let Ok(Value::Multi(items)) = run_with("AppRoleAssignmentsComplex([appRoleAssignments])", &assigned(), 1)
        else {
            panic!("expected roles")
        };
        let first: serde_json::Value = serde_json::from_str(&items[0].to_text().unwrap_or_default()).expect("json");
        assert_eq!(
            first,
            serde_json::json!({"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "Administrator", "value": "Admin"})
        );
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn random_string_honours_minimums_and_avoided_characters() {
        for seed in 0..20 {
            let Ok(Value::Str(s)) = run_with(r#"RandomString(10,2,2,2,1,"?,")"#, &SourceObject::new(), seed) else {
                panic!("expected a string")
            };
            assert_eq!(s.chars().count(), 10);
            assert!(s.chars().filter(char::is_ascii_digit).count() >= 2, "{s}");
            assert!(s.chars().filter(char::is_ascii_uppercase).count() >= 2, "{s}");
            assert!(s.chars().filter(char::is_ascii_lowercase).count() >= 1, "{s}");
            assert!(s.chars().filter(|c| !c.is_ascii_alphanumeric()).count() >= 2, "{s}");
            assert!(!s.contains('?') && !s.contains(','), "{s}");
        }
        let a = run_with("RandomString(6,3,0,0,3)", &SourceObject::new(), 5);
        assert_eq!(a, run_with("RandomString(6,3,0,0,3)", &SourceObject::new(), 5), "same seed, same string");
        assert!(run_with("RandomString(300,0,0,0,0)", &SourceObject::new(), 1).unwrap_err().contains("256"));
        assert!(run_with("RandomString(3,2,2,0,0)", &SourceObject::new(), 1).unwrap_err().contains("add up"));
    }

    #[test]
    fn misc_functions() {
        let src = SourceObject::new();
        assert_eq!(run_with("BitAnd(&HF, &HF7)", &src, 1), Ok(Value::Int(7)));
        assert_eq!(run_with(r#"Not("True")"#, &src, 1), Ok(Value::Bool(false)));
        assert_eq!(run_with(r#"Not("False")"#, &src, 1), Ok(Value::Bool(true)));
        assert_eq!(run_with("Not([IsSoftDeleted])", &src, 1), Ok(Value::Bool(true)));
        assert_eq!(run_with("IsNull([displayName])", &src, 1), Ok(Value::Bool(true)));
        assert_eq!(run_with(r#"IsNullOrEmpty("")"#, &src, 1), Ok(Value::Bool(true)));
        assert_eq!(run_with(r#"IsPresent("x")"#, &src, 1), Ok(Value::Bool(true)));
        assert_eq!(run_with(r#"IsString("x")"#, &src, 1), Ok(Value::Bool(true)));
        assert_eq!(run_with("IsString(3)", &src, 1), Ok(Value::Bool(false)));
        assert_eq!(run_with("IsNothing([mail])", &src, 1), Ok(Value::Bool(true)));
        assert_eq!(run_with("CStr(42)", &src, 1), Ok("42".into()));
        assert_eq!(run_with(r#"Prepend("x-", "y")"#, &src, 1), Ok("x-y".into()));
        assert_eq!(run_with(r#"Redact("secret")"#, &src, 1), Ok("secret".into()));
        assert_eq!(run_with("DefaultDomain()", &src, 1), Ok("contoso.onmicrosoft.com".into()));
        let guid = run_with("Guid()", &src, 1).map(|v| v.to_text().unwrap_or_default()).unwrap_or_default();
        assert!(uuid::Uuid::parse_str(&guid).is_ok(), "{guid}");
    }
}
