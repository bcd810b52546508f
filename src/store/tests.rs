//! The store against a real SQLite database in a temporary home.

use super::*;

fn conn(name: &str, level: u8, borrow: Option<&str>) -> Connection {
    Connection {
        id: format!("id-{name}"),
        concurrency: level,
        borrow_concurrency_from: borrow.map(|b| format!("id-{b}")),
        ..Connection::pending(name, AuthType::Oauth2, "abc123".parse().unwrap())
    }
}

fn home() -> (tempfile::TempDir, Records) {
    let dir = tempfile::tempdir().unwrap();
    let records = Records::new(&dir.path().join("home"));
    (dir, records)
}

fn add(records: &Records, c: Connection) {
    records
        .update(|tx| {
            tx.push_connection(c)?;
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_change_is_written_private_and_a_failed_one_writes_nothing() {
    let (_d, records) = home();
    // Reading an empty home creates nothing.
    assert!(records.load().unwrap().connections().unwrap().is_empty());
    assert!(!records.path().exists());
    add(&records, conn("a", 1, None));
    let err: Result<()> = records.update(|tx| {
        tx.remove_connection("id-a")?;
        anyhow::bail!("no")
    });
    assert!(err.is_err());
    assert_eq!(records.load().unwrap().connections().unwrap().len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&records.path()), 0o600);
        assert_eq!(mode(records.dir()), 0o700);
    }
}

#[test]
fn a_nested_change_is_refused_and_loses_nothing() {
    let (_d, records) = home();
    let out = records.update(|tx| {
        tx.push_connection(conn("outer", 1, None))?;
        let inner = records.update(|t| {
            t.push_connection(conn("inner", 1, None))?;
            Ok(())
        });
        assert!(matches!(
            inner.unwrap_err().downcast_ref::<StoreError>(),
            Some(StoreError::Nested)
        ));
        Ok(())
    });
    out.unwrap();
    let tx = records.load().unwrap();
    let names: Vec<&str> = tx
        .connections()
        .unwrap()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["outer"]);
}

#[test]
fn names_are_unique_ignoring_case_in_the_schema() {
    let (_d, records) = home();
    add(&records, conn("Acme", 1, None));
    let err = records
        .update(|tx| {
            tx.push_connection(Connection {
                id: "other".into(),
                ..conn("ACME", 1, None)
            })?;
            Ok(())
        })
        .unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<StoreError>(),
            Some(StoreError::NameTaken { .. })
        ),
        "{err:#}"
    );
    // Lookups ignore case too, through the index.
    let tx = records.load().unwrap();
    assert_eq!(tx.connection("aCmE").unwrap().unwrap().id, "id-Acme");
}

#[test]
fn rename_delete_and_lookups_see_the_transaction_s_own_changes() {
    let (_d, records) = home();
    add(&records, conn("a", 7, None));
    add(&records, conn("b", 1, Some("a")));
    records
        .update(|tx| {
            tx.connection_mut("a")?.unwrap().name = "z".into();
            assert!(tx.connection("a")?.is_none());
            assert_eq!(tx.connection("Z")?.unwrap().id, "id-a");
            assert_eq!(tx.borrowers_of("id-a")?.len(), 1);
            let b = tx.connection("b")?.unwrap().clone();
            assert_eq!(tx.effective_concurrency(&b)?, 7);
            tx.remove_connection("id-b")?;
            assert!(tx.connection("b")?.is_none());
            assert!(tx.borrowers_of("id-a")?.is_empty());
            Ok(())
        })
        .unwrap();
    let tx = records.load().unwrap();
    assert_eq!(tx.connection_names().unwrap(), ["z"]);
}

