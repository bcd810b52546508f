//! `bcconn edit NAME` on a terminal without flags: the walk-through's steps,
//! prefilled with the connection's values (Enter keeps each one). Nothing is
//! written here; the command applies the [`Changes`] this returns.

use anyhow::Result;

use super::{ask_lender, ask_level, pick_scopes};
use crate::connect::commit::{Borrow, Changes};
use crate::context::Context;
use crate::seams::{Prompter, Step, Stop};
use crate::store::{AuthType, Connection, Document};

/// Asks what to change; `None` when the person cancelled.
pub fn run(ctx: &Context, conn: &Connection, records: &Document) -> Result<Option<Changes>> {
    match ctx.ask(|p| walk(p, conn, records)) {
        Ok(changes) => Ok(Some(changes)),
        Err(Stop::Cancelled | Stop::Back) => Ok(None),
        Err(Stop::Failed(e)) => Err(e),
    }
}

/// The parts of the edit walk, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Scopes,
    IClient,
    Concurrency,
    Save,
}

pub(super) fn walk(p: &mut dyn Prompter, c: &Connection, records: &Document) -> Step<Changes> {
    p.say(&format!(
        "Editing {:?} (store {}). The first choice keeps each value; Esc goes back a step, Ctrl-C leaves; nothing is saved before the last step.",
        c.name, c.store_hash
    ));
    let oauth = c.auth_type == AuthType::Oauth2;
    let parts: Vec<Part> = [
        (Part::Scopes, oauth),
        (Part::IClient, oauth && !records.iclients.is_empty()),
        (Part::Concurrency, true),
        (Part::Save, true),
    ]
    .into_iter()
    .filter_map(|(part, asked)| asked.then_some(part))
    .collect();
    let mut changes = Changes::default();
    let mut at = 0;
    loop {
        let step = match parts[at] {
            Part::Scopes => ask_scopes(p, c, &mut changes),
            Part::IClient => ask_iclient(p, c, records, &mut changes),
            Part::Concurrency => ask_concurrency(p, c, records, &mut changes),
            Part::Save => {
                if changes.is_empty() {
                    p.say("Nothing changed.");
                    return Ok(changes);
                }
                p.say(&format!("\n{}", summary(&changes)));
                match p.confirm("Save these changes?", true, None) {
                    Ok(true) => return Ok(changes),
                    Ok(false) => return Err(Stop::Cancelled),
                    Err(stop) => Err(stop),
                }
            }
        };
        match step {
            Ok(()) => at += 1,
            Err(Stop::Back) if at > 0 => at -= 1,
            // Esc at the first question, or Ctrl-C: leave, asking first
            // when something was changed. As in the create walk, Esc at
            // that question means "no, stay" (it is the way back, and
            // throwing the changes away must be asked for), Ctrl-C means
            // leave, and a failed prompt is reported, not taken for a yes.
            Err(Stop::Back | Stop::Cancelled) => {
                if changes.is_empty() {
                    return Err(Stop::Cancelled);
                }
                match p.confirm(
                    "Leave without saving?",
                    false,
                    Some("your changes are lost"),
                ) {
                    Ok(false) | Err(Stop::Back) => {}
                    Ok(true) | Err(Stop::Cancelled) => return Err(Stop::Cancelled),
                    Err(e @ Stop::Failed(_)) => return Err(e),
                }
            }
            Err(e @ Stop::Failed(_)) => return Err(e),
        }
    }
}

/// Keep the scopes, or change them (the picker starts at the scopes
/// chosen before, if any).
fn ask_scopes(p: &mut dyn Prompter, c: &Connection, changes: &mut Changes) -> Step<()> {
    let keep = format!(
        "Keep its {} ({})",
        super::view::count(c.scopes.len(), "scope"),
        c.scopes.join(", ")
    );
    let changed = changes.scopes.is_some();
    loop {
        if p.select(
            "Scopes:",
            &[keep.clone(), "Change them".into()],
            usize::from(changed),
            None,
        )? == 0
        {
            changes.scopes = None;
            return Ok(());
        }
        let start = changes.scopes.clone().unwrap_or_else(|| c.scopes.clone());
        match pick_scopes(p, &start) {
            Err(Stop::Back) => continue,
            picked => {
                let picked = picked?;
                changes.scopes = (picked != c.scopes).then_some(picked);
                return Ok(());
            }
        }
    }
}

