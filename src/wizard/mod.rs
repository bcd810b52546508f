//! The interactive walk-through of `bcconn create`.
//!
//! It fills the holes of a [`Draft`] (what the flags left out) into a
//! [`Plan`], in the order of a connection form: name, authentication type,
//! store hash, scopes, iClient, the callback URL to paste, advanced settings,
//! then a summary and "Save & authorize". A value given as a flag is never
//! asked again. Every answer is checked where it is typed, so a mistake is
//! fixed on the spot rather than reported after the whole walk.
//!
//! The walk is a list of steps ([`At`]) and one loop: Esc re-asks the step
//! before with its answer in place, "Change a step" at the summary re-asks
//! any one, and leaving with answers given asks first. Nothing is written
//! before the summary's choice; a plan to authorize is saved only once its
//! flow worked (`create::execute_walked`), so a failure there comes back to
//! the step at fault instead of ending the run.

pub mod edit;
mod iclient;
pub mod storefront;
mod view;

use iclient::{ask_iclient, callback_url_of, settle_callback, show_callback_url, warn_siblings};

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::bigcommerce::scopes;
use crate::bigcommerce::store_hash::StoreHash;
use crate::connect::authorize::{App, FlowOptions, can_receive};
use crate::connect::create::{self, Fault, Retry};
use crate::connect::plan::{After, Auth, Draft, Plan, TokenSource};
use crate::connect::tokens::read_credentials_file;
use crate::context::Context;
use crate::error::Failure;
use crate::seams::{Ask, Prompter, Step, Stop};
use crate::store::{AuthType, Connection, Document};

/// Concurrency levels, the same range `--concurrency` accepts.
const CONCURRENCY: std::ops::RangeInclusive<u8> = 1..=25;

/// What the walk asks of this machine, so that a plan that cannot work here
/// is fixed at the step at fault instead of failing after the last one.
pub trait Here {
    /// Whether a callback to `callback_url` can be received here as `opts`
    /// say; the error is one line.
    fn receive(&self, callback_url: &str, opts: &FlowOptions) -> Result<(), String>;
    /// Whether the plan would save (and its flow run) as it is.
    fn check(&self, plan: &Plan, opts: &FlowOptions) -> Result<(), Fault>;
}

/// This machine, as the core sees it.
struct Machine<'a>(&'a Context);

impl Here for Machine<'_> {
    fn receive(&self, callback_url: &str, opts: &FlowOptions) -> Result<(), String> {
        let app = App {
            name: "",
            client_id: "",
            callback_url,
        };
        can_receive(&app, opts).map_err(|f| f.message)
    }

    fn check(&self, plan: &Plan, opts: &FlowOptions) -> Result<(), Fault> {
        create::check(self.0, plan, opts)
    }
}

/// Fills the holes of `draft` by asking, then saves the plan (and
/// authorizes it). A refusal a question can fix (the iClient's credentials
/// or callback URL, consent cancelled in the browser) comes back to the
/// step at fault with every answer kept. `None` when the person left.
pub fn run(
    ctx: &Context,
    draft: Draft,
    records: &Document,
    opts: &FlowOptions,
) -> Result<Option<Connection>> {
    let here = Machine(ctx);
    let env_token = ctx.env.access_token.is_some();
    let mut walk = Walk::new(&here, records, draft, env_token, opts.clone());
    walk.home.clone_from(&ctx.env.user_home);
    let mut again = None;
    loop {
        let (plan, opts) = match ctx.ask(|p| walk.go(p, again.take())) {
            Ok(done) => done,
            Err(Stop::Cancelled | Stop::Back) => return Ok(None),
            Err(Stop::Failed(e)) => return Err(e),
        };
        match create::execute_walked(ctx, plan, &opts)? {
            Ok(conn) => return Ok(Some(conn)),
            Err((plan, retry)) => {
                walk.restore(plan, opts);
                again = Some(retry);
            }
        }
    }
}

/// One line for a prompt's error slot: what is wrong, then what to do.
fn explain(f: Failure) -> String {
    plain(&f.into())
}

/// The steps of the walk, in the order of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Name,
    AuthType,
    Token,
    StoreHash,
    Scopes,
    IClient,
    Advanced,
    Summary,
}

