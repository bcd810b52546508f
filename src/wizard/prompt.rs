//! The questions the walk-through asks, behind a small trait.
//!
//! The walk (`super::walk`) only talks to a [`Prompter`]; the terminal one
//! wraps inquire. The trait exists so the order of the steps, which steps
//! flags skip, and what a cancel leaves behind can be unit-tested with a
//! scripted prompter; the pty tests in `tests/wizard.rs` cover the real
//! terminal.

use inquire::ui::RenderConfig;
use inquire::validator::Validation;
use inquire::{Confirm, InquireError, MultiSelect, Password, PasswordDisplayMode, Select, Text};

use crate::ui::Ui;

/// Why the walk stopped before a plan was complete.
#[derive(Debug)]
pub enum Stop {
    /// Esc, Ctrl-C, or "Cancel": not an error, nothing is saved.
    Cancelled,
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
    pub check: &'a dyn Fn(&str) -> Result<(), String>,
}

pub trait Prompter {
    /// A line of text. An empty answer takes `default` when there is one,
    /// without running `check` (inquire works that way), so callers offer
    /// only defaults that pass.
    fn text(&mut self, q: &Ask) -> Step<String>;
    /// A hidden line (no echo, no confirmation) that must not be blank;
    /// `empty_error` says so otherwise. (inquire's password validators must
    /// be `'static`, so this is the one rule a secret gets.)
    fn secret(&mut self, message: &str, help: &str, empty_error: &str) -> Step<String>;
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
    /// `text` made to stand out, when the terminal may show it.
    fn bold(&self, text: &str) -> String {
        text.to_string()
    }
}

/// The real terminal, through inquire (which draws on stderr).
pub struct Terminal<'u> {
    ui: &'u Ui,
    render: RenderConfig<'static>,
}

impl<'u> Terminal<'u> {
    pub fn new(ui: &'u Ui) -> Self {
        // inquire colours unconditionally; NO_COLOR and a non-terminal stderr
        // (already folded into ui.color()) must switch it off too.
        let render = if ui.color() {
            RenderConfig::default_colored()
        } else {
            RenderConfig::empty()
        };
        Terminal { ui, render }
    }
}

/// Esc and Ctrl-C end the walk quietly; anything else is a real failure.
fn answer<T>(result: Result<T, InquireError>) -> Step<T> {
    match result {
        Ok(v) => Ok(v),
        Err(InquireError::OperationCanceled | InquireError::OperationInterrupted) => {
            Err(Stop::Cancelled)
        }
        Err(e) => Err(Stop::Failed(
            anyhow::Error::new(e).context("reading from the terminal"),
        )),
    }
}

fn validation(check: &dyn Fn(&str) -> Result<(), String>, input: &str) -> Validation {
    match check(input) {
        Ok(()) => Validation::Valid,
        Err(message) => Validation::Invalid(message.into()),
    }
}