fn ask_iclient(
    p: &mut dyn Prompter,
    c: &Connection,
    records: &Document,
    changes: &mut Changes,
) -> Step<()> {
    let current = records
        .iclients
        .iter()
        .position(|ic| Some(ic.id.as_str()) == c.iclient_id.as_deref());
    let chosen_before = changes.iclient.as_deref().and_then(|name| {
        records
            .iclients
            .iter()
            .position(|ic| ic.name.eq_ignore_ascii_case(name))
    });
    let options: Vec<String> = records
        .iclients
        .iter()
        .enumerate()
        .map(|(i, ic)| {
            let now = if Some(i) == current { "  ← now" } else { "" };
            format!("{}  (client id {}){now}", ic.name, ic.client_id)
        })
        .collect();
    let start = chosen_before.or(current).unwrap_or(0);
    let i = p.select("iClient:", &options, start, None)?;
    let picked = &records.iclients[i];
    changes.iclient = None;
    if Some(i) != current {
        let old_client = records.client_id_of(c);
        if old_client.is_some_and(|old| old != picked.client_id) {
            p.say("  Its token came from the old app: the connection goes back to pending until it is authorized again.");
        }
        changes.iclient = Some(picked.name.clone());
    }
    Ok(())
}

fn ask_concurrency(
    p: &mut dyn Prompter,
    c: &Connection,
    records: &Document,
    changes: &mut Changes,
) -> Step<()> {
    let lender = c
        .borrow_concurrency_from
        .as_deref()
        .and_then(|id| records.connection_by_id(id));
    let keep = match lender {
        Some(l) => format!(
            "Keep: borrowed from {:?} (level {})",
            l.name,
            records.effective_concurrency(c)
        ),
        None => format!("Keep: its own level, {}", c.concurrency),
    };
    let mut options = vec![keep, "Set its own level".to_string()];
    let can_borrow = records.connections.iter().any(|o| o.id != c.id);
    if can_borrow {
        options.push("Borrow another connection's level (share its pool)".into());
    }
    let earlier_level = changes.concurrency;
    let before = match (&changes.borrow, changes.concurrency) {
        (Some(Borrow::From(_)), _) => 2,
        (Some(Borrow::Stop), _) | (None, Some(_)) => 1,
        (None, None) => 0,
    };
    loop {
        let choice = p.select(
            "Concurrency:",
            &options,
            before.min(options.len() - 1),
            None,
        )?;
        (changes.concurrency, changes.borrow) = (None, None);
        let answered = match choice {
            0 => Ok(()),
            1 => ask_level(p, earlier_level.unwrap_or(c.concurrency)).map(|level| {
                if level != c.concurrency {
                    changes.concurrency = Some(level);
                }
                if lender.is_some() {
                    changes.borrow = Some(Borrow::Stop);
                }
            }),
            _ => ask_lender(p, records, c.store_hash.as_str(), Some(&c.id)).map(|name| {
                if lender.map(|l| l.name.as_str()) != Some(name.as_str()) {
                    changes.borrow = Some(Borrow::From(name));
                }
            }),
        };
        // Esc at the level or the lender comes back to this list.
        match answered {
            Err(Stop::Back) => continue,
            other => return other,
        }
    }
}