const ORDER: [At; 8] = [
    At::Name,
    At::AuthType,
    At::Token,
    At::StoreHash,
    At::Scopes,
    At::IClient,
    At::Advanced,
    At::Summary,
];

impl At {
    /// How "Change a step" names it.
    fn title(self) -> &'static str {
        match self {
            At::Name => "Connection name",
            At::AuthType => "Authentication type",
            At::Token => "Access token",
            At::StoreHash => "Store hash",
            At::Scopes => "Scopes",
            At::IClient => "iClient",
            At::Advanced => "Concurrency",
            At::Summary => "Summary",
        }
    }

    /// The summary row that shows its value.
    fn row(self) -> &'static str {
        match self {
            At::Name => "name",
            At::AuthType => "auth type",
            At::Token => "token",
            At::StoreHash => "store hash",
            At::Scopes => "scopes",
            At::IClient => "iClient",
            At::Advanced => "concurrency",
            At::Summary => "",
        }
    }

    fn next(self) -> At {
        let i = ORDER.iter().position(|&a| a == self).unwrap_or(0);
        ORDER.get(i + 1).copied().unwrap_or(At::Summary)
    }
}

/// Which steps the flags settled: never asked, and skipped going back.
#[derive(Debug, Default, Clone, Copy)]
struct Given {
    name: bool,
    auth_type: bool,
    token: bool,
    store_hash: bool,
    scopes: bool,
    iclient: bool,
    advanced: bool,
}

/// What happened at a step.
enum Then {
    /// Answered: on to the next step.
    Next,
    /// Go to this step (a change chosen at the summary, or a fault).
    Goto(At),
    /// Saved as planned.
    Done(Box<(Plan, FlowOptions)>),
    /// "Cancel" at the summary: a choice, not a slip, so nothing is asked.
    Leave,
}

/// The walk's answers so far (flags' included) and where it stands.
struct Walk<'a> {
    here: &'a dyn Here,
    records: &'a Document,
    env_token: bool,
    /// What `~` means in a typed path.
    home: Option<PathBuf>,
    given: Given,
    /// The answers, as a draft: a hole is a step not answered yet.
    answers: Draft,
    /// `--no-authorize`: the summary offers only "Save only".
    save_only: bool,
    opts: FlowOptions,
    /// The store hash came from a credentials file, so its step is skipped.
    hash_from_file: bool,
    /// Something was answered in this walk: leaving asks first.
    answered: bool,
    /// Set by "Change a step" and faults: after that step, back to the
    /// summary (through any step the change left unanswered).
    changing: bool,
    /// The credentials or the callback URL were refused: the iClient step
    /// offers the edit first.
    fix_credentials: bool,
}

impl<'a> Walk<'a> {
    fn new(
        here: &'a dyn Here,
        records: &'a Document,
        draft: Draft,
        env_token: bool,
        opts: FlowOptions,
    ) -> Self {
        // Scopes and an iClient only mean something for OAuth: giving either
        // answers the question.
        let implied = draft.scopes.is_some() || draft.iclient.is_some();
        let given = Given {
            name: draft.name.is_some(),
            auth_type: draft.auth_type.is_some() || implied,
            token: draft.token.is_some(),
            store_hash: draft.store_hash.is_some(),
            scopes: draft.scopes.is_some(),
            iclient: draft.iclient.is_some(),
            // Either flag settles the advanced step: asking about the other
            // one would only invite a contradiction.
            advanced: draft.concurrency.is_some() || draft.borrow_from.is_some(),
        };
        let mut answers = draft;
        if implied {
            answers.auth_type.get_or_insert(AuthType::Oauth2);
        }
        if given.advanced {
            answers.concurrency.get_or_insert(1);
        }
        Walk {
            here,
            records,
            env_token,
            home: None,
            given,
            save_only: answers.after == Some(After::SaveOnly),
            answers,
            opts,
            hash_from_file: false,
            answered: false,
            changing: false,
            fix_credentials: false,
        }
    }

    fn auth_type(&self) -> Option<AuthType> {
        self.answers.auth_type
    }

