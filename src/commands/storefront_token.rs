//! `bcconn storefront-token create|revoke`: storefront tokens for a
//! store's channels, made with a connection's token. `create` prints the
//! token on stdout and nothing else there, or keeps it as a secret of the
//! connection (`--save NAME`), which `env` and `exec` then export.

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use secrecy::ExposeSecret;

use crate::connect::intake::stopped;
use crate::connect::ready;
use crate::connect::storefront::mint::{self, Draft, For, Revoked};
use crate::connect::storefront::{self, saved};
use crate::context::Context;
use crate::error::{ExitStatus, failure, usage};
use crate::text::shell_word;
use crate::ui;

#[derive(Debug, Subcommand)]
pub enum StorefrontTokenCommand {
    /// Make a storefront token for channels: printed on stdout, or kept with --save NAME
    Create(CreateArgs),
    /// Revoke a storefront token at BigCommerce; a saved one is forgotten too
    Revoke(RevokeArgs),
}

/// `--for`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ForArg {
    /// A storefront token for code in browsers (/v3/storefront/api-token)
    Browser,
    /// A private token for server-side code (/v3/storefront/api-token-private)
    Server,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn storefront-token create                # walk through it\n  \
    bcconn storefront-token create -c shop --channel 1 --for server --scopes Unauthenticated,Customer --expires 90d --save server\n  \
    bcconn storefront-token create --channel 1 --for browser --cors-origin https://shop.example.com --expires 2026-12-31 --save web\n  \
    bcconn storefront-token create --channel 1 --expires 1d --customer-impersonation\n\n\
    The token goes to stdout and nothing else does. --for server makes a private token \
    (for server-side code: Catalyst, Next.js); --for browser makes a storefront token, \
    which works only from browsers once made after 2026-06-30 (BigCommerce's rule). \
    --expires takes a duration (30d, 12h, 1y) or a date (2026-12-31, midnight UTC) or an \
    RFC 3339 time; expires_at is always sent. With --save NAME the token is not printed: \
    it is kept with the connection (in the secret store, like its access token), shown \
    by `bcconn show` without the token, exported by `bcconn env` and `bcconn exec` as \
    BIGCOMMERCE_STOREFRONT_TOKEN with its first channel as BIGCOMMERCE_CHANNEL_ID. The \
    connection needs scope store_storefront_api \
    (store_storefront_api_customer_impersonation for --customer-impersonation). On a \
    terminal, missing flags are asked for. Exit codes: 0 made; 1 BigCommerce refused (its \
    message on stderr) or did not answer; 2 bad input.")]
pub struct CreateArgs {
    /// The connection to use (default: BCCONN_CONNECTION, then .bcconn, then `bcconn use --global`)
    #[arg(short = 'c', long = "connection", value_name = "NAME")]
    pub connection: Option<String>,
    /// A channel the token is for (repeat for several; see `bcconn channels`)
    #[arg(long = "channel", value_name = "ID")]
    pub channels: Vec<u64>,
    /// When it ends: a duration (30d, 12h, 1y) or a date (2026-12-31) or RFC 3339 time
    #[arg(long, value_name = "DURATION|DATE")]
    pub expires: Option<String>,
    /// Who uses it: code in browsers, or on a server (a private token)
    #[arg(
        long = "for",
        value_enum,
        value_name = "WHO",
        conflicts_with = "customer_impersonation"
    )]
    pub audience: Option<ForArg>,
    /// With --for browser: an origin allowed to use it, scheme://host[:port] (at most 2)
    #[arg(long = "cors-origin", value_name = "URL")]
    pub cors_origins: Vec<String>,
    /// With --for server: the private token's scopes, from Unauthenticated,Customer,B2B
    #[arg(long = "scopes", value_name = "SCOPE,..")]
    pub token_scopes: Option<String>,
    /// A customer impersonation token (its own endpoint and scope) instead
    #[arg(long)]
    pub customer_impersonation: bool,
    /// Keep the token with the connection under this name instead of printing it
    #[arg(long, value_name = "TOKEN_NAME")]
    pub save: Option<String>,
    /// With --save: replace a token saved under that name
    #[arg(long, requires = "save")]
    pub replace: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn storefront-token revoke -c shop --saved web\n  \
    pass show sf-token | bcconn storefront-token revoke --token-stdin\n\n\
    Sends DELETE /v3/storefront/api-token with the token in the Sf-Api-Token header (never \
    on the command line). A saved token is then forgotten (record and secret). When \
    BigCommerce does not know the token (it expired, was revoked already, or is of another \
    store), revoke says so and exits 1, and a saved one is kept: add --forget to forget it \
    anyway. Any other failure (no answer, a missing scope) keeps it whatever --forget says: \
    the token may still work. Exit codes: 0 revoked (or, with --forget, forgotten); 1 not \
    revoked; 2 bad input.")]
