//! Wire switches: every request shape where Microsoft's sources disagree, or where the shape is only
//! inferred, as a named switch (ENTRA.md's CONFLICT and [INF] items that change what goes on the wire).
//!
//! One definition serves every command: a scenario's `[settings]` sets them (`group_adscim_schema =
//! false`), `run`, `check` and `provision` take `--wire NAME=VALUE` (which wins over the scenario), and
//! the engine and `check` read the same [`Fidelity`], so both always send the same shapes. The defaults
//! and the evidence behind each are in `docs/entra-notes.md` ("Wire switches").
//!
//! | switch | values | default | what it changes |
//! |---|---|---|---|
//! | `group_adscim_schema` | bool | `true` | group POST `schemas` carries the ADSCIM URI after the core Group URI (ENTRA.md 1.7) |
//! | `post_active_as_string` | bool | `false` | legacy POST sends `"active": "True"` instead of `true` (ENTRA.md 1.2) |
//! | `member_ref_null` | bool | `false` | legacy member adds and removals carry `"$ref": null` (ENTRA.md 1.7) |
//! | `linked_user_lookup` | `id` \| `filter` | `id` | how an incremental cycle reads a linked user: `GET /Users/{id}` or the matching filter (ENTRA.md 1.3) |
//! | `clear_with_remove` | bool | `false` | a value cleared in Entra is sent as `Remove` with the old value instead of being left alone (ENTRA.md 1.4) |
//! | `cycle_probe` | bool | `false` | every cycle starts with the random-GUID probe of Test Connection (ENTRA.md 1.1) |

use std::fmt;

use serde::Serialize;

/// How an incremental cycle reads a user it already linked (ENTRA.md 1.3: undocumented).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkedLookup {
    /// `GET /Users/{id}` with the cached target id.
    #[default]
    Id,
    /// The matching filter query, as for an object not linked yet.
    Filter,
}

/// The wire switches in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fidelity {
    /// Group POST carries the ADSCIM schema URI.
    pub group_adscim_schema: bool,
    /// Legacy POST sends `active` as the string `"True"`.
    pub post_active_as_string: bool,
    /// Legacy member values carry `"$ref": null`.
    pub member_ref_null: bool,
    /// How an incremental cycle reads a linked user.
    pub linked_user_lookup: LinkedLookup,
    /// A cleared value is sent as `Remove` with the old value.
    pub clear_with_remove: bool,
    /// Every cycle starts with the random-GUID probe.
    pub cycle_probe: bool,
}

impl Default for Fidelity {
    fn default() -> Self {
        Fidelity {
            group_adscim_schema: true,
            post_active_as_string: false,
            member_ref_null: false,
            linked_user_lookup: LinkedLookup::Id,
            clear_with_remove: false,
            cycle_probe: false,
        }
    }
}

/// One switch's name, its accepted values and its one-line meaning.
#[derive(Debug, Clone, Copy)]
pub struct SwitchDef {
    /// The name in `[settings]` and after `--wire`.
    pub name: &'static str,
    /// Accepted values (`true`/`false` for booleans).
    pub values: &'static [&'static str],
    /// What the switch changes.
    pub help: &'static str,
}

const BOOL: &[&str] = &["true", "false"];

/// Every switch, in documentation order.
pub const SWITCHES: &[SwitchDef] = &[
    SwitchDef {
        name: "group_adscim_schema",
        values: BOOL,
        help: "group POST lists the ADSCIM schema URI after the core Group URI",
    },
    SwitchDef { name: "post_active_as_string", values: BOOL, help: "legacy POST sends `active` as \"True\"" },
    SwitchDef { name: "member_ref_null", values: BOOL, help: "legacy member values carry `\"$ref\": null`" },
    SwitchDef {
        name: "linked_user_lookup",
        values: &["id", "filter"],
        help: "an incremental cycle reads a linked user by id or by the matching filter",
    },
    SwitchDef {
        name: "clear_with_remove",
        values: BOOL,
        help: "a value cleared in Entra is sent as `Remove` with the old value",
    },
    SwitchDef { name: "cycle_probe", values: BOOL, help: "every cycle starts with the random-GUID probe" },
];

/// A switch set to a value: one `[settings]` key or one `--wire NAME=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The switch.
    pub name: &'static str,
    /// The value, one of the switch's accepted values.
    pub value: &'static str,
}