#[test]
fn an_old_record_file_is_imported_once_and_left_as_a_stub() {
    let (_d, records) = home();
    std::fs::create_dir_all(records.dir()).unwrap();
    let old = records.dir().join(OLD_FILE);
    let v1 = br#"{"version":1,"future":{"x":1},"default_connection":"b1","iclients":[{"id":"i1","name":"app","client_id":"cid","callback_url":"http://localhost:8765/auth","secret_store":"file","created_at":"t","updated_at":"t","later":true}],"connections":[{"id":"a1","name":"shop","auth_type":"oauth2","store_hash":"abc123","scopes":["store_v2_orders"],"iclient_id":"i1","concurrency":3,"state":"authorized","token_store":"file","created_at":"t","updated_at":"t","unknown":[1,2]},{"id":"b1","name":"borrower","auth_type":"token","store_hash":"abc123","scopes":[],"concurrency":1,"borrow_concurrency_from":"a1","state":"pending","created_at":"t","updated_at":"t"}]}"#;
    std::fs::write(&old, v1).unwrap();
    let said = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = said.clone();
    records.on_notice(move |n| sink.borrow_mut().push(format!("{n:?}")));
    let tx = records.load().unwrap();
    let shop = tx.connection("shop").unwrap().unwrap();
    assert_eq!(shop.state, State::Authorized);
    assert_eq!(shop.extra["unknown"], serde_json::json!([1, 2]));
    let b = tx.connection("borrower").unwrap().unwrap().clone();
    assert_eq!(tx.effective_concurrency(&b).unwrap(), 3);
    assert_eq!(tx.default_connection().unwrap().as_deref(), Some("b1"));
    assert_eq!(
        tx.iclients().unwrap()[0].extra["later"],
        serde_json::json!(true)
    );
    assert_eq!(
        tx.document_extra().unwrap()["future"],
        serde_json::json!({"x": 1})
    );
    drop(tx);
    assert_eq!(
        std::fs::read(records.dir().join("bcconn.json.imported")).unwrap(),
        v1
    );
    assert_eq!(std::fs::read_to_string(&old).unwrap(), migrate::STUB);
    // An older bcconn refuses the stub as "newer", never as empty.
    let stub = parse(migrate::STUB.as_bytes(), &old).unwrap_err();
    assert!(stub.to_string().contains("newer bcconn"), "{stub}");
    assert_eq!(said.borrow().len(), 1, "{:?}", said.borrow());
    // A second run imports nothing again.
    let again = Records::new(records.dir());
    assert_eq!(again.load().unwrap().connections().unwrap().len(), 2);
}

#[test]
fn an_import_killed_after_its_commit_is_finished_not_repeated() {
    let (_d, records) = home();
    std::fs::create_dir_all(records.dir()).unwrap();
    let old = records.dir().join(OLD_FILE);
    let v2 = br#"{"version":2,"iclients":[],"connections":[{"id":"a1","name":"shop","auth_type":"token","store_hash":"abc123","scopes":[],"concurrency":1,"state":"pending","created_at":"t","updated_at":"t"}]}"#;
    std::fs::write(&old, v2).unwrap();
    records.load().unwrap();
    // As if killed between the commit and the move: the file is back.
    std::fs::rename(records.dir().join("bcconn.json.imported"), &old).unwrap();
    let again = Records::new(records.dir());
    assert_eq!(again.load().unwrap().connections().unwrap().len(), 1);
    assert_eq!(std::fs::read_to_string(&old).unwrap(), migrate::STUB);
}

#[test]
fn a_bad_old_file_is_refused_and_left_as_it_is() {
    let (_d, records) = home();
    std::fs::create_dir_all(records.dir()).unwrap();
    let old = records.dir().join(OLD_FILE);
    std::fs::write(&old, b"{\"version\": 1, \"connections\": [{").unwrap();
    let err = records.load().err().unwrap();
    assert!(matches!(
        err.downcast_ref::<StoreError>(),
        Some(StoreError::Import { .. })
    ));
    assert_eq!(
        std::fs::read(&old).unwrap(),
        b"{\"version\": 1, \"connections\": [{"
    );
    assert!(!records.path().exists() || records.load().is_err());
}

#[test]
fn a_newer_database_is_refused_and_never_written() {
    let (_d, records) = home();
    add(&records, conn("a", 1, None));
    {
        let db = rusqlite::Connection::open(records.path()).unwrap();
        db.execute_batch("PRAGMA user_version = 99").unwrap();
    }
    let before = std::fs::read(records.path()).unwrap();
    let err = records.update(|_| Ok(())).unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<StoreError>(),
            Some(StoreError::Newer { found: 99, .. })
        ),
        "{err:#}"
    );
    assert!(records.load().is_err());
    assert_eq!(std::fs::read(records.path()).unwrap(), before);
}

