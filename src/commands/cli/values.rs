//! Flag values parsed with a refusal that says what would do, where clap's
//! own would name a Rust type or a range in Rust's syntax.

/// The most API calls one connection makes at once (BigCommerce's own
/// ceiling for a store-level token is far above; this keeps one script
/// from starving the rest).
const MAX_CONCURRENCY: u8 = 25;

/// `--concurrency`: said in words, since clap's own refusal ("30 is not in
/// 1..=25") reads like Rust rather than like the range a person types.
pub(super) fn concurrency(text: &str) -> Result<u8, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=u64::from(MAX_CONCURRENCY)).contains(&n) => {
            Ok(u8::try_from(n).unwrap_or(MAX_CONCURRENCY))
        }
        Ok(_) => Err(format!("give a number from 1 to {MAX_CONCURRENCY}")),
        Err(_) => Err(format!("give a whole number from 1 to {MAX_CONCURRENCY}")),
    }
}

/// `--listen`: an address and a port. A port alone (`8765`) or a host name
/// (`localhost:8765`) is what people type first, and the socket parser's
/// "invalid socket address syntax" does not say what would do.
pub(super) fn listen(text: &str) -> Result<std::net::SocketAddr, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<std::net::SocketAddr>() {
        return Ok(addr);
    }
    let port = text.parse::<u16>().ok().or_else(|| {
        text.rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok())
    });
    Err(match port {
        Some(port) => format!("give an IP address and a port, e.g. 127.0.0.1:{port}"),
        None => "give an IP address and a port, e.g. 127.0.0.1:8765".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_is_1_to_25_in_words() {
        assert_eq!(concurrency("1"), Ok(1));
        assert_eq!(concurrency(" 25 "), Ok(25));
        for bad in ["0", "26", "300", "99999999999999999999"] {
            let e = concurrency(bad).unwrap_err();
            assert!(e.contains("1 to 25"), "{bad}: {e}");
        }
        assert!(concurrency("five").unwrap_err().contains("1 to 25"));
    }

    #[test]
    fn listen_suggests_an_address_for_a_port_alone() {
        assert_eq!(
            listen("127.0.0.1:8765").unwrap(),
            "127.0.0.1:8765".parse().unwrap()
        );
        assert_eq!(listen("[::1]:9000").unwrap().port(), 9000);
        assert!(listen("8765").unwrap_err().contains("127.0.0.1:8765"));
        assert!(
            listen("localhost:9000")
                .unwrap_err()
                .contains("127.0.0.1:9000")
        );
        assert!(listen("nowhere").unwrap_err().contains("127.0.0.1:8765"));
    }
}
