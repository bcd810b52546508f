//! An interchange document (`bcconn export`, `bcconn import`, and the old
//! record file `bcconn.json` imported on first run): hand-edited, from
//! another version, or damaged. The parser, the migration, and the lookups
//! the commands make over what it holds.
#![no_main]

use std::path::Path;

use std::collections::HashMap;

use bcconn::store::{self, Tx, VERSION, migrate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/fuzz/bcconn.json");
    let full = store::parse(data, path);
    // Older versions go through the migration; it must not panic either.
    let _ = migrate::to_current(data, 1);
    let Ok(file) = full else {
        return;
    };
    assert_eq!(file.version, VERSION);

    // Ids are unique in every document bcconn writes; a hand-edited one may
    // repeat one, and then lookups by id may pick different records.
    let mut ids: Vec<&str> = file.connections.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    let unique = ids.windows(2).all(|w| w[0] != w[1]);
    // The three ways bcconn follows a borrowing chain agree, and end on a
    // hand-made cycle: the whole-document walk, the one pass over every
    // chain at once (`list`), and a transaction's walk by id (`show`, `api`).
    let tx = Tx::from_document(file.clone());
    let at: HashMap<&str, usize> = file
        .connections
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let levels = store::effective_levels(
        file.connections.len(),
        |i| file.connections[i].concurrency,
        |i| {
            file.connections[i]
                .borrow_concurrency_from
                .as_deref()
                .and_then(|id| at.get(id).copied())
        },
    );
    for (i, c) in file.connections.iter().enumerate() {
        let level = file.effective_concurrency(c);
        if unique {
            assert_eq!(levels[i], level);
            assert_eq!(tx.effective_concurrency(c).unwrap(), level);
        }
        // Siblings are symmetric and never the connection itself.
        for s in file.siblings_of(c) {
            assert_ne!(s.id, c.id);
            assert!(file.siblings_of(s).iter().any(|b| b.id == c.id));
        }
    }

    // What bcconn writes back, it reads back the same.
    let written = serde_json::to_vec_pretty(&file).unwrap();
    let again = store::parse(&written, path).expect("bcconn cannot read what it wrote");
    assert_eq!(serde_json::to_vec_pretty(&again).unwrap(), written);
});
