//! The terminal's [`Prompter`], drawing on stderr, plain when colour is off
//! (`NO_COLOR`, or stderr is no terminal). Text and secret lines are our own
//! widget (`super::field`, for a shell's editing keys), the multi-select too
//! (`super::picker`); select and confirm stay inquire's, whose keys are
//! right for them (Esc is `OperationCanceled`, Ctrl-C `OperationInterrupted`)
//! and whose look the others copy.

use inquire::ui::{Color, RenderConfig, Styled};
use inquire::{Confirm, InquireError, Select};
use secrecy::SecretString;

use super::Ui;
use super::field::Question;
use crate::seams::{Ask, LineReader, Prompter, Step, Stop};

/// The real terminal (every prompt draws on stderr).
pub struct Terminal {
    ui: std::rc::Rc<Ui>,
    render: RenderConfig<'static>,
}

impl Terminal {
    pub fn new(ui: std::rc::Rc<Ui>) -> Self {
        // inquire colours unconditionally; NO_COLOR and a non-terminal stderr
        // (already folded into ui.color()) must switch it off too.
        // An answered question keeps the same mark as ours (`field::ANSWERED`),
        // coloured or not.
        let render = if ui.color() {
            RenderConfig::default_colored().with_answered_prompt_prefix(
                Styled::new(super::field::ANSWERED).with_fg(Color::LightGreen),
            )
        } else {
            RenderConfig::empty().with_answered_prompt_prefix(Styled::new(super::field::ANSWERED))
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

impl Prompter for Terminal {
    fn text(&mut self, q: &Ask) -> Step<String> {
        // Not a secret: the answer is moved out of its wiped buffer.
        let mut answer = super::field::ask(
            self.ui.color(),
            &Question {
                message: q.message,
                help: q.help,
                default: q.default,
                initial: q.initial,
                hidden: false,
                check: q.check,
            },
        )?;
        Ok(std::mem::take(&mut *answer))
    }

    fn secret(&mut self, message: &str, help: &str, empty_error: &str) -> Step<SecretString> {
        let check = |input: &str| {
            if input.trim().is_empty() {
                Err(empty_error.to_string())
            } else {
                Ok(())
            }
        };
        let answer = super::field::ask(
            self.ui.color(),
            &Question {
                message,
                help: Some(help),
                default: None,
                initial: None,
                hidden: true,
                check: &check,
            },
        )?;
        // Trimmed as a slice, copied once into the secret; the answer's
        // buffer is wiped as it drops.
        Ok(SecretString::from(answer.trim()))
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
        // The summary and notes between questions: wrapped here, where the
        // terminal's width is known, rather than cut at its edge mid-word.
        let (columns, _) = super::screen::size();
        self.ui.say(&super::table::fit_said(text, columns));
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
