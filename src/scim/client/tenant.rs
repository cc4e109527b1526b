//! Tenant URLs: the base Entra calls and the dialect flag an admin may put in its query (ENTRA.md 2.1).

use serde::Serialize;

use super::{ClientError, COMPLIANT_FLAG, LEGACY_FLAG};

/// The dialect flag found in a tenant URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlFlag {
    /// No flag: the legacy dialect of the `scim` job.
    None,
    /// `aadOptscim062020`: the compliant dialect.
    Compliant,
    /// `AzureAdScimPatch2017`: explicitly legacy.
    Legacy,
}

/// A tenant URL split into the base Entra calls and the dialect flag it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUrl {
    /// The base URL without the flag and without a trailing `/`.
    pub base: String,
    /// The flag found in the query, if any.
    pub flag: UrlFlag,
    /// The flag token exactly as written (`aadOptscim062020=true` included), for forwarding.
    pub flag_token: Option<String>,
    /// Query parameters other than the flag, kept and sent with every request.
    pub extra_query: Vec<String>,
    /// `base`, parsed once: each request's URL is this one with its path and query set, so the host is
    /// not parsed again per request.
    pub base_url: reqwest::Url,
}

impl TenantUrl {
    /// Parses a tenant URL: it must be `http` or `https` with a host. A query token
    /// `aadOptscim062020[=...]` or `AzureAdScimPatch2017[=...]` (case-insensitive) sets the flag and is
    /// removed from the base.
    pub fn parse(url: &str) -> Result<TenantUrl, ClientError> {
        let parsed = reqwest::Url::parse(url.trim())
            .map_err(|e| ClientError::InvalidUrl { url: url.to_string(), reason: e.to_string() })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(ClientError::InvalidUrl { url: url.to_string(), reason: "expected an http(s) URL".into() });
        }
        let (mut flag, mut flag_token, mut extra_query) = (UrlFlag::None, None, Vec::new());
        for part in parsed.query().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let name = part.split('=').next().unwrap_or(part);
            if name.eq_ignore_ascii_case(COMPLIANT_FLAG) {
                flag = UrlFlag::Compliant;
                flag_token = Some(part.to_string());
            } else if name.eq_ignore_ascii_case(LEGACY_FLAG) {
                flag = UrlFlag::Legacy;
                flag_token = Some(part.to_string());
            } else {
                extra_query.push(part.to_string());
            }
        }
        let mut base = parsed.clone();
        base.set_query(None);
        base.set_fragment(None);
        let base_url = base.clone();
        let base = base.as_str().trim_end_matches('/').to_string();
        Ok(TenantUrl { base, flag, flag_token, extra_query, base_url })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compliant_flag_is_detected_and_stripped() {
        let t = TenantUrl::parse("https://api.contoso.com/scim/v2/?aadOptscim062020").unwrap();
        assert_eq!(t.base, "https://api.contoso.com/scim/v2");
        assert_eq!(t.flag, UrlFlag::Compliant);
        assert_eq!(t.flag_token.as_deref(), Some("aadOptscim062020"));
        let t = TenantUrl::parse("https://x.test/scim?AzureAdScimPatch2017&tenant=7").unwrap();
        assert_eq!((t.flag, t.extra_query.clone()), (UrlFlag::Legacy, vec!["tenant=7".to_string()]));
        let t = TenantUrl::parse("https://x.test/scim?aadOptscim062020=true").unwrap();
        assert_eq!(t.flag, UrlFlag::Compliant);
        assert_eq!(TenantUrl::parse("https://x.test").unwrap().flag, UrlFlag::None);
    }

    #[test]
    fn non_http_urls_are_rejected() {
        assert!(TenantUrl::parse("ftp://x.test/scim").is_err());
        assert!(TenantUrl::parse("not a url").is_err());
    }
}
