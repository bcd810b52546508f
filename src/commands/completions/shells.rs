//! How each shell reads a completed name back: the shells bcconn answers,
//! each wrapped to quote names its way.

use clap_complete::env::{EnvCompleter, Shells};

/// How a shell needs a completed name written so that entering the line
/// gives back the name and runs nothing: bash inserts a reply as it is (a
/// name holding `$(…)` ran when the line was entered), PowerShell too;
/// zsh (`compadd`) and fish quote what they insert themselves, so quoting
/// there would put the quotes into the name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Quote {
    AsIs,
    /// `'…'`, a `'` written `'\''` (bash).
    Posix,
    /// `'…'`, a `'` written `''` (PowerShell).
    PowerShell,
}

thread_local! {
    /// The quoting of the shell this run answers (set before the engine
    /// calls the name completers, which cannot be told otherwise).
    pub(super) static QUOTE: std::cell::Cell<Quote> = const { std::cell::Cell::new(Quote::AsIs) };
}

/// A built-in shell whose completion answer quotes saved names its way.
struct Quoting {
    shell: &'static dyn EnvCompleter,
    quote: Quote,
}

impl EnvCompleter for Quoting {
    fn name(&self) -> &'static str {
        self.shell.name()
    }

    fn is(&self, name: &str) -> bool {
        self.shell.is(name)
    }

    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        if self.quote != Quote::Posix {
            return self
                .shell
                .write_registration(var, name, bin, completer, buf);
        }
        // clap's bash script puts the program inside double quotes after
        // quoting it for the shell: a path with a space was called with its
        // quotes in the name (no completion), and `$(…)` or a backquote in
        // it ran at every Tab. Written here for double quotes instead.
        let mut script = Vec::new();
        self.shell
            .write_registration(var, name, bin, PLACEHOLDER, &mut script)?;
        let script = String::from_utf8_lossy(&script).replace(
            &format!("\"{PLACEHOLDER}\""),
            &format!("\"{}\"", in_double_quotes(completer)),
        );
        buf.write_all(script.as_bytes())
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<std::ffi::OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        QUOTE.with(|q| q.set(self.quote));
        self.shell.write_complete(cmd, args, current_dir, buf)
    }
}

/// Stands for the program in clap's bash script until it is quoted.
const PLACEHOLDER: &str = "bcconn-completer-placeholder";

/// `text` as it must be written between double quotes in bash: `\`, `"`,
/// `$` and a backquote escaped.
fn in_double_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(super) const SHELLS: Shells<'static> = Shells(&[
    &Quoting {
        shell: &clap_complete::env::Bash,
        quote: Quote::Posix,
    },
    &Quoting {
        shell: &clap_complete::env::Zsh,
        quote: Quote::AsIs,
    },
    &Quoting {
        shell: &clap_complete::env::Fish,
        quote: Quote::AsIs,
    },
    &Quoting {
        shell: &clap_complete::env::Powershell,
        quote: Quote::PowerShell,
    },
    // Not offered by `bcconn completions`; answered as clap does.
    &Quoting {
        shell: &clap_complete::env::Elvish,
        quote: Quote::AsIs,
    },
]);