#[test]
fn a_corrupt_database_is_one_error_and_untouched() {
    let (_d, records) = home();
    std::fs::create_dir_all(records.dir()).unwrap();
    let junk = b"this is not an SQLite database, it is text written by hand\n".repeat(100);
    std::fs::write(records.path(), &junk).unwrap();
    let err = records.update(|_| Ok(())).unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<StoreError>(),
            Some(StoreError::Unreadable { .. })
        ),
        "{err:#}"
    );
    assert_eq!(std::fs::read(records.path()).unwrap(), junk);
}

#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_the_database_does_not_hang() {
    let (_d, records) = home();
    std::fs::create_dir_all(records.dir()).unwrap();
    let c = std::ffi::CString::new(records.path().to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let err = records.load().err().unwrap();
    assert!(err.to_string().contains("not a regular file"), "{err:#}");
}

#[test]
fn token_generations_are_reserved_once_each() {
    let (_d, records) = home();
    add(&records, conn("a", 1, None));
    let g1 = records.reserve_token_generation("file", "id-a").unwrap();
    let g2 = records.reserve_token_generation("file", "id-a").unwrap();
    assert_eq!((g1, g2), (1, 2));
    let listed: Vec<String> = records
        .ledger()
        .unwrap()
        .into_iter()
        .map(|e| e.account)
        .collect();
    assert!(
        listed.contains(&"connection/id-a/g2".to_string()),
        "{listed:?}"
    );
    // This process is alive: nothing is abandoned yet.
    assert!(records.abandoned_secrets().unwrap().is_empty());
}

#[test]
fn backup_and_restore_round_trip() {
    let (d, records) = home();
    add(&records, conn("a", 1, None));
    let copy = d.path().join("copy.db");
    records.backup(&copy).unwrap();
    add(&records, conn("b", 1, None));
    let kept = records.restore(&copy).unwrap();
    assert!(kept.is_some_and(|k| k.exists()));
    assert_eq!(records.load().unwrap().connection_names().unwrap(), ["a"]);
    // Not a database: refused, nothing changed.
    std::fs::write(d.path().join("junk"), b"junk").unwrap();
    assert!(records.restore(&d.path().join("junk")).is_err());
    assert_eq!(records.load().unwrap().connection_names().unwrap(), ["a"]);
}

#[test]
fn restore_puts_a_backup_in_place_of_a_damaged_database() {
    let (d, records) = home();
    add(&records, conn("a", 1, None));
    let copy = d.path().join("copy.db");
    records.backup(&copy).unwrap();
    // Damaged: its header overwritten.
    let mut bytes = std::fs::read(records.path()).unwrap();
    bytes[..16].copy_from_slice(b"garbage garbage!");
    std::fs::write(records.path(), &bytes).unwrap();
    assert!(records.load().is_err());
    let kept = records.restore(&copy).unwrap().unwrap();
    assert_eq!(
        std::fs::read(&kept).unwrap(),
        bytes,
        "the damaged one is kept as it was"
    );
    assert_eq!(records.load().unwrap().connection_names().unwrap(), ["a"]);
    assert!(!records.dir().join("bcconn.db.restoring").exists());
}

#[test]
fn a_document_with_two_records_of_one_id_is_refused() {
    let (_d, records) = home();
    let doc = Document {
        connections: vec![
            Connection {
                id: "same".into(),
                ..conn("one", 1, None)
            },
            Connection {
                id: "same".into(),
                ..conn("two", 1, None)
            },
        ],
        ..Document::default()
    };
    let err = records
        .import(
            doc,
            migrate::Mode::Fresh { replace: false },
            Path::new("doc.json"),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("two connections with the id"),
        "{err:#}"
    );
    assert!(records.load().unwrap().connections().unwrap().is_empty());
}

