//! The seams between bcconn and the outside world, built once in `main`
//! (or by a test, with recorders and scripts in place of the terminal).
//!
//! Commands and the connection core take a `&Context` and reach the
//! environment, records, secret stores, the terminal and the browser only
//! through it. The core uses `progress` and `ask()`; only commands use
//! `ui` (tables, JSON, the final error).

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{IsTerminal, Read};
use std::rc::Rc;
use std::sync::Arc;

use anyhow::Result;

use crate::clock::Clock;
use crate::env::Env;
use crate::seams::{Progress, Prompter, Step, Stop};
use crate::secrets::{self, SecretStore, StoreKind};
use crate::store::Records;
use crate::ui::{Terminal, Ui};

pub struct Context {
    pub env: Env,
    pub records: Records,
    pub ui: Rc<Ui>,
    /// Where the core reports while it works.
    pub progress: Rc<dyn Progress>,
    /// Lent out for one question (or one walk) at a time by [`Context::ask`].
    prompter: RefCell<Option<Box<dyn Prompter>>>,
    /// Secret stores are opened on first use: `list` must never touch one.
    stores: RefCell<HashMap<StoreKind, Rc<dyn SecretStore>>>,
    /// Where new secrets go for this run when the person chose another
    /// store than `BCCONN_SECRET_STORE`'s (it was unreachable).
    chosen_store: std::cell::Cell<Option<StoreKind>>,
    /// stdin and stderr are both terminals: prompts are possible.
    pub interactive: bool,
    /// What waits and timestamps read.
    pub clock: Arc<dyn Clock>,
    /// Standard input: piped secrets, `--input -`, `import -`.
    pub stdin: Stdin,
    /// Where the consent page opens.
    pub browser: Box<dyn crate::seams::Browser>,
}

/// Standard input as a seam: the process's, or bytes a test gives.
pub struct Stdin {
    terminal: bool,
    reader: RefCell<Box<dyn Read>>,
}

impl Stdin {
    /// The process's standard input.
    pub fn real() -> Stdin {
        Stdin {
            terminal: std::io::stdin().is_terminal(),
            reader: RefCell::new(Box::new(std::io::stdin())),
        }
    }

    /// Piped bytes (tests).
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Stdin {
        Stdin {
            terminal: false,
            reader: RefCell::new(Box::new(std::io::Cursor::new(bytes.into()))),
        }
    }

    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// Everything up to `max` bytes, and one more when there is more: a
    /// caller can tell "too much" from "exactly `max`".
    pub fn read_bounded(&self, max: u64) -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        let mut reader = self.reader.borrow_mut();
        (&mut *reader).take(max + 1).read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

impl Context {
    /// The real terminal.
    pub fn new(env: Env) -> Context {
        let stderr_tty = crate::ui::stderr().is_terminal();
        let ui = Rc::new(Ui::new(!env.no_color && stderr_tty));
        let interactive = stderr_tty && std::io::stdin().is_terminal();
        let prompter = Box::new(Terminal::new(ui.clone()));
        Context::with_seams(env, ui.clone(), ui, prompter, interactive)
    }

    /// Any seams: a test passes a progress recorder and a scripted prompter.
    pub fn with_seams(
        env: Env,
        ui: Rc<Ui>,
        progress: Rc<dyn Progress>,
        prompter: Box<dyn Prompter>,
        interactive: bool,
    ) -> Context {
        tracing::debug!(
            "records in {}{}",
            env.home.display(),
            if env.home_from_env {
                " (BCCONN_HOME)"
            } else {
                ""
            }
        );
        Context {
            records: records(
                &env,
                crate::store::sqlite::Waits {
                    clock: crate::clock::system(),
                    limit: lock_wait(&env),
                },
            ),
            ui,
            progress,
            prompter: RefCell::new(Some(prompter)),
            stores: RefCell::new(HashMap::new()),
            chosen_store: std::cell::Cell::new(None),
            interactive,
            browser: Box::new(crate::loopback::browser::System {
                command: env.browser.clone(),
                headless: env.headless,
            }),
            env,
            clock: crate::clock::system(),
            stdin: Stdin::real(),
        }
    }

    /// Another clock (in-process tests: a fake one). The records' waits
    /// move to it too.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Context {
        self.records = records(
            &self.env,
            crate::store::sqlite::Waits {
                clock: clock.clone(),
                limit: self.lock_wait(),
            },
        );
        self.clock = clock;
        self
    }

    /// How long a change waits for another bcconn writing (checked valid
    /// when the command starts).
    pub fn lock_wait(&self) -> std::time::Duration {
        lock_wait(&self.env)
    }

    /// Another browser (in-process tests: one that visits the page itself).
    pub fn with_browser(mut self, browser: Box<dyn crate::seams::Browser>) -> Context {
        self.browser = browser;
        self
    }

    /// Another standard input (in-process tests).
    pub fn with_stdin(mut self, stdin: Stdin) -> Context {
        self.stdin = stdin;
        self
    }

