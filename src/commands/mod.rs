//! One module per verb. Each exposes `run(ctx, args) -> Result<ExitStatus>`: it reads its arguments, calls the connection core (`crate::connect`),
//! and prints. No command imports another. Each verb's clap arguments live
//! beside it; `cli` holds only what they share: the parser, the list of
//! verbs, and the flag groups several verbs flatten.

pub mod api;
pub mod authorize;
pub mod callback_url;
pub mod channels;
pub mod cli;
pub mod completions;
pub mod create;
pub mod delete;
pub mod doctor;
pub mod edit;
pub mod env;
pub mod exec;
pub mod history;
pub mod hooks;
pub mod iclient;
pub mod list;
pub mod man;
pub mod records;
pub mod rename;
pub mod scopes;
pub mod secrets;
pub mod show;
pub mod status;
pub mod store;
pub mod storefront_token;
pub mod token;
pub mod use_;
pub mod version;

use anyhow::Result;

use crate::context::Context;
use crate::error::ExitStatus;
use cli::Command;

pub fn run(ctx: &Context, command: Command) -> Result<ExitStatus> {
    ctx.records.set_verb(verb(&command));
    let progress = ctx.progress.clone();
    ctx.records
        .on_notice(move |n| crate::connect::say_notice(progress.as_ref(), n));
    // A setting every change needs, refused before anything is done; doctor
    // still runs (with the default wait) to look at the rest.
    if !matches!(command, Command::Doctor(_)) {
        ctx.env.lock_wait()?;
    }
    let result = dispatch(ctx, command);
    // What killed runs left in the secret stores goes with the next write.
    if ctx.records.wrote() {
        crate::connect::commit::tidy_secrets(ctx);
    }
    result
}

fn dispatch(ctx: &Context, command: Command) -> Result<ExitStatus> {
    match command {
        Command::Create(args) => create::run(ctx, args),
        Command::Authorize(args) => authorize::run(ctx, args),
        Command::List(args) => list::run(ctx, args),
        Command::Show(args) => show::run(ctx, args),
        Command::Edit(args) => edit::run(ctx, args),
        Command::Rename(args) => rename::run(ctx, args),
        Command::Delete(args) => delete::run(ctx, args),
        Command::Status(args) => status::run(ctx, args),
        Command::Token(args) => token::run(ctx, args),
        Command::Iclient(cmd) => iclient::run(ctx, cmd),
        Command::Scopes(args) => scopes::run(ctx, args),
        Command::CallbackUrl(args) => callback_url::run(ctx, args),
        Command::Api(args) => api::run(ctx, args),
        Command::StorefrontToken(cmd) => storefront_token::run(ctx, cmd),
        Command::Channels(args) => channels::run(ctx, args),
        Command::Env(args) => env::run(ctx, args),
        Command::Exec(args) => exec::run(ctx, args),
        Command::History(args) => history::run(ctx, args),
        Command::Use(args) => use_::run(ctx, args),
        Command::Doctor(args) => doctor::run(ctx, args),
        Command::Completions(args) => completions::run(ctx, args),
        Command::Man(args) => man::run(ctx, args),
        Command::Export(args) => records::export(ctx, args),
        Command::Import(args) => records::import(ctx, args),
        Command::Backup(args) => records::backup(ctx, args),
        Command::Restore(args) => records::restore(ctx, args),
        Command::Secrets(cmd) => secrets::run(ctx, cmd),
        Command::Store(cmd) => store::run(ctx, cmd),
        Command::Hooks(cmd) => hooks::run(ctx, cmd),
        Command::Version(args) => version::run(ctx, args),
    }
}

/// The command as the audit trail names it: every change a run makes is
/// recorded with this verb (the commands spelled as a person types them).
fn verb(command: &Command) -> &'static str {
    use hooks::HooksCommand as H;
    use iclient::IclientCommand as I;
    use secrets::SecretsCommand as S;
    use store::StoreCommand as T;
    use storefront_token::StorefrontTokenCommand as F;
    match command {
        Command::Create(_) => "create",
        Command::Authorize(_) => "authorize",
        Command::List(_) => "list",
        Command::Show(_) => "show",
        Command::Edit(_) => "edit",
        Command::Rename(_) => "rename",
        Command::Delete(_) => "delete",
        Command::Status(_) => "status",
        Command::Token(_) => "token",
        Command::Iclient(I::Add(_)) => "iclient add",
        Command::Iclient(I::Edit(_)) => "iclient edit",
        Command::Iclient(I::List(_)) => "iclient list",
        Command::Iclient(I::Show(_)) => "iclient show",
        Command::Iclient(I::Remove(_)) => "iclient remove",
        Command::Scopes(_) => "scopes",
        Command::CallbackUrl(_) => "callback-url",
        Command::Api(_) => "api",
        Command::StorefrontToken(F::Create(_)) => "storefront-token create",
        Command::StorefrontToken(F::Revoke(_)) => "storefront-token revoke",
        Command::Channels(_) => "channels",
        Command::Env(_) => "env",
        Command::Exec(_) => "exec",
        Command::History(_) => "history",
        Command::Use(_) => "use",
        Command::Doctor(_) => "doctor",
        Command::Completions(_) => "completions",
        Command::Man(_) => "man",
        Command::Export(_) => "export",
        Command::Import(_) => "import",
        Command::Backup(_) => "backup",
        Command::Restore(_) => "restore",
        Command::Secrets(S::NewKey(_)) => "secrets new-key",
        Command::Secrets(S::RotateKey(_)) => "secrets rotate-key",
        Command::Secrets(S::Move(_)) => "secrets move",
        Command::Store(T::Migrate) => "store migrate",
        Command::Store(T::Grants) => "store grants",
        Command::Store(T::Copy(_)) => "store copy",
        Command::Hooks(H::List(_)) => "hooks list",
        Command::Hooks(H::Create(_)) => "hooks create",
        Command::Hooks(H::Enable(_)) => "hooks enable",
        Command::Hooks(H::Disable(_)) => "hooks disable",
        Command::Hooks(H::Delete(_)) => "hooks delete",
        Command::Version(_) => "version",
    }
}