    /// Whether `at` is a question of this walk (a flag did not settle it,
    /// and it applies to the auth type chosen).
    fn asks(&self, at: At) -> bool {
        let oauth = self.auth_type() != Some(AuthType::Token);
        match at {
            At::Name => !self.given.name,
            At::AuthType => !self.given.auth_type,
            At::Token => !oauth && !self.given.token,
            At::StoreHash => !self.given.store_hash && !self.hash_from_file,
            At::Scopes => oauth && !self.given.scopes,
            At::IClient => oauth && !self.given.iclient,
            At::Advanced => !self.given.advanced,
            At::Summary => true,
        }
    }

    /// Whether `at` applies to the auth type chosen (flags or not): what
    /// "Change a step" lists.
    fn applies(&self, at: At) -> bool {
        let oauth = self.auth_type() != Some(AuthType::Token);
        match at {
            At::Token => !oauth,
            At::Scopes | At::IClient => oauth,
            At::Summary => false,
            _ => true,
        }
    }

    /// Whether `at` still has no answer.
    fn hole(&self, at: At) -> bool {
        let a = &self.answers;
        match at {
            At::Name => a.name.is_none(),
            At::AuthType => a.auth_type.is_none(),
            At::Token => a.token.is_none(),
            At::StoreHash => a.store_hash.is_none(),
            At::Scopes => a.scopes.is_none(),
            At::IClient => a.iclient.is_none(),
            At::Advanced => a.concurrency.is_none(),
            At::Summary => false,
        }
    }

    /// The step Esc goes back to from `at`: the one before it that is
    /// asked; `None` at the first.
    fn before(&self, at: At) -> Option<At> {
        let i = ORDER.iter().position(|&a| a == at)?;
        ORDER[..i].iter().rev().copied().find(|&a| self.asks(a))
    }

    /// Where to go after `at` was answered.
    fn after(&self, at: At) -> At {
        if self.changing {
            // A change may open a step (another auth type needs its token):
            // ask what is missing, then back to the summary.
            let mut next = at.next();
            while next != At::Summary && !(self.applies(next) && self.hole(next)) {
                next = next.next();
            }
            return next;
        }
        at.next()
    }

    /// Asks until the plan is settled; `again` resumes a walk whose plan
    /// failed at the last step.
    fn go(&mut self, p: &mut dyn Prompter, again: Option<Retry>) -> Step<(Plan, FlowOptions)> {
        let mut at = match again {
            None => {
                p.say("New BigCommerce connection. Esc goes back a step, Ctrl-C leaves; nothing is saved before the last step.");
                At::Name
            }
            Some(Retry::Credentials(why)) => {
                p.say(&format!("\n{why}"));
                p.say(
                    "Fix the client id or secret at the iClient step; every other answer is kept.",
                );
                self.changing = true;
                self.fix_credentials = true;
                At::IClient
            }
            Some(Retry::Callback(why)) => {
                p.say(&format!("\n{why}"));
                p.say("Fix the callback URL at the iClient step: it must be the app's Auth callback URL, exactly. Every other answer is kept.");
                // The edit of a saved iClient comes first, as for refused
                // credentials: the URL is one of its fields.
                self.changing = true;
                self.fix_credentials = true;
                At::IClient
            }
            Some(Retry::Consent(why)) => {
                p.say(&format!(
                    "\nYou cancelled in the browser ({why}); nothing was saved. Authorize again, save only, or change a step."
                ));
                At::Summary
            }
            Some(Retry::Failed(why)) => {
                // `why` may end a sentence of its own (a hint often does).
                let why = why.trim_end().trim_end_matches('.');
                p.say(&format!(
                    "\nThe authorization failed: {why}. Nothing was saved: authorize again, save only, or change a step."
                ));
                At::Summary
            }
        };
        loop {
            let asked = self.asks(at) || (self.changing && at != At::Summary);
            let step = if asked {
                self.ask(p, at)
            } else {
                self.pass(p, at).map(|()| Then::Next)
            };
            match step {
                Ok(Then::Next) => {
                    self.answered |= asked;
                    at = self.after(at);
                    if at == At::Summary {
                        self.changing = false;
                    }
                }
                Ok(Then::Goto(step)) => at = step,
                Ok(Then::Done(done)) => return Ok(*done),
                Ok(Then::Leave) => return Err(Stop::Cancelled),
                // Going back from a change is back to the summary.
                Err(Stop::Back) if self.changing => {
                    self.changing = false;
                    at = At::Summary;
                }
                Err(Stop::Back) => match self.before(at) {
                    Some(prev) => at = prev,
                    None => self.leave(p)?,
                },
                Err(Stop::Cancelled) => self.leave(p)?,
                Err(e @ Stop::Failed(_)) => return Err(e),
            }
        }
    }