#[test]
fn an_old_file_that_comes_back_is_ignored_and_said_not_a_lockout() {
    let (_d, records) = home();
    add(&records, conn("a", 1, None));
    let old = records.dir().join(OLD_FILE);
    std::fs::write(&old, br#"{"version":2,"iclients":[],"connections":[]}"#).unwrap();
    let said = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = said.clone();
    let again = Records::new(records.dir());
    again.on_notice(move |n| sink.borrow_mut().push(format!("{n:?}")));
    assert_eq!(again.load().unwrap().connection_names().unwrap(), ["a"]);
    add(&again, conn("b", 1, None));
    assert!(
        said.borrow()[0].contains("OldFileIgnored"),
        "{:?}",
        said.borrow()
    );
    assert!(old.exists(), "left where it is");
}

#[test]
fn a_token_generation_is_never_handed_out_twice() {
    let (_d, records) = home();
    add(&records, conn("a", 1, None));
    let g1 = records.reserve_token_generation("file", "id-a").unwrap();
    // Its row goes (a killed run's leftover, cleaned up): the number stays used.
    records
        .ledger_forget("file", &crate::secrets::token_account("id-a", g1))
        .unwrap();
    let g2 = records.reserve_token_generation("file", "id-a").unwrap();
    assert!(g2 > g1, "{g1} then {g2}");
}

#[test]
fn list_widths_from_the_engine_match_the_rows_and_give_way_to_odd_text() {
    let (_d, records) = home();
    for (name, scopes, level) in [
        ("a", vec![], 1u8),
        (
            "a-much-longer-name",
            vec!["store_v2_orders".to_string()],
            25,
        ),
        ("mid", (0..12).map(|i| format!("scope_{i}")).collect(), 3),
    ] {
        add(
            &records,
            Connection {
                scopes,
                ..conn(name, level, None)
            },
        );
    }
    let reader = records.reader().unwrap().unwrap();
    let q = reader.list_widths(80, 200).unwrap().expect("plain text");
    let (mut name, mut scopes, mut level) = (0, 0, 0);
    reader
        .list_rows(&mut |r| {
            name = name.max(r.name.len());
            let cell = match (r.first_scope, r.scope_count) {
                (None, _) => "-".to_string(),
                (Some(s), 0 | 1) => s.to_string(),
                (Some(s), n) => format!("{s} +{}", n - 1),
            };
            scopes = scopes.max(cell.len());
            level = level.max(r.concurrency.to_string().len());
            Ok(())
        })
        .unwrap();
    assert_eq!(
        (q.rows, q.name, q.scopes, q.own_level),
        (3, name, scopes, level)
    );
    assert_eq!((q.store_hash, q.auth_type, q.state), (6, 6, 7));
    drop(reader);
    add(&records, conn("東京", 1, None));
    let reader = records.reader().unwrap().unwrap();
    assert!(reader.list_widths(80, 200).unwrap().is_none());
}

/// A change waits for another writer on the clock it is given: on a fake
/// one, ten seconds of waiting take no time, the wait is said once with its
/// limit, and the change gives up changing nothing.
#[test]
fn a_held_write_lock_is_waited_on_the_given_clock_then_refused() {
    use crate::clock::{Clock, FakeClock};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let clock = Arc::new(FakeClock::default());
    let limit = std::time::Duration::from_secs(10);
    let records = Records::with_waits(
        &home,
        sqlite::Waits {
            clock: clock.clone(),
            limit,
        },
    );
    add(&records, conn("held", 1, None));
    // Another process in the middle of a write: an open IMMEDIATE transaction.
    let other = rusqlite::Connection::open(home.join(DB_NAME)).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let said = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = said.clone();
    records.on_notice(move |n| sink.borrow_mut().push(format!("{n:?}")));
    let started = clock.instant();
    let real = crate::clock::SystemClock.instant();
    let err = records
        .update(|tx| {
            tx.push_connection(conn("new", 1, None))?;
            Ok(())
        })
        .unwrap_err();
    let waited = clock.instant() - started;
    assert!(
        matches!(
            err.downcast_ref::<StoreError>(),
            Some(StoreError::Busy { waited_s: 10, .. })
        ),
        "{err:#}"
    );
    assert!(waited >= limit && waited < limit * 2, "{waited:?}");
    assert!(
        crate::clock::SystemClock.instant() - real < std::time::Duration::from_secs(5),
        "it really waited"
    );
    let said = said.borrow();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("Waiting") && said[0].contains("10s"),
        "{said:?}"
    );
    drop(other);
    assert!(records.document().unwrap().connection("new").is_none());
}