#[command(group = clap::ArgGroup::new("which").required(true).args(["saved", "token_stdin"]))]
pub struct RevokeArgs {
    /// The connection to use (default: BCCONN_CONNECTION, then .bcconn, then `bcconn use --global`)
    #[arg(short = 'c', long = "connection", value_name = "NAME")]
    pub connection: Option<String>,
    /// Revoke the token saved under this name, then forget it
    #[arg(long, value_name = "TOKEN_NAME")]
    pub saved: Option<String>,
    /// Read the token to revoke from stdin (one line)
    #[arg(long)]
    pub token_stdin: bool,
    /// With --saved: forget it even when BigCommerce does not know the token (expired or revoked already)
    #[arg(long, requires = "saved")]
    pub forget: bool,
}

pub fn run(ctx: &Context, cmd: StorefrontTokenCommand) -> Result<ExitStatus> {
    match cmd {
        StorefrontTokenCommand::Create(args) => create(ctx, args),
        StorefrontTokenCommand::Revoke(args) => revoke(ctx, args),
    }
}

/// The flags as a [`Draft`], each checked; a combination that does not go
/// together is refused.
fn draft(ctx: &Context, args: &CreateArgs) -> Result<Draft> {
    let for_ = match (args.audience, args.customer_impersonation) {
        (Some(ForArg::Browser), _) => Some(For::Browser),
        (Some(ForArg::Server), _) => Some(For::Server),
        (None, true) => Some(For::Impersonation),
        (None, false) => None,
    };
    if !args.cors_origins.is_empty() && for_.is_some_and(|f| f != For::Browser) {
        return Err(usage("--cors-origin is for browser tokens only")
            .hint("use it with --for browser; a server or impersonation token is not used from a browser")
            .into());
    }
    if args.token_scopes.is_some() && for_.is_some_and(|f| f != For::Server) {
        return Err(usage("--scopes is for server (private) tokens only")
            .hint("use it with --for server")
            .into());
    }
    let channels = if args.channels.is_empty() {
        Vec::new()
    } else {
        mint::channels(&args.channels).map_err(usage)?
    };
    let origins = mint::origins(&args.cors_origins).map_err(usage)?;
    let scopes = match &args.token_scopes {
        Some(text) => Some(mint::server_scopes(text).map_err(usage)?),
        None => None,
    };
    let expires_at = match &args.expires {
        Some(text) => Some(mint::expiry(text, ctx.clock.now()).map_err(usage)?),
        None => None,
    };
    // Origins without --for mean a browser token, scopes a server one.
    let for_ = match (for_, origins.is_empty(), scopes.is_some()) {
        (Some(f), _, _) => Some(f),
        (None, false, true) => {
            return Err(usage("--cors-origin and --scopes are for different tokens")
                .hint("--cors-origin is for --for browser, --scopes for --for server")
                .into());
        }
        (None, false, false) => Some(For::Browser),
        (None, true, true) => Some(For::Server),
        (None, true, false) => None,
    };
    Ok(Draft {
        channels,
        for_,
        origins,
        scopes,
        expires_at,
    })
}