    /// Leaving: at once when nothing was answered, else only if confirmed
    /// (`Ok` stays at the step).
    fn leave(&self, p: &mut dyn Prompter) -> Step<()> {
        if !self.answered {
            return Err(Stop::Cancelled);
        }
        match p.confirm(
            "Leave without saving?",
            false,
            Some("your answers are lost"),
        ) {
            Ok(false) | Err(Stop::Back) => Ok(()),
            Ok(true) | Err(Stop::Cancelled) => Err(Stop::Cancelled),
            Err(e @ Stop::Failed(_)) => Err(e),
        }
    }

    /// A step the flags settled, passed on the way forward: only the
    /// iClient step has something to do (its callback must work here).
    fn pass(&mut self, p: &mut dyn Prompter, at: At) -> Step<()> {
        if at == At::IClient && self.auth_type() != Some(AuthType::Token) {
            self.settle_iclient(p)?;
        }
        Ok(())
    }

    fn ask(&mut self, p: &mut dyn Prompter, at: At) -> Step<Then> {
        let records = self.records;
        match at {
            At::Name => {
                let name = ask_name(
                    p,
                    records,
                    self.answers.store_hash.as_ref(),
                    self.answers.name.as_deref(),
                )?;
                self.answers.name = Some(name);
            }
            At::AuthType => {
                let chosen = ask_auth_type(p, self.answers.auth_type)?;
                // The other type's answers are kept (a way back costs
                // nothing); only the store hash step, skipped because a
                // credentials file named the store, is asked again.
                if chosen != AuthType::Token {
                    self.hash_from_file = false;
                }
                self.answers.auth_type = Some(chosen);
            }
            At::Token => {
                let given = ask_token(
                    p,
                    self.answers.token.is_some(),
                    self.answers
                        .store_hash
                        .clone()
                        .filter(|_| !self.hash_from_file),
                    self.env_token,
                    self.home.as_deref(),
                )?;
                // `None`: the token given before is kept, and so is the
                // store hash its file named.
                if let Some((token, from_file)) = given {
                    self.answers.token = Some(token);
                    match from_file {
                        Some(hash) => {
                            self.answers.store_hash = Some(hash);
                            self.hash_from_file = true;
                        }
                        None if self.hash_from_file => {
                            // The file that gave the store hash is no longer used.
                            self.hash_from_file = false;
                            self.answers.store_hash = None;
                        }
                        None => {}
                    }
                }
            }
            At::StoreHash => {
                let hash = ask_store_hash(p, self.answers.store_hash.as_ref())?;
                self.answers.store_hash = Some(hash);
            }
            At::Scopes => {
                let scopes = ask_scopes(p, self.answers.scopes.as_deref())?;
                self.answers.scopes = Some(scopes);
            }
            At::IClient => loop {
                let fix = std::mem::take(&mut self.fix_credentials);
                let pick = ask_iclient(p, records, self.answers.iclient.as_ref(), fix)?;
                self.answers.iclient = Some(pick);
                // Esc where the callback is settled comes back to the pick.
                match self.settle_iclient(p) {
                    Err(Stop::Back) => continue,
                    settled => break settled?,
                }
            },
            At::Advanced => {
                let earlier = self
                    .answers
                    .concurrency
                    .map(|c| (c, self.answers.borrow_from.clone()));
                let hash = self.answers.store_hash.clone();
                let (level, lender) = ask_advanced(p, records, hash.as_ref(), earlier)?;
                self.answers.concurrency = Some(level);
                self.answers.borrow_from = lender;
            }
            At::Summary => return self.summary(p),
        }
        Ok(Then::Next)
    }

