//! The GraphQL document scanner (`bcconn api graphql`'s trust check and
//! `--paginate`'s `$endCursor` check): a document from the command line, a
//! file or stdin, possibly a repository's.
#![no_main]

use bcconn::bigcommerce::graphql::document::{Kind, is_write, scan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let scanned = scan(text);
    match &scanned {
        Ok(doc) => {
            // A document read is never empty, and declares names only.
            assert!(!doc.operations.is_empty());
            for op in &doc.operations {
                for v in &op.variables {
                    assert!(!v.is_empty());
                    assert!(
                        v.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric()),
                        "{v:?}"
                    );
                }
            }
            assert_eq!(
                is_write(text),
                doc.operations.iter().any(|o| o.kind != Kind::Query)
            );
        }
        Err(why) => {
            // Unreadable is a write; the reason is bounded and safe to print.
            assert!(is_write(text));
            assert!(!why.chars().any(bcconn::text::is_unsafe), "{why:?}");
            assert!(why.chars().count() < 300, "{why:?}");
        }
    }
    // A comment hides what it holds: one before the document changes
    // nothing it reads.
    let commented = format!("# mutation {{ deleteProduct }} \"\"\"\n{text}");
    assert_eq!(
        scan(&commented).ok().map(|d| d.operations),
        scanned.ok().map(|d| d.operations)
    );
    assert_eq!(is_write(&commented), is_write(text));
});
