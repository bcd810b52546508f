//! The record file (`bcconn.json`): hand-edited, from another version, or
//! damaged. The full parser, the `list` view, and the migration.
#![no_main]

use std::path::Path;

use bcconn::store::summary::Summary;
use bcconn::store::{self, migrate, VERSION};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/fuzz/bcconn.json");
    let full = store::parse(data, path);
    let summary = Summary::parse(data, path);
    // Older versions go through the migration; it must not panic either.
    let _ = migrate::to_current(data, 1);

    // (`list` may read a file the full parser refuses: it does not check the
    // fields it does not show, e.g. bad UTF-8 in an iClient's `updated_at`.
    // Documented in store/summary.rs; not asserted.)
    let Ok(file) = full else {
        return;
    };
    assert_eq!(file.version, VERSION);

    // `list` reads every file the other commands read, and sees the same rows.
    let summary = summary.expect("the list view refused a file the full parser reads");
    assert_eq!(summary.connections.len(), file.connections.len());
    for (row, c) in summary.connections.iter().zip(&file.connections) {
        assert_eq!(row.name, c.name.as_str());
        assert_eq!(row.id, c.id.as_str());
        assert_eq!(row.store_hash, c.store_hash);
        assert_eq!(row.state, c.state);
    }
    let index = summary.index();
    // Ids are unique in every file bcconn writes; a hand-edited file may
    // repeat one, and then the two lookups may pick different records.
    let mut ids: Vec<&str> = file.connections.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    let unique = ids.windows(2).all(|w| w[0] != w[1]);
    for (row, c) in summary.connections.iter().zip(&file.connections) {
        // Hand-made borrowing cycles end; both walks agree.
        let level = file.effective_concurrency(c);
        if unique {
            assert_eq!(index.effective_concurrency(row), level);
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