impl Prompter for Terminal<'_> {
    fn text(&mut self, q: &Ask) -> Step<String> {
        let check = q.check;
        let mut prompt = Text::new(q.message)
            .with_render_config(self.render)
            .with_validator(move |input: &str| Ok(validation(check, input)));
        if let Some(help) = q.help {
            prompt = prompt.with_help_message(help);
        }
        if let Some(default) = q.default {
            prompt = prompt.with_default(default);
        }
        answer(prompt.prompt())
    }

    fn secret(&mut self, message: &str, help: &str, empty_error: &str) -> Step<String> {
        let empty_error = empty_error.to_string();
        let prompt = Password::new(message)
            .with_render_config(self.render)
            .without_confirmation()
            .with_display_mode(PasswordDisplayMode::Hidden)
            .with_formatter(&|_| "(hidden)".to_string())
            .with_help_message(help)
            .with_validator(move |input: &str| {
                Ok(if input.trim().is_empty() {
                    Validation::Invalid(empty_error.clone().into())
                } else {
                    Validation::Valid
                })
            });
        answer(prompt.prompt())
    }

    fn select(
        &mut self,
        message: &str,
        options: &[String],
        default: usize,
        help: Option<&str>,
    ) -> Step<usize> {
        let mut prompt = Select::new(message, options.to_vec())
            .with_render_config(self.render)
            .with_starting_cursor(default)
            .with_page_size(10);
        if let Some(help) = help {
            prompt = prompt.with_help_message(help);
        }
        answer(prompt.raw_prompt()).map(|o| o.index)
    }

    fn multi_select(
        &mut self,
        message: &str,
        options: &[String],
        selected: &[usize],
        help: &str,
        empty_error: &str,
    ) -> Step<Vec<usize>> {
        let empty_error = empty_error.to_string();
        let formatter = |chosen: &[inquire::list_option::ListOption<&String>]| {
            format!("{} selected", chosen.len())
        };
        let prompt = MultiSelect::new(message, options.to_vec())
            .with_render_config(self.render)
            .with_default(selected)
            // Start at the first ticked scope, so a preset shows what it ticked.
            .with_starting_cursor(selected.first().copied().unwrap_or(0))
            .with_help_message(help)
            .with_page_size(12)
            .with_formatter(&formatter)
            .with_validator(
                move |chosen: &[inquire::list_option::ListOption<&String>]| {
                    Ok(if chosen.is_empty() {
                        Validation::Invalid(empty_error.clone().into())
                    } else {
                        Validation::Valid
                    })
                },
            );
        let mut picked: Vec<usize> = answer(prompt.raw_prompt())?
            .into_iter()
            .map(|o| o.index)
            .collect();
        picked.sort_unstable();
        Ok(picked)
    }

    fn confirm(&mut self, message: &str, default: bool, help: Option<&str>) -> Step<bool> {
        let mut prompt = Confirm::new(message)
            .with_render_config(self.render)
            .with_default(default);
        if let Some(help) = help {
            prompt = prompt.with_help_message(help);
        }
        answer(prompt.prompt())
    }

    fn say(&mut self, text: &str) {
        self.ui.say(text);
    }

    fn bold(&self, text: &str) -> String {
        self.ui.bold(text)
    }
}

/// A prompter that plays back a script, for unit tests of the walk.
#[cfg(test)]
pub mod script {
    use std::collections::VecDeque;

    use super::*;

    /// One answer. Text answers that fail `check` are logged (`! message`)
    /// and the next answer is tried, the way a person retypes.
    #[derive(Debug, Clone)]
    pub enum Reply {
        /// Type this (text and secret questions).
        Type(&'static str),
        /// Press Enter: take the default / the pre-selection.
        Enter,
        /// Choose the option that starts with this text (select).
        Pick(&'static str),
        /// Tick exactly the options that contain these texts (multi-select).
        Tick(&'static [&'static str]),
        Yes,
        No,
        /// Esc or Ctrl-C.
        Cancel,
    }

    /// Records every question, error and status line, in order.
    #[derive(Default)]
    pub struct Script {
        replies: VecDeque<Reply>,
        pub log: Vec<String>,
    }

    impl Script {
        pub fn new(replies: &[Reply]) -> Self {
            Script {
                replies: replies.iter().cloned().collect(),
                log: Vec::new(),
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

        fn line(&mut self, q: &Ask) -> Step<String> {
            loop {
                let typed = match self.next(q.message) {
                    Reply::Type(t) => t.to_string(),
                    Reply::Enter => String::new(),
                    Reply::Cancel => return Err(Stop::Cancelled),
                    other => panic!("{other:?} is no answer to {:?}", q.message),
                };
                if typed.is_empty()
                    && let Some(d) = q.default
                {
                    return Ok(d.to_string());
                }
                match (q.check)(&typed) {
                    Ok(()) => return Ok(typed),
                    Err(e) => self.log.push(format!("! {e}")),
                }
            }
        }
    }

    impl Prompter for Script {
        fn text(&mut self, q: &Ask) -> Step<String> {
            self.line(q)
        }

        fn secret(&mut self, message: &str, help: &str, empty_error: &str) -> Step<String> {
            let check = |input: &str| {
                if input.trim().is_empty() {
                    Err(empty_error.to_string())
                } else {
                    Ok(())
                }
            };
            self.line(&Ask {
                message,
                help: Some(help),
                default: None,
                check: &check,
            })
        }

        fn select(
            &mut self,
            message: &str,
            options: &[String],
            default: usize,
            _help: Option<&str>,
        ) -> Step<usize> {
            match self.next(message) {
                Reply::Enter => Ok(default),
                Reply::Pick(start) => Ok(options
                    .iter()
                    .position(|o| o.starts_with(start))
                    .unwrap_or_else(|| panic!("no option {start:?} in {options:?}"))),
                Reply::Cancel => Err(Stop::Cancelled),
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
                other => panic!("{other:?} is no answer to {message:?}"),
            }
        }

        fn say(&mut self, text: &str) {
            self.log.push(text.to_string());
        }
    }
}
