//! `bcconn doctor`: run the checks (`crate::connect::doctor`) and print them.
//! Exits 3 when any check fails; warnings alone exit 0.

use anyhow::Result;
use clap::Args;

use crate::connect::doctor::{self, Finding, Options, Verdict};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::ui;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  bcconn doctor                 check everything; exits 3 when a check fails
  bcconn doctor --fix           also remove stale temp files and orphan secrets, tighten file modes
  bcconn doctor --json | jq '.[] | select(.verdict != \"ok\")'

Checks: home, records, permissions, temp_files, secret_store (with its timing), orphan_secrets, \
callback_port (per iClient), browser (or headless), siblings, last_verified (30 days), \
login_endpoint, api_endpoint, clock. Each says ok, warn or fail, and what to do.")]
pub struct DoctorArgs {
    /// Print JSON: an array of {check, subject, verdict, detail, fix, fixed, ms}
    #[arg(long)]
    pub json: bool,
    /// Remove stale temp files and orphan secrets, and make bcconn's files private
    #[arg(long)]
    pub fix: bool,
}

pub fn run(ctx: &Context, args: DoctorArgs) -> Result<ExitStatus> {
    let findings = doctor::run(
        ctx,
        &Options {
            fix: args.fix,
            ..Options::default()
        },
    );
    if args.json {
        ui::out_json(&findings)?;
    } else {
        let color = ui::Ui::stdout_color(ctx.env.no_color);
        let width = ctx.ui.table_width(ctx.env.columns, false);
        ui::out(&text(&findings, color, width))?;
    }
    let count = |v| findings.iter().filter(|f| f.verdict == v).count();
    let (warn, fail) = (count(Verdict::Warn), count(Verdict::Fail));
    ctx.ui.say(&format!(
        "{} checks: {} ok, {warn} warning{}, {fail} failure{}",
        findings.len(),
        count(Verdict::Ok),
        if warn == 1 { "" } else { "s" },
        if fail == 1 { "" } else { "s" },
    ));
    Ok(match doctor::worst(&findings) {
        Verdict::Fail => ExitStatus::NotOk,
        _ => ExitStatus::Success,
    })
}

/// `ok    secret store (file): …`, then `fix:` and `fixed:` lines under it;
/// with `color`, the verdict coloured as `status` colours its own; each
/// wrapped to `width` under its first word.
fn text(findings: &[Finding], color: bool, width: Option<usize>) -> String {
    let mut out = String::new();
    for f in findings {
        let name = f.check.replace('_', " ");
        let label = match &f.subject {
            Some(s)
                if !matches!(
                    f.check,
                    "home"
                        | "records"
                        | "writer"
                        | "killed_writes"
                        | "permissions"
                        | "temp_files"
                        | "orphan_secrets"
                        | "login_endpoint"
                        | "api_endpoint"
                        | "clock"
                ) =>
            {
                format!("{name} ({s})")
            }
            _ => name,
        };
        let ms = f.ms.map(|ms| format!(" [{ms} ms]")).unwrap_or_default();
        let verdict = f.verdict.as_str();
        let pad = " ".repeat(5usize.saturating_sub(verdict.len()));
        let verdict = match ui::verdict_color(verdict).filter(|_| color) {
            Some(style) => ui::painted(style, verdict),
            None => verdict.to_string(),
        };
        let said = format!("{label}: {}{ms}", f.detail);
        out.push_str(&format!("{verdict}{pad} {}\n", ui::hang(&said, 6, width)));
        if let Some(fixed) = &f.fixed {
            out.push_str(&format!("      fixed: {}\n", ui::hang(fixed, 13, width)));
        }
        if let Some(fix) = &f.fix
            && f.verdict != Verdict::Ok
        {
            out.push_str(&format!("      fix: {}\n", ui::hang(fix, 11, width)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_coloured_only_when_asked() {
        let finding = |verdict, detail: &str| Finding {
            check: "home",
            subject: None,
            verdict,
            detail: detail.into(),
            fix: None,
            fixed: None,
            ms: None,
        };
        let findings = [
            finding(Verdict::Ok, "fine"),
            finding(Verdict::Warn, "hm"),
            finding(Verdict::Fail, "bad"),
        ];
        assert_eq!(
            text(&findings, false, None),
            "ok    home: fine\nwarn  home: hm\nfail  home: bad\n"
        );
        assert_eq!(
            text(&findings, true, None),
            "\x1b[32mok\x1b[0m    home: fine\n\x1b[33mwarn\x1b[0m  home: hm\n\x1b[31mfail\x1b[0m  home: bad\n"
        );
    }
}
