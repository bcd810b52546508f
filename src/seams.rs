//! The small traits through which the core reaches a person: a
//! [`Progress`] sink for status lines while something runs, a [`Prompter`]
//! for questions, and a [`Browser`] for the consent page. The terminal
//! implements the first two (`crate::ui`), `loopback::browser` the third;
//! tests implement them with recorders, scripts and a browser of their own,
//! so the flow and the walk-through run in-process without a terminal.
//!
//! Nothing below `commands/` and `wizard/` talks to the terminal any other way.

use std::time::Duration;

use secrecy::SecretString;

/// Status while something runs, on stderr for a person.
pub trait Progress {
    /// A completed step: "✓ Code exchanged".
    fn step(&self, text: &str);
    /// A plain status line.
    fn say(&self, text: &str);
    fn warn(&self, text: &str);
    /// Waiting for `what`, with the time left; shown as a spinner where it
    /// can be. Called again to refresh it.
    fn waiting(&self, what: &str, left: Duration);
    /// The wait is over: take the spinner away.
    fn done_waiting(&self);
}

/// A [`Progress`] that keeps every line it is given, for tests: what the
/// terminal would have shown, in order (`✓ `, `warning: ` prefixes kept).
#[cfg(any(test, feature = "test-support"))]
#[derive(Default)]
pub struct Recorder {
    lines: std::cell::RefCell<Vec<String>>,
}

#[cfg(any(test, feature = "test-support"))]
impl Recorder {
    pub fn lines(&self) -> Vec<String> {
        self.lines.borrow().clone()
    }

    pub fn text(&self) -> String {
        self.lines.borrow().join("\n")
    }

    fn push(&self, line: String) {
        self.lines.borrow_mut().push(line);
    }
}

#[cfg(any(test, feature = "test-support"))]
impl Progress for Recorder {
    fn step(&self, text: &str) {
        self.push(format!("✓ {text}"));
    }

    fn say(&self, text: &str) {
        self.push(text.to_string());
    }

    fn warn(&self, text: &str) {
        self.push(format!("warning: {text}"));
    }

    fn waiting(&self, _what: &str, _left: Duration) {}

    fn done_waiting(&self) {}
}

/// A blocking read of one line, which may run on a thread of its own (so
/// that a wait can race it against a timeout, Ctrl-C or a callback).
pub type LineReader = Box<dyn FnOnce() -> Step<String> + Send>;

/// Why the walk stopped before a plan was complete.
#[derive(Debug)]
pub enum Stop {
    /// Ctrl-C, or "Cancel": leave; not an error, nothing is saved.
    Cancelled,
    /// Esc: go back one step. A walk of several steps re-asks the one
    /// before; a single question treats it as [`Stop::Cancelled`].
    Back,
    /// The terminal (or a file the person named) failed.
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Stop {
    fn from(e: anyhow::Error) -> Self {
        Stop::Failed(e)
    }
}

pub type Step<T> = Result<T, Stop>;

/// A line-input question. `check` runs on every submitted answer; an `Err`
/// is shown under the prompt and the question stays open, so what the walk
/// gets back has always passed it (except `default`, see [`Prompter::text`]).
pub struct Ask<'a> {
    pub message: &'a str,
    pub help: Option<&'a str>,
    pub default: Option<&'a str>,
    /// Text already in the line when the question opens (an earlier answer
    /// being changed), editable; unlike `default`, it is checked.
    pub initial: Option<&'a str>,
    pub check: &'a dyn Fn(&str) -> Result<(), String>,
}

/// Opens a URL in a browser: the real one (`loopback::browser::System`), or
/// a test's, which visits the consent page itself in the same process.
pub trait Browser {
    /// Starts it without waiting; the error says why none could start (the
    /// person can still open the printed URL by hand).
    fn open(&self, url: &str) -> Result<(), String>;
    /// Why no browser can open here, when that is known without trying.
    fn headless(&self) -> Option<&'static str> {
        None
    }
}

