//! One module per verb. Each exposes `run(ctx, args) -> Result<ExitStatus>`: it reads its arguments, calls the connection core (`crate::connect`),
//! and prints. No command imports another. Each verb's clap arguments live
//! beside it; `cli` holds only what they share: the parser, the list of
//! verbs, and the flag groups several verbs flatten.

pub mod api;
pub mod authorize;
pub mod callback_url;
pub mod cli;
pub mod completions;
pub mod create;
pub mod delete;
pub mod doctor;
pub mod edit;
pub mod env;
pub mod exec;
pub mod iclient;
pub mod list;
pub mod man;
pub mod records;
pub mod rename;
pub mod scopes;
pub mod secrets;
pub mod show;
pub mod status;
pub mod token;
pub mod use_;

use anyhow::Result;

use crate::context::Context;
use crate::error::ExitStatus;
use cli::Command;

pub fn run(ctx: &Context, command: Command) -> Result<ExitStatus> {
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
        Command::Env(args) => env::run(ctx, args),
        Command::Exec(args) => exec::run(ctx, args),
        Command::Use(args) => use_::run(ctx, args),
        Command::Doctor(args) => doctor::run(ctx, args),
        Command::Completions(args) => completions::run(ctx, args),
        Command::Man(args) => man::run(ctx, args),
        Command::Export(args) => records::export(ctx, args),
        Command::Import(args) => records::import(ctx, args),
        Command::Backup(args) => records::backup(ctx, args),
        Command::Restore(args) => records::restore(ctx, args),
        Command::Secrets(cmd) => secrets::run(ctx, cmd),
    }
}