    /// The callback of the iClient picked must work here; then the person
    /// hears about siblings and what to paste into the app.
    fn settle_iclient(&mut self, p: &mut dyn Prompter) -> Step<()> {
        let Some(pick) = self.answers.iclient.as_mut() else {
            return Ok(());
        };
        settle_callback(p, self.here, pick, self.records, &mut self.opts)?;
        if let Some(hash) = &self.answers.store_hash {
            warn_siblings(p, pick, hash, self.records);
        }
        let scopes = self.answers.scopes.as_ref().map_or(0, Vec::len);
        show_callback_url(p, callback_url_of(pick, self.records), scopes);
        Ok(())
    }

    /// The answers as a plan (taken out of the walk; [`Walk::restore`]
    /// puts them back).
    fn take_plan(&mut self) -> Step<Plan> {
        let draft = std::mem::take(&mut self.answers);
        draft.complete().map_err(Stop::Failed)
    }

    /// Puts a plan's answers back, e.g. after its authorization failed.
    fn restore(&mut self, plan: Plan, opts: FlowOptions) {
        let Plan {
            name,
            store_hash,
            concurrency,
            borrow_from,
            auth,
        } = plan;
        let mut answers = Draft {
            name: Some(name),
            store_hash: Some(store_hash),
            concurrency: Some(concurrency),
            borrow_from,
            after: self.save_only.then_some(After::SaveOnly),
            ..Draft::default()
        };
        match auth {
            Auth::OAuth {
                scopes, iclient, ..
            } => {
                answers.auth_type = Some(AuthType::Oauth2);
                answers.scopes = Some(scopes);
                answers.iclient = Some(iclient);
            }
            Auth::Token(token) => {
                answers.auth_type = Some(AuthType::Token);
                answers.token = Some(token);
            }
        }
        self.answers = answers;
        self.opts = opts;
    }

    /// The last step: save, change a step, or leave.
    fn summary(&mut self, p: &mut dyn Prompter) -> Step<Then> {
        let mut plan = self.take_plan()?;
        p.say(&format!("\n{}", view::summary(&plan, self.records)));
        // Said again here, where the choice to save is made.
        if let Some(pick) = plan.iclient() {
            warn_siblings(p, pick, &plan.store_hash, self.records);
        }
        let chosen = ask_finish(p, &plan.name, plan.auth_type(), self.save_only);
        let rows = view::rows(&plan, self.records);
        if let Ok(Finish::Save(after)) = chosen {
            if let Auth::OAuth { after: a, .. } = &mut plan.auth {
                *a = after;
            }
            let Err(fault) = self.here.check(&plan, &self.opts) else {
                return Ok(Then::Done(Box::new((plan, self.opts.clone()))));
            };
            self.restore(plan, self.opts.clone());
            return self.fault(p, fault);
        }
        self.restore(plan, self.opts.clone());
        match chosen? {
            Finish::Change => self.change(p, &rows),
            Finish::Cancel | Finish::Save(_) => Ok(Then::Leave),
        }
    }

    /// "Change a step": the steps by name with their values; Esc keeps all.
    fn change(&mut self, p: &mut dyn Prompter, rows: &[(&str, String)]) -> Step<Then> {
        let steps: Vec<At> = ORDER
            .iter()
            .copied()
            .filter(|&a| self.applies(a) && !(a == At::StoreHash && self.hash_from_file))
            .collect();
        let options: Vec<String> = steps
            .iter()
            .map(|&a| {
                let value = rows
                    .iter()
                    .find(|(k, _)| *k == a.row())
                    .map(|(_, v)| v.lines().next().unwrap_or("").to_string())
                    .unwrap_or_default();
                format!("{}: {value}", a.title())
            })
            .collect();
        match p.select(
            "Change which step?",
            &options,
            0,
            Some("Esc goes back to the summary"),
        ) {
            Ok(i) => {
                self.changing = true;
                Ok(Then::Goto(steps[i]))
            }
            Err(Stop::Back) => Ok(Then::Goto(At::Summary)),
            Err(stop) => Err(stop),
        }
    }

    /// A plan that cannot be saved as it is: the step at fault, asked again.
    fn fault(&mut self, p: &mut dyn Prompter, fault: Fault) -> Step<Then> {
        let (why, at) = match fault {
            Fault::Name(why) => (why, At::Name),
            Fault::IClientName(why) | Fault::IClient(why) | Fault::Callback(why) => {
                (why, At::IClient)
            }
            Fault::Lender(why) => (why, At::Advanced),
            Fault::Other(e) => return Err(Stop::Failed(e)),
        };
        p.say(&format!("\n{why}"));
        self.changing = true;
        Ok(Then::Goto(at))
    }
}

