//! bcconn: manage OAuth 2.0 connections to BigCommerce stores.
//!
//! `main` stays thin: parse the command line, build the [`Context`] (the
//! environment, the record store and the seams to the outside world), run the
//! command, and turn an error into one printed message and an exit code.

use std::process::ExitCode;

use bcconn::{cli, commands, context, env, error};

fn main() -> ExitCode {
    // First, so that a panic anywhere after (in a prompt above all) leaves
    // the terminal usable even when the release build aborts.
    bcconn::ui::put_back_the_terminal_on_panic();
    // `--jq` runs its filter in a child: this same program, as the hidden
    // `bcconn __jq EXPR` (never parsed by clap, so never in help or
    // completions).
    if let Some(code) = bcconn::jq::child_entry() {
        return ExitCode::from(code);
    }
    // A Tab in a shell set up by `bcconn completions` (BCCONN_COMPLETE set):
    // answer it and exit before anything else runs.
    commands::completions::complete();
    let cli = match cli::read(std::env::args_os().collect()) {
        Ok(cli::Line::Run(cli)) => *cli,
        Ok(cli::Line::Topic(topic)) => {
            // Wrapped to the terminal (or COLUMNS), as clap's help is.
            let ctx = context::Context::new(env::Env::from_process());
            let text = topic.text(ctx.ui.table_width(ctx.env.columns, false));
            return match bcconn::ui::out(&text) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            };
        }
        Err(cli::Refusal::Clap(e)) => e.exit(),
        Err(cli::Refusal::Ours(failure)) => {
            let ctx = context::Context::new(env::Env::from_process());
            ctx.ui.error(&failure.message, &failure.hints);
            return ExitCode::from(failure.status.code());
        }
    };
    let env = env::Env::from_process();
    init_tracing(cli.verbose);
    let ctx = context::Context::new(env);
    let status = match commands::run(&ctx, cli.command) {
        Ok(status) => status,
        Err(err) => {
            let report = error::report(&err);
            if !report.message.is_empty() {
                ctx.ui.error(&report.message, &report.hints);
            }
            report.status
        }
    };
    ExitCode::from(status.code())
}

/// `-v` shows bcconn's own diagnostics, `-vv` also its libraries'. Secrets
/// are wrapped in types whose Debug output is redacted, so nothing logged
/// here can hold one.
fn init_tracing(verbose: u8) {
    if verbose == 0 {
        return;
    }
    let filter = match verbose {
        1 => "bcconn=debug",
        _ => "bcconn=trace,reqwest=debug,hyper_util=debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(bcconn::ui::stderr)
        .with_target(false)
        .without_time()
        .init();
}
