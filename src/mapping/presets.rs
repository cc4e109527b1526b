//! Built-in mappings, stored as mapping TOML files next to this module and compiled into the binary.

use crate::diagnostic::SourceFile;

const PRESETS: &[(&str, &str, &str)] = &[
    (
        "entra-default",
        "Entra's default mapping for a custom (non-gallery) SCIM app",
        include_str!("presets/entra-default.toml"),
    ),
    (
        "unleash",
        "Unleash's Entra provisioning guide: five user attributes, lowercase `active`",
        include_str!("presets/unleash.toml"),
    ),
];

/// Names of the built-in mappings.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, ..)| *n).collect()
}

/// One-line descriptions of the built-in mappings, by name.
pub fn descriptions() -> Vec<(&'static str, &'static str)> {
    PRESETS.iter().map(|(n, d, _)| (*n, *d)).collect()
}

/// The TOML text of preset `name` as a source file named `preset:<name>`.
pub fn source(name: &str) -> Option<SourceFile> {
    PRESETS.iter().find(|(n, ..)| *n == name).map(|(n, _, text)| SourceFile::new(format!("preset:{n}"), *text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::toml_format::parse_mapping_toml;

    #[test]
    fn every_preset_loads_without_diagnostics() {
        for name in names() {
            let (set, diags) = parse_mapping_toml(&source(name).expect("preset exists"));
            assert!(diags.is_empty(), "{name}: {diags:?}");
            let set = set.expect("loads");
            assert_eq!(set.users.matching_attributes()[0].target.to_string(), "userName");
            assert!(set.groups.is_some());
        }
    }

    #[test]
    fn entra_default_has_the_documented_user_targets() {
        let (set, _) = parse_mapping_toml(&source("entra-default").expect("preset exists"));
        let set = set.expect("loads");
        assert_eq!(set.users.attributes.len(), 22);
        let targets: Vec<String> = set.users.attributes.iter().map(|a| a.target.to_string()).collect();
        assert!(targets.contains(&r#"phoneNumbers[type eq "fax"].value"#.to_string()));
        assert!(targets.contains(&"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager".to_string()));
    }
}