fn create(ctx: &Context, args: CreateArgs) -> Result<ExitStatus> {
    let mut target = storefront::target(ctx, args.connection.as_deref())?;
    let mut draft = draft(ctx, &args)?;
    if let Some(name) = &args.save {
        saved::check_new(&target.conn, name, args.replace)?;
    }
    let missing = draft.missing();
    let save = if missing.is_empty() {
        args.save.clone()
    } else if ctx.interactive {
        crate::wizard::storefront::walk(
            ctx,
            &mut target,
            &mut draft,
            args.save.clone(),
            args.replace,
        )?
    } else {
        return Err(usage(format!("missing: {}", missing.join(", ")))
            .hint("give them as flags (there is no terminal to ask); `bcconn channels` lists the channel ids")
            .into());
    };
    let spec = draft
        .spec()
        .ok_or_else(|| failure("the token request is incomplete"))?;
    // The token must have somewhere to go before it is made.
    if save.is_some() {
        ready::secret_store(ctx)?;
    }
    let token = mint::create(ctx, &mut target, &spec)?;
    if spec.kind.stored() == crate::store::StorefrontKind::Browser {
        ctx.ui.say("note: this token is for browsers only: BigCommerce ends server-to-server use of storefront tokens made after 2026-06-30. For server-side code, make a private token with --for server.");
    }
    let Some(name) = save else {
        ui::out(&format!("{}\n", token.expose_secret()))?;
        return Ok(ExitStatus::Success);
    };
    // The token being replaced, read before it is forgotten: revoked once
    // the new one is kept, so that no token lives that nobody holds.
    let old_secret = match args.replace {
        true => target
            .conn
            .storefront_tokens
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| saved::secret(ctx, &target.conn, t).ok()),
        false => None,
    };
    let kept = match saved::save(ctx, &target.conn, &name, &spec, &token, args.replace) {
        Ok(kept) => kept,
        Err(e) => {
            // Made but not kept: revoked, so that no token lives that
            // nobody holds.
            let undone = mint::revoke(ctx, &mut target, &token);
            let (status, message, hints) = crate::error::report(&e).into_parts();
            let mut f = crate::error::Failure::new(
                status,
                format!(
                    "{message}; {}",
                    match undone {
                        Ok(Revoked::Done) => "the token made was revoked",
                        _ => "the token made could not be revoked: it works until it expires",
                    }
                ),
            );
            if let Some(h) = hints {
                f = f.hint(h);
            }
            return Err(f.into());
        }
    };
    let c = &target.conn.clone();
    ctx.ui.step(&format!(
        "Saved storefront token {:?} of {:?} ({}, channel{} {}, expires {}) in {}",
        name,
        c.name,
        kept.token.kind.as_str(),
        if spec.channels.len() == 1 { "" } else { "s" },
        spec.channels
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        mint::shown_time(spec.expires_at),
        kept.token.secret_store.describe()
    ));
    if let Some(old) = &kept.replaced {
        let until = mint::shown_time(old.expires_at);
        let revoked = old_secret.map(|secret| mint::revoke(ctx, &mut target, &secret));
        match revoked {
            Some(Ok(Revoked::Done)) => ctx.ui.say(&format!(
                "It replaced the token saved as {name:?}, which was revoked at BigCommerce."
            )),
            Some(Ok(Revoked::Unknown(_))) => ctx.ui.say(&format!(
                "It replaced the token saved as {name:?}, which BigCommerce no longer knew (expired or revoked already)."
            )),
            Some(Err(e)) => ctx.ui.warn(&format!(
                "it replaced the token saved as {name:?}, which could not be revoked ({}): it works at BigCommerce until it expires ({until})",
                crate::error::message(&e)
            )),
            None => ctx.ui.warn(&format!(
                "it replaced the token saved as {name:?}, whose secret was gone, so it was not revoked: it works at BigCommerce until it expires ({until})"
            )),
        }
    }
    ctx.ui.say(&format!(
        "`bcconn env {0}` and `bcconn exec {0} -- CMD` export it as BIGCOMMERCE_STOREFRONT_TOKEN{1}.",
        shell_word(&c.name),
        if c.storefront_tokens.iter().any(|t| t.name != name) {
            format!(" (the most recently saved; --storefront {} picks it by name)", shell_word(&name))
        } else {
            String::new()
        }
    ));
    Ok(ExitStatus::Success)
}

/// The most read of stdin for `--token-stdin`.
const TOKEN_STDIN_MAX: u64 = 64 * 1024;