fn summary(changes: &Changes) -> String {
    let mut text = String::from("Changes\n");
    if let Some(s) = &changes.scopes {
        text.push_str(&format!("  scopes       {}\n", s.join(", ")));
    }
    if let Some(i) = &changes.iclient {
        text.push_str(&format!("  iClient      {i}\n"));
    }
    if let Some(l) = changes.concurrency {
        text.push_str(&format!("  concurrency  {l}\n"));
    }
    match &changes.borrow {
        Some(Borrow::From(n)) => text.push_str(&format!("  borrow from  {n}\n")),
        Some(Borrow::Stop) => text.push_str("  borrow from  (none: its own level)\n"),
        None => {}
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seams::script::{Reply::*, Script};
    use crate::secrets::StoreKind;
    use crate::store::IClient;

    fn records() -> Document {
        let ic = |id: &str, client: &str| IClient {
            id: id.into(),
            name: format!("app-{id}"),
            client_id: client.into(),
            callback_url: "http://localhost:8765/auth".into(),
            secret_store: StoreKind::File,
            created_at: String::new(),
            updated_at: String::new(),
            extra: Default::default(),
        };
        let mut shop = Connection::pending("shop", AuthType::Oauth2, "abc123".parse().unwrap());
        shop.id = "c1".into();
        shop.iclient_id = Some("i1".into());
        shop.scopes = vec!["store_v2_orders".into()];
        shop.concurrency = 3;
        shop.state = crate::store::State::Authorized;
        let mut other = Connection::pending("other", AuthType::Oauth2, "abc123".parse().unwrap());
        other.id = "c2".into();
        other.concurrency = 9;
        Document {
            iclients: vec![ic("i1", "cid-1"), ic("i2", "cid-2")],
            connections: vec![shop, other],
            ..Document::default()
        }
    }

    fn edit(replies: &[crate::seams::script::Reply]) -> (Step<Changes>, String) {
        let r = records();
        let mut s = Script::new(replies);
        let out = walk(&mut s, r.connection("shop").unwrap(), &r);
        (out, s.transcript())
    }

    #[test]
    fn enter_everywhere_changes_nothing() {
        // (A Pick panics when no option starts with its text.)
        let (out, log) = edit(&[
            Pick("Keep its 1 scope (store_v2_orders)"),
            Pick("app-i1  (client id cid-1)  ← now"),
            Pick("Keep: its own level, 3"),
        ]);
        assert!(out.unwrap().is_empty(), "{log}");
        assert!(log.contains("Nothing changed."), "{log}");
    }

    #[test]
    fn another_app_warns_that_the_token_goes_back_to_pending() {
        let (out, log) = edit(&[Enter, Pick("app-i2"), Pick("Borrow"), Pick("other"), Yes]);
        let c = out.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
        assert_eq!(c.iclient.as_deref(), Some("app-i2"));
        assert_eq!(c.borrow, Some(Borrow::From("other".into())));
        assert!(log.contains("goes back to pending"), "{log}");
        assert!(log.contains("borrow from  other"), "{log}");
    }

    #[test]
    fn esc_goes_back_a_part_keeping_what_was_chosen() {
        let (out, log) = edit(&[
            Enter,
            Pick("app-i2"),
            Back,  // at the concurrency: back to the iClient…
            Enter, // …where app-i2 is pre-selected
            Pick("Set its own level"),
            Type("5"),
            Back, // at "Save these changes?": back to the concurrency
            Pick("Set its own level"),
            Enter, // the level typed before
            Yes,
        ]);
        let c = out.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
        assert_eq!(c.iclient.as_deref(), Some("app-i2"), "{log}");
        assert_eq!(c.concurrency, Some(5), "{log}");
    }

    #[test]
    fn leaving_after_a_change_asks_first() {
        // Nothing changed yet: Esc at the first question leaves at once.
        let (out, log) = edit(&[Back]);
        assert!(matches!(out, Err(Stop::Cancelled)), "{log}");
        assert!(!log.contains("Leave without saving?"), "{log}");
        let (out, log) = edit(&[Enter, Pick("app-i2"), Cancel, No, Cancel, Yes]);
        assert!(matches!(out, Err(Stop::Cancelled)), "{log}");
        assert_eq!(log.matches("? Leave without saving?").count(), 2, "{log}");
    }

    #[test]
    fn esc_at_leave_without_saving_stays() {
        // Ctrl-C at the iClient after a scope change, then Esc at the
        // question: back at the iClient with the change kept, not gone.
        let (out, log) = edit(&[
            Pick("Change them"),
            Tick(&["store_v2_products)"]),
            Cancel,
            Back,
            Enter,
            Pick("Keep: its own level, 3"),
            Yes,
        ]);
        let c = out.unwrap_or_else(|e| panic!("{e:?}\n{log}"));
        assert_eq!(
            c.scopes,
            Some(vec!["store_v2_products".to_string()]),
            "{log}"
        );
        assert_eq!(log.matches("? Leave without saving?").count(), 1, "{log}");
    }

    #[test]
    fn a_new_level_and_scopes_are_summed_up_and_can_be_declined() {
        let (out, log) = edit(&[
            Pick("Change them"),
            Tick(&["store_v2_products)"]),
            Enter,
            Pick("Set its own level"),
            Type("7"),
            No,
        ]);
        assert!(matches!(out, Err(Stop::Cancelled)), "{log}");
        assert!(log.contains("concurrency  7"), "{log}");
        assert!(log.contains("scopes       store_v2_products"), "{log}");
    }
}
