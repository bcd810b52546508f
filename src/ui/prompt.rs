//! The terminal's [`Prompter`]: inquire, drawing on stderr, plain when
//! colour is off (`NO_COLOR`, or stderr is no terminal); the multi-select
//! is our own widget (`super::picker`).

use inquire::ui::RenderConfig;
use inquire::validator::Validation;
use inquire::{Confirm, InquireError, Password, PasswordDisplayMode, Select, Text};

use super::Ui;
use crate::seams::{Ask, LineReader, Prompter, Step, Stop};

/// The real terminal, through inquire (which draws on stderr).
pub struct Terminal {
    ui: std::rc::Rc<Ui>,
    render: RenderConfig<'static>,
}

impl Terminal {
    pub fn new(ui: std::rc::Rc<Ui>) -> Self {
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

/// Ctrl-C leaves, Esc goes back a step; anything else is a real failure.
fn answer<T>(result: Result<T, InquireError>) -> Step<T> {
    match result {
        Ok(v) => Ok(v),
        Err(InquireError::OperationCanceled) => Err(Stop::Back),
        Err(InquireError::OperationInterrupted) => Err(Stop::Cancelled),
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

impl Prompter for Terminal {
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
        if let Some(initial) = q.initial {
            prompt = prompt.with_initial_value(initial);
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
        // Not inquire's MultiSelect: see `picker` for why.
        super::picker::run(
            self.ui.color(),
            message,
            options,
            selected,
            help,
            empty_error,
        )
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

    fn line_reader(&self, message: &str) -> LineReader {
        // A plain line read, not an inquire prompt: it may be left blocked
        // when the browser answers first, and must not leave the terminal in
        // raw mode (Ctrl-C stays a signal, which the wait handles).
        let message = message.to_string();
        Box::new(move || {
            use std::io::BufRead;
            eprint!("{message} ");
            let mut line = String::new();
            match std::io::stdin().lock().read_line(&mut line) {
                Ok(0) => Err(Stop::Failed(anyhow::anyhow!("standard input ended"))),
                Ok(_) => Ok(line),
                Err(e) => Err(Stop::Failed(
                    anyhow::Error::new(e).context("reading standard input"),
                )),
            }
        })
    }
}