fn ask_name(
    p: &mut dyn Prompter,
    records: &Document,
    hash: Option<&StoreHash>,
    earlier: Option<&str>,
) -> Step<String> {
    let suggestion = hash.map(|h| view::suggest_name(h.as_str(), records));
    let check = |input: &str| {
        records
            .check_connection_name_free(input.trim(), None)
            .map_err(explain)
    };
    let name = p.text(&Ask {
        message: "Connection name:",
        help: Some("unique; scripts use it, e.g. `bcconn token NAME`"),
        // An earlier answer is in the line already: a default beside it
        // would only show two names.
        default: suggestion.as_deref().filter(|_| earlier.is_none()),
        initial: earlier,
        check: &check,
    })?;
    Ok(name.trim().to_string())
}

fn ask_auth_type(p: &mut dyn Prompter, earlier: Option<AuthType>) -> Step<AuthType> {
    let options = [
        "OAuth 2.0 (your app's client id and secret; you approve in the browser)",
        "API-account token (from a store-level API account)",
    ]
    .map(String::from);
    let start = usize::from(earlier == Some(AuthType::Token));
    let i = p.select("Authentication type:", &options, start, None)?;
    Ok(if i == 0 {
        AuthType::Oauth2
    } else {
        AuthType::Token
    })
}

/// Where the token comes from, and the store hash when a credentials file
/// named it; `None` keeps the token given before (`earlier`). `known`: the
/// store hash already given, which a file must agree with.
fn ask_token(
    p: &mut dyn Prompter,
    earlier: bool,
    known: Option<StoreHash>,
    env_token: bool,
    home: Option<&Path>,
) -> Step<Option<(TokenSource, Option<StoreHash>)>> {
    let mut options = Vec::new();
    if earlier {
        options.push("Keep the token given before (hidden)".to_string());
    }
    let first = options.len();
    options.push("Type or paste the access token (hidden)".to_string());
    options.push("Read the API credentials .txt BigCommerce downloaded".to_string());
    if env_token {
        options.push("Use BCCONN_ACCESS_TOKEN from the environment".to_string());
    }
    loop {
        let chosen = p.select("Access token:", &options, 0, None)?;
        let Some(choice) = chosen.checked_sub(first) else {
            return Ok(None);
        };
        // Esc at the token or the path comes back to this list.
        match token_from(p, choice, known.as_ref(), home) {
            Err(Stop::Back) => continue,
            other => return other.map(Some),
        }
    }
}

/// The token from the source chosen (0: typed, 1: a credentials file, 2:
/// the environment).
fn token_from(
    p: &mut dyn Prompter,
    choice: usize,
    known: Option<&StoreHash>,
    home: Option<&Path>,
) -> Step<(TokenSource, Option<StoreHash>)> {
    match choice {
        0 => {
            let token = p.secret(
                "Access token:",
                "input is hidden; Settings › API › Store-level API accounts",
                "the access token is empty",
            )?;
            Ok((TokenSource::Given(token), None))
        }
        1 => {
            let check = |input: &str| {
                let creds =
                    read_credentials_file(&credentials_path(input, home)).map_err(|e| plain(&e))?;
                match (known, &creds.store_hash) {
                    (Some(want), Some(found)) if want != found => Err(format!(
                        "this file is for store {found}, but the store hash given is {want}"
                    )),
                    _ => Ok(()),
                }
            };
            let path = p.text(&Ask {
                message: "Path to the API credentials .txt:",
                help: Some("the file BigCommerce downloaded when the API account was created; ~ is your home folder"),
                default: None,
                initial: None,
                check: &check,
            })?;
            let creds = read_credentials_file(&credentials_path(&path, home))?;
            let from_file = match (known, creds.store_hash) {
                (None, Some(found)) => {
                    p.say(&format!("  → store hash {found} (from the file)"));
                    Some(found)
                }
                _ => None,
            };
            Ok((TokenSource::Given(creds.token), from_file))
        }
        _ => Ok((TokenSource::Env, None)),
    }
}