fn revoke(ctx: &Context, args: RevokeArgs) -> Result<ExitStatus> {
    let mut target = storefront::target(ctx, args.connection.as_deref())?;
    let (token, saved_as) = match &args.saved {
        Some(name) => {
            let t = saved::require(&target.conn, name)?.clone();
            match saved::secret(ctx, &target.conn, &t) {
                Ok(secret) => (secret, Some(t)),
                // Nothing to revoke with: forgetting is all that is left.
                Err(_) if args.forget => {
                    let c = target.conn.clone();
                    saved::forget(ctx, &c, &t.name)?;
                    ctx.ui.step(&format!(
                        "The storefront token {:?} of {:?} had no secret left to revoke with: forgotten (it works at BigCommerce until it expires, {})",
                        t.name,
                        c.name,
                        mint::shown_time(t.expires_at)
                    ));
                    return Ok(ExitStatus::Success);
                }
                Err(e) => {
                    let (status, message, hints) = crate::error::report(&e).into_parts();
                    let mut f = crate::error::Failure::new(status, message);
                    if let Some(h) = hints {
                        f = f.hint(h);
                    }
                    return Err(f
                        .also(format!(
                            "to forget it without revoking, add --forget: `bcconn storefront-token revoke -c {} --saved {} --forget`",
                            shell_word(&target.conn.name),
                            shell_word(&t.name)
                        ))
                        .into());
                }
            }
        }
        None => (read_token(ctx)?, None),
    };
    let said = mint::revoke(ctx, &mut target, &token)?;
    let c = target.conn.clone();
    match (said, saved_as) {
        (Revoked::Done, None) => {
            ctx.ui
                .step("Revoked: BigCommerce has scheduled the token's revocation");
            Ok(ExitStatus::Success)
        }
        (Revoked::Done, Some(t)) => {
            saved::forget(ctx, &c, &t.name)?;
            ctx.ui.step(&format!(
                "Revoked the storefront token {:?} of {:?} and forgot it",
                t.name, c.name
            ));
            Ok(ExitStatus::Success)
        }
        (Revoked::Unknown(why), Some(t)) if args.forget => {
            saved::forget(ctx, &c, &t.name)?;
            ctx.ui.step(&format!(
                "BigCommerce does not know the storefront token {:?} ({why}): forgotten",
                t.name
            ));
            Ok(ExitStatus::Success)
        }
        (Revoked::Unknown(why), saved_as) => {
            let f = failure(format!(
                "BigCommerce does not know this token ({why}): it expired, was revoked already, or is of another store than {}",
                c.store_hash
            ));
            Err(match saved_as {
                Some(t) => f.hint(format!(
                    "it is still saved as {:?}; forget it with `bcconn storefront-token revoke -c {} --saved {} --forget`",
                    t.name,
                    shell_word(&c.name),
                    shell_word(&t.name)
                )),
                None => f,
            }
            .into())
        }
    }
}

/// One token from stdin: one non-empty line, printable, bounded.
fn read_token(ctx: &Context) -> Result<secrecy::SecretString> {
    if ctx.stdin.is_terminal() {
        if !ctx.interactive {
            return Err(
                usage("--token-stdin reads the token from stdin, which is a terminal").into(),
            );
        }
        return ctx
            .ask(|p| p.secret("Storefront token:", "input is hidden", "the token is empty"))
            .map_err(stopped);
    }
    let bytes = ctx
        .stdin
        .read_bounded(TOKEN_STDIN_MAX)
        .map_err(|e| usage(format!("--token-stdin: cannot read stdin: {e}")))?;
    let refuse = |why: &str| -> anyhow::Error {
        usage(format!("--token-stdin: {why}"))
            .hint("pipe one token, e.g. `pass show sf-token | bcconn storefront-token revoke --token-stdin`")
            .into()
    };
    if bytes.len() as u64 > TOKEN_STDIN_MAX {
        return Err(refuse("stdin holds more than a token"));
    }
    let text = secrecy::zeroize::Zeroizing::new(
        String::from_utf8(bytes).map_err(|_| refuse("stdin is not text"))?,
    );
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(line) = lines.next() else {
        return Err(refuse("stdin holds no token"));
    };
    if lines.next().is_some() {
        return Err(refuse(
            "stdin holds more than one line; give one token at a time",
        ));
    }
    if !line.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(refuse(
            "the token holds spaces or characters a header cannot carry",
        ));
    }
    Ok(secrecy::SecretString::from(line.to_string()))
}
