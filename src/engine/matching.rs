//! Matching (ENTRA.md 4.1): one attribute per query, `eq` only, tried in precedence order until one
//! finds a match. Pure.

use crate::engine::dialect::quote;

/// The filter Entra sends for a matching attribute and value: `userName eq "alice@contoso.com"`.
pub fn filter(attribute: &str, value: &str) -> String {
    format!("{attribute} eq {}", quote(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_quote_and_escape() {
        assert_eq!(filter("userName", "alice@contoso.com"), "userName eq \"alice@contoso.com\"");
        assert_eq!(filter("displayName", "R\"D"), "displayName eq \"R\\\"D\"");
    }
}