/// A pasted path, minus the quotes a file manager's drag and drop adds,
/// with `~` and `~/` meaning the home folder, as in a shell.
fn credentials_path(input: &str, home: Option<&Path>) -> PathBuf {
    let t = input.trim();
    let t = t
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| t.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
        .unwrap_or(t);
    let rest = match t.strip_prefix('~') {
        Some("") => Some(""),
        Some(rest) => rest.strip_prefix(['/', std::path::MAIN_SEPARATOR]),
        // `~user/` is another user's home: left as typed.
        None => None,
    };
    match (rest, home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(t),
    }
}

/// An error as one line, with its hint when it has one.
fn plain(e: &anyhow::Error) -> String {
    match crate::error::report(e).into_parts() {
        (_, message, Some(hint)) => format!("{message}; {hint}"),
        (_, message, None) => message,
    }
}

fn ask_store_hash(p: &mut dyn Prompter, earlier: Option<&StoreHash>) -> Step<StoreHash> {
    let check = |input: &str| {
        StoreHash::parse(input)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let earlier = earlier.map(|h| h.to_string());
    let typed = p.text(&Ask {
        message: "Store hash:",
        help: Some(
            "the hash, or any URL that holds it: https://api.bigcommerce.com/stores/<hash>/v3/ or https://store-<hash>.mybigcommerce.com",
        ),
        default: None,
        initial: earlier.as_deref(),
        check: &check,
    })?;
    let hash = StoreHash::parse(&typed).map_err(|e| Stop::Failed(e.into()))?;
    // Show what was taken out of a URL, so a wrong paste is noticed now.
    p.say(&format!("  → store hash {hash}"));
    Ok(hash)
}

/// Where the scopes start, then the picker. Esc in the picker goes back to
/// where they start; the scopes chosen before are the first start offered.
fn ask_scopes(p: &mut dyn Prompter, earlier: Option<&[String]>) -> Step<Vec<String>> {
    let mut starts = view::scope_starts();
    if let Some(before) = earlier {
        starts.insert(
            0,
            (
                format!("The {} chosen before", view::count(before.len(), "scope")),
                before.to_vec(),
            ),
        );
    }
    let titles: Vec<String> = starts.iter().map(|(t, _)| t.clone()).collect();
    loop {
        let start = p.select(
            "Scopes: start from",
            &titles,
            0,
            Some("a preset only pre-ticks scopes; you adjust them next"),
        )?;
        match pick_scopes(p, &starts[start].1) {
            Err(Stop::Back) => continue,
            other => return other,
        }
    }
}

/// The scope picker, with `ticked` ticked at the start.
pub(crate) fn pick_scopes(p: &mut dyn Prompter, ticked: &[String]) -> Step<Vec<String>> {
    let offered = view::picker_scopes();
    let options: Vec<String> = offered.iter().map(|s| view::scope_option(s)).collect();
    let ticked = view::indexes_of(&offered, ticked);
    let picked = p.multi_select(
        "Scopes:",
        &options,
        &ticked,
        "type to filter (esc clears it), ↑↓ move, space toggles, → selects all (shown), ← clears, enter accepts",
        "choose at least one scope",
    )?;
    let names: Vec<String> = picked
        .iter()
        .map(|&i| offered[i].name.to_string())
        .collect();
    // A modify scope includes its read-only twin; asking for both is noise.
    // Say which were left out, so a shorter list than ticked is no surprise.
    let redundant: Vec<&str> = names
        .iter()
        .filter_map(|n| scopes::read_only_twin(n))
        .filter(|twin| names.iter().any(|n| n == twin))
        .collect();
    let kept = scopes::normalize(&names);
    match redundant.len() {
        0 => {}
        1..=3 => p.say(&format!(
            "  → {} kept; left out {}: the modify scope includes {}",
            view::count(kept.len(), "scope"),
            redundant.join(", "),
            if redundant.len() == 1 { "it" } else { "them" },
        )),
        n => p.say(&format!(
            "  → {} kept; left out {n} read-only twins: their modify scopes include them",
            view::count(kept.len(), "scope"),
        )),
    }
    Ok(kept)
}

/// The advanced step; `earlier` is what it was answered before.
fn ask_advanced(
    p: &mut dyn Prompter,
    records: &Document,
    hash: Option<&StoreHash>,
    earlier: Option<(u8, Option<String>)>,
) -> Step<(u8, Option<String>)> {
    let (level, lender) = earlier.unwrap_or((1, None));
    let changed = level != 1 || lender.is_some();
    loop {
        if !p.confirm(
            "Change advanced settings (concurrency)?",
            changed,
            Some("default: this connection's own level, 1"),
        )? {
            return Ok((1, None));
        }
        // Esc past the first question comes back to it.
        match ask_concurrency(p, records, hash, level, lender.is_some()) {
            Err(Stop::Back) => continue,
            other => return other,
        }
    }
}

/// Its own level, or another connection's to borrow.
fn ask_concurrency(
    p: &mut dyn Prompter,
    records: &Document,
    hash: Option<&StoreHash>,
    level: u8,
    borrowed: bool,
) -> Step<(u8, Option<String>)> {
    let borrow = !records.connections.is_empty()
        && p.select(
            "Concurrency:",
            &[
                "Set this connection's own level".to_string(),
                "Borrow another connection's level (share its pool)".to_string(),
            ],
            usize::from(borrowed),
            None,
        )? == 1;
    if borrow {
        let hash = hash.map_or("", |h| h.as_str());
        return Ok((1, Some(ask_lender(p, records, hash, None)?)));
    }
    Ok((ask_level(p, level)?, None))
}

/// A connection to borrow concurrency from (never `except`), same store first.
pub(crate) fn ask_lender(
    p: &mut dyn Prompter,
    records: &Document,
    hash: &str,
    except: Option<&str>,
) -> Step<String> {
    let lenders: Vec<_> = view::borrow_order(records, hash)
        .into_iter()
        .filter(|c| Some(c.id.as_str()) != except)
        .collect();
    let options: Vec<String> = lenders
        .iter()
        .map(|c| view::lender_option(records, c, hash))
        .collect();
    let i = p.select("Borrow concurrency from:", &options, 0, None)?;
    Ok(lenders[i].name.clone())
}

/// A concurrency level, `default` on Enter.
pub(crate) fn ask_level(p: &mut dyn Prompter, default: u8) -> Step<u8> {
    let check = |input: &str| match input.trim().parse::<u8>() {
        Ok(n) if CONCURRENCY.contains(&n) => Ok(()),
        _ => Err(format!(
            "enter a whole number from {} to {}",
            CONCURRENCY.start(),
            CONCURRENCY.end()
        )),
    };
    let default = default.to_string();
    let level = p.text(&Ask {
        message: "Concurrency level:",
        help: Some("how many API calls this connection may run at once (1 to 25)"),
        default: Some(&default),
        initial: None,
        check: &check,
    })?;
    Ok(level.trim().parse().unwrap_or(1))
}

/// What the summary's question settles.
enum Finish {
    Save(After),
    /// "Change a step".
    Change,
    Cancel,
}

/// The last step: save (and authorize), change a step, or cancel.
/// `--no-authorize` leaves only saving; a token connection has nothing to
/// authorize (its token is checked as it is saved).
fn ask_finish(
    p: &mut dyn Prompter,
    name: &str,
    auth_type: AuthType,
    save_only: bool,
) -> Step<Finish> {
    let save_later = format!(
        "Save only (authorize later: bcconn authorize {})",
        crate::ui::shell_word(name)
    );
    let (mut options, afters): (Vec<String>, Vec<After>) = match (auth_type, save_only) {
        (AuthType::Token, _) => (
            vec!["Save (the token is checked against the store first)".into()],
            vec![After::Authorize],
        ),
        (AuthType::Oauth2, true) => (vec![save_later], vec![After::SaveOnly]),
        (AuthType::Oauth2, false) => (
            vec![
                "Save & authorize (opens BigCommerce in your browser)".into(),
                save_later,
            ],
            vec![After::Authorize, After::SaveOnly],
        ),
    };
    options.push("Change a step".into());
    options.push("Cancel".into());
    let i = p.select("Save?", &options, 0, None)?;
    Ok(match afters.get(i) {
        Some(&after) => Finish::Save(after),
        None if i == afters.len() => Finish::Change,
        None => Finish::Cancel,
    })
}

#[cfg(test)]
mod tests;