/// Why a switch setting was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideError {
    /// No switch has this name; the closest name, if any.
    UnknownSwitch {
        /// The name given.
        name: String,
        /// A close switch name.
        suggestion: Option<&'static str>,
    },
    /// The switch does not take this value.
    BadValue {
        /// The switch.
        name: &'static str,
        /// The value given.
        value: String,
        /// What it takes.
        expected: &'static [&'static str],
    },
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverrideError::UnknownSwitch { name, suggestion } => {
                write!(f, "unknown wire switch `{name}`")?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`?"),
                    None => write!(f, "; expected one of: {}", names().join(", ")),
                }
            }
            OverrideError::BadValue { name, value, expected } => {
                write!(f, "wire switch `{name}` takes {}, not `{value}`", expected.join(" or "))
            }
        }
    }
}

impl std::error::Error for OverrideError {}

/// What a switch takes, in words: `a boolean` or `"id" or "filter"`.
pub fn expected(def: &SwitchDef) -> String {
    if def.values == BOOL {
        return "a boolean".to_string();
    }
    def.values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(" or ")
}

/// Every switch name.
pub fn names() -> Vec<&'static str> {
    SWITCHES.iter().map(|s| s.name).collect()
}

/// The definition of switch `name`.
pub fn switch(name: &str) -> Option<&'static SwitchDef> {
    SWITCHES.iter().find(|s| s.name == name)
}

impl Override {
    /// Checks `value` (a boolean is given as `true`/`false`) for switch `name`.
    pub fn new(name: &str, value: &str) -> Result<Self, OverrideError> {
        let Some(def) = switch(name) else {
            let suggestion = crate::diagnostic::did_you_mean(name, names());
            return Err(OverrideError::UnknownSwitch { name: name.to_string(), suggestion });
        };
        let Some(v) = def.values.iter().find(|v| **v == value) else {
            return Err(OverrideError::BadValue { name: def.name, value: value.to_string(), expected: def.values });
        };
        Ok(Override { name: def.name, value: v })
    }

    /// Parses `NAME=VALUE` (the `--wire` flag).
    pub fn parse_assignment(text: &str) -> Result<Self, String> {
        let Some((name, value)) = text.split_once('=') else {
            return Err(format!(
                "expected NAME=VALUE, e.g. `group_adscim_schema=false`; switches: {}",
                names().join(", ")
            ));
        };
        Override::new(name.trim(), value.trim()).map_err(|e| e.to_string())
    }
}

impl Fidelity {
    /// The switches with `overrides` applied in order (a later one wins).
    pub fn with(mut self, overrides: &[Override]) -> Self {
        for o in overrides {
            let on = o.value == "true";
            match o.name {
                "group_adscim_schema" => self.group_adscim_schema = on,
                "post_active_as_string" => self.post_active_as_string = on,
                "member_ref_null" => self.member_ref_null = on,
                "linked_user_lookup" => {
                    self.linked_user_lookup = if o.value == "filter" { LinkedLookup::Filter } else { LinkedLookup::Id }
                }
                "clear_with_remove" => self.clear_with_remove = on,
                "cycle_probe" => self.cycle_probe = on,
                _ => {}
            }
        }
        self
    }

    /// The switches that differ from the defaults, as `name=value` (for reports and transcripts).
    pub fn changed(&self) -> Vec<String> {
        let default = Fidelity::default();
        SWITCHES
            .iter()
            .filter_map(|def| {
                let value = self.value_of(def.name);
                (value != default.value_of(def.name)).then(|| format!("{}={value}", def.name))
            })
            .collect()
    }

    fn value_of(&self, name: &str) -> &'static str {
        let b = |on: bool| if on { "true" } else { "false" };
        match name {
            "group_adscim_schema" => b(self.group_adscim_schema),
            "post_active_as_string" => b(self.post_active_as_string),
            "member_ref_null" => b(self.member_ref_null),
            "linked_user_lookup" => match self.linked_user_lookup {
                LinkedLookup::Id => "id",
                LinkedLookup::Filter => "filter",
            },
            "clear_with_remove" => b(self.clear_with_remove),
            "cycle_probe" => b(self.cycle_probe),
            _ => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_switch_can_be_set_to_every_value_and_back() {
        for def in SWITCHES {
            for value in def.values {
                let o = Override::new(def.name, value).expect("accepted");
                let f = Fidelity::default().with(&[o]);
                assert_eq!(f.value_of(def.name), *value, "{}", def.name);
            }
            assert!(!Fidelity::default().value_of(def.name).is_empty(), "{} has a default", def.name);
        }
    }

    #[test]
    fn bad_settings_say_what_is_accepted() {
        let e = Override::parse_assignment("group_adscim_schem=false").unwrap_err();
        assert!(e.contains("did you mean `group_adscim_schema`"), "{e}");
        let e = Override::parse_assignment("linked_user_lookup=both").unwrap_err();
        assert!(e.contains("takes id or filter"), "{e}");
        assert!(Override::parse_assignment("cycle_probe").unwrap_err().contains("NAME=VALUE"));
        let f = Fidelity::default().with(&[Override::parse_assignment("cycle_probe=true").expect("ok")]);
        assert_eq!(f.changed(), vec!["cycle_probe=true".to_string()]);
    }

    #[test]
    fn scenario_settings_errors_name_the_line() {
        let text = "[settings]\nlinked_user_lookup = \"both\"\ncycle_probe = \"yes\"\nmember_ref_nul = true\n\n[[steps]]\ncycle = \"initial\"\n";
        let Err(diags) = crate::scenario::parse_str("s.toml", text, std::path::Path::new(".")) else {
            panic!("expected errors")
        };
        let out = crate::diagnostic::render_all(&diags, false);
        assert!(out.contains("wire switch `linked_user_lookup` takes id or filter, not `both`"), "{out}");
        assert!(out.contains("--> s.toml:2:"), "{out}");
        assert!(out.contains("wire switch `cycle_probe` takes true or false, not `yes`"), "{out}");
        assert!(out.contains("did you mean `member_ref_null`?"), "{out}");
    }
}
