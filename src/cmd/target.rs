//! Where a command sends its traffic: the target from `--target` (the embedded endpoint when there is none),
//! its bearer token or OAuth client credentials, the TLS options, and how reports name it without its secret.

use crate::app::Context;
use crate::cli::TargetArgs;
use crate::engine::Target;
use crate::error::Error;
use crate::scim::client::{Auth, Secret};
use crate::scim::oauth::OAuthConfig;

/// The bearer token from `--token`, `--token-env VAR`, or `ENTRASIM_TOKEN`, in that order.
pub fn resolve_token(args: &TargetArgs) -> Result<Option<String>, Error> {
    if let Some(token) = &args.token {
        return Ok(Some(token.clone()));
    }
    if let Some(var) = &args.token_env {
        return match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(Some(v)),
            _ => Err(Error::Other(format!("--token-env names `{var}`, but that environment variable is not set"))),
        };
    }
    Ok(std::env::var("ENTRASIM_TOKEN").ok().filter(|v| !v.is_empty()))
}

/// The engine target from `--target` and the token or OAuth flags.
pub fn resolve_target(args: &TargetArgs) -> Result<Target, Error> {
    // Checked even without --target: a flag naming an unset variable is a mistake worth saying.
    let token = resolve_token(args)?;
    let Some(url) = &args.target else { return Ok(Target::Embedded) };
    let auth = match &args.oauth_token_url {
        Some(token_url) => {
            let var = args.client_secret_env.clone().unwrap_or_else(|| "ENTRASIM_CLIENT_SECRET".into());
            let secret = std::env::var(&var).ok().filter(|v| !v.is_empty()).ok_or_else(|| {
                Error::Other(format!("the OAuth client secret is read from `{var}`, which is not set"))
            })?;
            Auth::OAuth(OAuthConfig {
                token_url: token_url.clone(),
                client_id: args.client_id.clone().unwrap_or_default(),
                client_secret: Secret::new(secret),
                scope: args.scope.clone(),
            })
        }
        None => token.map_or(Auth::None, |t| Auth::Bearer(Secret::new(t))),
    };
    Ok(Target::Url { url: url.clone(), auth })
}

/// `--ca-cert` and `--insecure` as run options (the certificate read now, so a bad path fails early).
pub fn tls_options(args: &TargetArgs, ctx: &Context) -> Result<(Option<Vec<u8>>, bool), Error> {
    let ca = match &args.ca_cert {
        Some(path) => Some(std::fs::read(path).map_err(|e| Error::io(format!("reading `{}`", path.display()), e))?),
        None => None,
    };
    if args.insecure {
        eprintln!(
            "{} --insecure: TLS certificates are not checked; anyone on the path can read and change this traffic",
            warning_label(ctx)
        );
    }
    Ok((ca, args.insecure))
}

/// `warning:` as stderr shows it.
pub fn warning_label(ctx: &Context) -> String {
    ctx.stderr_paint().bold_yellow("warning:")
}

/// The secret a target is reached with, to redact from everything the run writes.
pub fn target_secret(target: &Target) -> Option<String> {
    match target {
        Target::Url { auth: Auth::Bearer(secret), .. } => Some(secret.expose().to_string()),
        Target::Url { auth: Auth::OAuth(o), .. } => Some(o.client_secret.expose().to_string()),
        _ => None,
    }
}

/// How reports name the target: the URL as given (never a token), or `embedded`.
pub fn target_display(args: &TargetArgs) -> String {
    args.target.clone().unwrap_or_else(|| "embedded".into())
}