/// The audit trail as "verb action kind name [fields]", newest first.
fn trail(records: &Records, name: Option<&str>) -> Vec<String> {
    records
        .load()
        .unwrap()
        .history(name, u32::MAX)
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {} [{}]",
                e.verb,
                e.action,
                e.kind,
                e.subject_name,
                e.fields.join(",")
            )
        })
        .collect()
}

#[test]
fn every_change_writes_its_entry_in_its_own_transaction() {
    let (_d, records) = home();
    records.set_verb("create");
    add(&records, conn("a", 1, None));
    records.set_verb("edit");
    // Only updated_at moves: no entry.
    records
        .update(|tx| {
            tx.connection_mut("a")?.unwrap().updated_at = "later".into();
            Ok(())
        })
        .unwrap();
    // Read, not changed: no entry either (and no image is kept of it).
    records
        .update(|tx| {
            tx.connection("a")?.unwrap();
            Ok(())
        })
        .unwrap();
    records
        .update(|tx| {
            let c = tx.connection_mut("a")?.unwrap();
            c.concurrency = 4;
            c.name = "b".into();
            c.updated_at = "later still".into();
            Ok(())
        })
        .unwrap();
    // A change that fails leaves no entry with the change it did not make.
    records.set_verb("delete");
    let failed: Result<()> = records.update(|tx| {
        tx.remove_connection("id-a")?;
        anyhow::bail!("no")
    });
    assert!(failed.is_err());
    assert_eq!(
        trail(&records, Some("b")),
        [
            "edit changed connection b [concurrency,name]",
            "create created connection a []"
        ]
    );
    records.update(|tx| tx.remove_connection("id-a")).unwrap();
    // Created and removed in one transaction: it never was.
    records
        .update(|tx| {
            tx.push_connection(conn("brief", 1, None))?;
            tx.remove_connection("id-brief")
        })
        .unwrap();
    assert_eq!(
        trail(&records, None),
        [
            "delete removed connection b []",
            "edit changed connection b [concurrency,name]",
            "create created connection a []"
        ]
    );
    // Gone: found by its last name, with its life under the first.
    assert_eq!(trail(&records, Some("b")).len(), 3);
    assert_eq!(trail(&records, Some("a")).len(), 3);
}

#[test]
fn iclient_changes_are_entries_too() {
    let (_d, records) = home();
    let ic = IClient {
        id: "ic1".into(),
        name: "app".into(),
        client_id: "cid".into(),
        callback_url: "http://localhost:8765/auth".into(),
        secret_store: crate::secrets::StoreKind::File,
        created_at: "t".into(),
        updated_at: "t".into(),
        extra: Default::default(),
    };
    records.set_verb("iclient add");
    records
        .update(|tx| {
            tx.iclients_mut()?.push(ic);
            Ok(())
        })
        .unwrap();
    records.set_verb("iclient edit");
    records
        .update(|tx| {
            tx.iclient_mut("app")?.unwrap().client_id = "other".into();
            Ok(())
        })
        .unwrap();
    records
        .update(|tx| {
            tx.iclient_mut("app")?.unwrap().updated_at = "u".into();
            Ok(())
        })
        .unwrap();
    // A secret replaced in place: named, though no field shows it.
    records
        .update(|tx| {
            // In the same second as the last change: the record's text
            // is as it was.
            tx.iclient_mut("app")?.unwrap();
            tx.note_changed("ic1", "client_secret");
            Ok(())
        })
        .unwrap();
    records.set_verb("iclient remove");
    records
        .update(|tx| {
            tx.iclients_mut()?.clear();
            Ok(())
        })
        .unwrap();
    assert_eq!(
        trail(&records, Some("app")),
        [
            "iclient remove removed iclient app []",
            "iclient edit changed iclient app [client_secret]",
            "iclient edit changed iclient app [client_id]",
            "iclient add created iclient app []"
        ]
    );
}