pub trait Prompter {
    /// A line of text. An empty answer takes `default` when there is one,
    /// without running `check` (inquire works that way), so callers offer
    /// only defaults that pass.
    fn text(&mut self, q: &Ask) -> Step<String>;
    /// A hidden line (no echo, no confirmation) that must not be blank;
    /// `empty_error` says so otherwise. Returned trimmed, as a secret, so
    /// that no plain copy of it is left to the caller to wipe.
    fn secret(&mut self, message: &str, help: &str, empty_error: &str) -> Step<SecretString>;
    /// One of `options`; returns its index.
    fn select(
        &mut self,
        message: &str,
        options: &[String],
        default: usize,
        help: Option<&str>,
    ) -> Step<usize>;
    /// Some of `options` (at least one: `empty_error` is shown otherwise);
    /// `selected` are ticked at the start. Returns indexes, ascending.
    fn multi_select(
        &mut self,
        message: &str,
        options: &[String],
        selected: &[usize],
        help: &str,
        empty_error: &str,
    ) -> Step<Vec<usize>>;
    fn confirm(&mut self, message: &str, default: bool, help: Option<&str>) -> Step<bool>;
    /// A status line between questions (stderr).
    fn say(&mut self, text: &str);
    /// A reader for one pasted line (`message` is its prompt), to run on a
    /// thread: a terminal asks with a prompt, a pipe gives its next line.
    fn line_reader(&self, message: &str) -> LineReader;
    /// `text` made to stand out, when the terminal may show it.
    fn bold(&self, text: &str) -> String {
        text.to_string()
    }
}

/// A prompter that plays back a script, for tests of the walk and the core
/// (never used by the binary).
#[cfg(any(test, feature = "test-support"))]
pub mod script {
    use std::collections::VecDeque;

    use super::*;

    /// One answer. Text answers that fail `check` are logged (`! message`)
    /// and the next answer is tried, the way a person retypes. A text
    /// question's `initial` and a select's pre-selection are logged as
    /// `  (prefilled …)` and `  (pre-selected …)`.
    #[derive(Debug, Clone)]
    pub enum Reply {
        /// Make the line read this (text and secret questions), whatever
        /// it held.
        Type(&'static str),
        /// Press Enter: submit the line as it is (the question's `initial`,
        /// or the answer last refused), checked; on an empty line, take the
        /// default unchecked. Elsewhere the pre-selection.
        Enter,
        /// Choose the option that starts with this text (select).
        Pick(&'static str),
        /// Tick exactly the options that contain these texts (multi-select).
        Tick(&'static [&'static str]),
        Yes,
        No,
        /// Ctrl-C.
        Cancel,
        /// Esc.
        Back,
    }

    /// Records every question, error and status line, in order.
    #[derive(Default)]
    pub struct Script {
        replies: VecDeque<Reply>,
        pub log: Vec<String>,
        /// What a paste-back read returns.
        pub pasted: Option<String>,
    }

    impl Script {
        pub fn new(replies: &[Reply]) -> Self {
            Script {
                replies: replies.iter().cloned().collect(),
                log: Vec::new(),
                pasted: None,
            }
        }

        pub fn transcript(&self) -> String {
            self.log.join("\n")
        }

        fn next(&mut self, question: &str) -> Reply {
            self.log.push(format!("? {question}"));
            self.replies.pop_front().unwrap_or_else(|| {
                panic!("script ran out at {question:?}\n{}", self.log.join("\n"))
            })
        }

        /// A line question as the terminal's editor answers it: the line
        /// opens holding `initial`, and a refused line stays for the next
        /// key, so Enter submits what the line holds (checked, as the real
        /// prompt does), and only an empty line takes the default.
        fn line(&mut self, q: &Ask) -> Step<String> {
            let mut held = q.initial.unwrap_or("").to_string();
            if !held.is_empty() {
                self.log.push(format!("  (prefilled {held})"));
            }
            loop {
                match self.next(q.message) {
                    Reply::Type(t) => held = t.to_string(),
                    Reply::Enter => {}
                    Reply::Cancel => return Err(Stop::Cancelled),
                    Reply::Back => return Err(Stop::Back),
                    other => panic!("{other:?} is no answer to {:?}", q.message),
                }
                if held.is_empty()
                    && let Some(d) = q.default
                {
                    return Ok(d.to_string());
                }
                match (q.check)(&held) {
                    Ok(()) => return Ok(held),
                    Err(e) => self.log.push(format!("! {e}")),
                }
            }
        }
    }

    impl Prompter for Script {
        fn text(&mut self, q: &Ask) -> Step<String> {
            self.line(q)
        }