    /// Seams without a terminal (tests, the in-process flow): plain output
    /// for commands, `progress` and `prompter` for the core.
    pub fn detached(
        env: Env,
        progress: Rc<dyn Progress>,
        prompter: Box<dyn Prompter>,
        interactive: bool,
    ) -> Context {
        Context::with_seams(
            env,
            Rc::new(Ui::new(false)),
            progress,
            prompter,
            interactive,
        )
    }

    /// Who answers questions.
    ///
    /// The prompter is lent as `&mut dyn Prompter` for the call and taken
    /// back after it; no borrow of the Context is held meanwhile. A question
    /// asked while another is being asked (a nested confirm) is an error,
    /// never a panic.
    pub fn ask<T>(&self, f: impl FnOnce(&mut dyn Prompter) -> Step<T>) -> Step<T> {
        let Some(mut prompter) = self.prompter.borrow_mut().take() else {
            return Err(Stop::Failed(anyhow::anyhow!(
                "bcconn asked a question while another was being asked"
            )));
        };
        let answer = f(prompter.as_mut());
        *self.prompter.borrow_mut() = Some(prompter);
        answer
    }

    /// The store of `kind`, opened once.
    pub fn secrets(&self, kind: StoreKind) -> Result<Rc<dyn SecretStore>> {
        if let Some(store) = self.stores.borrow().get(&kind) {
            return Ok(store.clone());
        }
        tracing::debug!("opening secret store {kind}");
        let progress = self.progress.clone();
        let store: Rc<dyn SecretStore> = match kind {
            // In the record database. The keys are read now, but a missing
            // one is an error only where a secret is sealed or opened.
            StoreKind::Sealed => {
                // Inside `bcconn exec`, a missing key is one exec removed:
                // say that, not "set a key".
                if self.env.secret_key.is_none() && self.env.secret_key_file.is_none() {
                    self.env.check_not_removed("BCCONN_SECRET_KEY")?;
                    self.env.check_not_removed("BCCONN_SECRET_KEY_FILE")?;
                }
                Rc::new(self.records.sealed_store(self.seal_keys()))
            }
            _ => Rc::from(secrets::open(
                kind,
                &self.env.home,
                self.clock.clone(),
                self.lock_wait(),
                Rc::new(move |text: &str| progress.say(text)),
            )?),
        };
        self.stores.borrow_mut().insert(kind, store.clone());
        Ok(store)
    }

    /// The store new secrets go to (`BCCONN_SECRET_STORE`, default `os`).
    /// The sealed store's keys, from `BCCONN_SECRET_KEY` or its file.
    pub fn seal_keys(&self) -> std::result::Result<secrets::seal::SealKeys, secrets::SecretError> {
        secrets::seal::load(
            self.env.secret_key.as_ref(),
            self.env.secret_key_file.as_deref(),
        )
    }

    /// The sealed store itself (`bcconn secrets`, `doctor`).
    pub fn sealed_store(&self) -> crate::store::sealed::SealedStore {
        self.records.sealed_store(self.seal_keys())
    }

    pub fn default_secrets(&self) -> Result<Rc<dyn SecretStore>> {
        self.secrets(self.default_store_kind()?)
    }

    /// The kind of [`Context::default_secrets`].
    pub fn default_store_kind(&self) -> Result<StoreKind> {
        match self.chosen_store.get() {
            Some(kind) => Ok(kind),
            None => self.env.secret_store_kind(),
        }
    }

    /// New secrets go to `kind` for the rest of this run.
    pub fn choose_store(&self, kind: StoreKind) {
        self.chosen_store.set(Some(kind));
    }

    /// Puts a store in place of the one of its kind (tests: a store that can
    /// be told to fail).
    pub fn set_store(&self, store: Rc<dyn SecretStore>) {
        self.stores.borrow_mut().insert(store.kind(), store);
    }
}

/// `BCCONN_LOCK_WAIT`, or the default when it is unset or bad (a bad one is
/// refused when the command starts, in `commands::run`).
fn lock_wait(env: &Env) -> std::time::Duration {
    env.lock_wait().unwrap_or(crate::fsutil::LOCK_WAIT)
}

/// The records `env` names: the shared store, else the home's database;
/// inside a `bcconn exec` that removed `BCCONN_STORE_URL`, neither (the
/// home's records are not the team's).
fn records(env: &Env, waits: crate::store::sqlite::Waits) -> Records {
    let records = Records::open(&env.home, env.store_url.clone(), waits);
    if env.store_url.is_none() && env.check_not_removed("BCCONN_STORE_URL").is_err() {
        records.refuse_local();
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seams::Recorder;
    use crate::seams::script::{Reply, Script};

    #[test]
    fn a_question_asked_inside_another_is_an_error_not_a_panic() {
        let env = Env::from_lookup(|_| None);
        let ctx = Context::detached(
            env,
            Rc::new(Recorder::default()),
            Box::new(Script::new(&[Reply::Yes])),
            true,
        );
        let nested = ctx.ask(|_outer| Ok(ctx.ask(|inner| inner.confirm("again?", false, None))));
        assert!(matches!(nested, Ok(Err(Stop::Failed(_)))));
        // Lent back after the call: the next question is answered.
        assert!(matches!(
            ctx.ask(|p| p.confirm("ok?", false, None)),
            Ok(true)
        ));
    }
}