        fn secret(&mut self, message: &str, help: &str, empty_error: &str) -> Step<SecretString> {
            let check = |input: &str| {
                if input.trim().is_empty() {
                    Err(empty_error.to_string())
                } else {
                    Ok(())
                }
            };
            let typed = self.line(&Ask {
                message,
                help: Some(help),
                default: None,
                initial: None,
                check: &check,
            })?;
            Ok(SecretString::from(typed.trim()))
        }

        fn select(
            &mut self,
            message: &str,
            options: &[String],
            default: usize,
            _help: Option<&str>,
        ) -> Step<usize> {
            if let Some(o) = options.get(default) {
                self.log.push(format!("  (pre-selected {o})"));
            }
            match self.next(message) {
                Reply::Enter => Ok(default),
                Reply::Pick(start) => Ok(options
                    .iter()
                    .position(|o| o.starts_with(start))
                    .unwrap_or_else(|| panic!("no option {start:?} in {options:?}"))),
                Reply::Cancel => Err(Stop::Cancelled),
                Reply::Back => Err(Stop::Back),
                other => panic!("{other:?} is no answer to {message:?}"),
            }
        }

        fn multi_select(
            &mut self,
            message: &str,
            options: &[String],
            selected: &[usize],
            _help: &str,
            empty_error: &str,
        ) -> Step<Vec<usize>> {
            loop {
                let chosen: Vec<usize> = match self.next(message) {
                    Reply::Enter => selected.to_vec(),
                    Reply::Tick(parts) => options
                        .iter()
                        .enumerate()
                        .filter(|(_, o)| parts.iter().any(|p| o.contains(p)))
                        .map(|(i, _)| i)
                        .collect(),
                    Reply::Cancel => return Err(Stop::Cancelled),
                    Reply::Back => return Err(Stop::Back),
                    other => panic!("{other:?} is no answer to {message:?}"),
                };
                if chosen.is_empty() {
                    self.log.push(format!("! {empty_error}"));
                    continue;
                }
                return Ok(chosen);
            }
        }

        fn confirm(&mut self, message: &str, default: bool, _help: Option<&str>) -> Step<bool> {
            match self.next(message) {
                Reply::Yes => Ok(true),
                Reply::No => Ok(false),
                Reply::Enter => Ok(default),
                Reply::Cancel => Err(Stop::Cancelled),
                Reply::Back => Err(Stop::Back),
                other => panic!("{other:?} is no answer to {message:?}"),
            }
        }

        fn say(&mut self, text: &str) {
            self.log.push(text.to_string());
        }

        fn line_reader(&self, message: &str) -> LineReader {
            let (message, pasted) = (message.to_string(), self.pasted.clone());
            Box::new(move || pasted.ok_or_else(|| panic!("nothing to paste at {message:?}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::script::{Reply, Script};
    use super::*;

    #[test]
    fn a_secret_comes_back_trimmed_as_a_secret() {
        let mut p = Script::new(&[Reply::Type("   "), Reply::Type("  s3cret \t")]);
        let secret: SecretString = p.secret("Token:", "hidden", "the token is empty").unwrap();
        assert_eq!(secret.expose_secret(), "s3cret");
        assert!(
            p.transcript().contains("! the token is empty"),
            "{}",
            p.transcript()
        );
    }

    #[test]
    fn enter_takes_the_initial_line_checked() {
        let no_spaces = |s: &str| {
            if s.contains(' ') {
                Err(format!("{s:?} has a space"))
            } else {
                Ok(())
            }
        };
        let ask = |initial| Ask {
            message: "Name:",
            help: None,
            default: Some("dflt"),
            initial,
            check: &no_spaces,
        };
        // Enter submits the line as it opened, not the default.
        let mut p = Script::new(&[Reply::Enter]);
        assert_eq!(p.text(&ask(Some("old"))).unwrap(), "old");
        assert!(
            p.transcript().contains("(prefilled old)"),
            "{}",
            p.transcript()
        );
        // A refused initial line stays refused on Enter until retyped.
        let mut p = Script::new(&[Reply::Enter, Reply::Enter, Reply::Type("new")]);
        assert_eq!(p.text(&ask(Some("old name"))).unwrap(), "new");
        assert_eq!(
            p.transcript().matches("! \"old name\" has a space").count(),
            2
        );
        // Without one, an empty line is the default's, unchecked.
        let mut p = Script::new(&[Reply::Enter]);
        assert_eq!(p.text(&ask(None)).unwrap(), "dflt");
    }
}
