//! A small scanner for GraphQL documents: which operations a document holds
//! (query, mutation, subscription) and which variables each declares. It
//! is not a validator. It reads the document's top level only: selection
//! sets are skipped by matching their brackets, so a field named `mutation`
//! inside `{ … }` is a field, and comments (`# …`) and strings (`"…"`,
//! block strings `"""…"""`) are skipped whole, so a word inside them never
//! counts. What it cannot read is an error, and callers treat such a
//! document as the worst case (a write).
//!
//! Everything here is outside input: one pass over the bytes, no recursion
//! (brackets are counted on a heap stack), so any document, however deep or
//! large, is read in time linear in its length without a panic.

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Mutation,
    Subscription,
}

/// One operation of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub kind: Kind,
    /// The variables it declares, without the `$`.
    pub variables: Vec<String>,
}

/// What a document holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    pub operations: Vec<Operation>,
    pub fragments: usize,
}

impl Document {
    /// Only queries: at least one operation, and no mutation or
    /// subscription.
    pub fn reads_only(&self) -> bool {
        !self.operations.is_empty() && self.operations.iter().all(|o| o.kind == Kind::Query)
    }

    /// Whether some operation declares `$name`.
    pub fn declares(&self, name: &str) -> bool {
        self.operations
            .iter()
            .any(|o| o.variables.iter().any(|v| v == name))
    }
}

/// Whether a GraphQL call with `query` may change the store: anything but a
/// document of queries only (one that cannot be read too).
pub fn is_write(query: &str) -> bool {
    !scan(query).is_ok_and(|d| d.reads_only())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Name(&'a str),
    Punct(u8),
    /// `...`
    Spread,
    /// A number, a string or a block string: a value, never a keyword.
    Value,
}

/// The tokens of `text`, comments and insignificant commas left out.
struct Lexer<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Lexer<'a> {
    fn next(&mut self) -> Result<Option<(usize, Token<'a>)>, String> {
        let b = self.text.as_bytes();
        loop {
            let Some(&c) = b.get(self.at) else {
                return Ok(None);
            };
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => self.at += 1,
                b'#' => {
                    while b.get(self.at).is_some_and(|c| *c != b'\n' && *c != b'\r') {
                        self.at += 1;
                    }
                }
                // The byte order mark (U+FEFF) is ignored as whitespace.
                0xEF if b[self.at..].starts_with("\u{feff}".as_bytes()) => self.at += 3,
                _ => break,
            }
        }
        let start = self.at;
        let c = b[start];
        let token = match c {
            b'"' if b[start..].starts_with(b"\"\"\"") => {
                self.at += 3;
                loop {
                    match b.get(self.at) {
                        None => return Err(self.unterminated(start, "block string")),
                        Some(b'\\') if b[self.at..].starts_with(b"\\\"\"\"") => self.at += 4,
                        Some(b'"') if b[self.at..].starts_with(b"\"\"\"") => {
                            self.at += 3;
                            break;
                        }
                        Some(_) => self.at += 1,
                    }
                }
                Token::Value
            }
            b'"' => {
                self.at += 1;
                loop {
                    match b.get(self.at) {
                        None | Some(b'\n' | b'\r') => {
                            return Err(self.unterminated(start, "string"));
                        }
                        Some(b'\\') => self.at += 2,
                        Some(b'"') => {
                            self.at += 1;
                            break;
                        }
                        Some(_) => self.at += 1,
                    }
                }
                Token::Value
            }
            b'.' => {
                if !b[start..].starts_with(b"...") {
                    return Err(self.unexpected(start));
                }
                self.at += 3;
                Token::Spread
            }
            b'!' | b'$' | b'&' | b'(' | b')' | b':' | b'=' | b'@' | b'[' | b']' | b'{' | b'|'
            | b'}' => {
                self.at += 1;
                Token::Punct(c)
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                while b
                    .get(self.at)
                    .is_some_and(|c| *c == b'_' || c.is_ascii_alphanumeric())
                {
                    self.at += 1;
                }
                Token::Name(&self.text[start..self.at])
            }
            c if c == b'-' || c.is_ascii_digit() => {
                self.at += 1;
                while b
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'-'))
                {
                    self.at += 1;
                }
                Token::Value
            }
            _ => return Err(self.unexpected(start)),
        };
        Ok(Some((start, token)))
    }

    /// Where byte `at` is, as `line L, column C`.
    fn place(&self, at: usize) -> String {
        let before = &self.text.as_bytes()[..at];
        let line = before.iter().filter(|c| **c == b'\n').count() + 1;
        let column = at
            - before
                .iter()
                .rposition(|c| *c == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        format!("line {line}, column {column}")
    }

    fn unterminated(&self, at: usize, what: &str) -> String {
        format!("a {what} that never ends, from {}", self.place(at))
    }

    fn unexpected(&self, at: usize) -> String {
        let c = self.text[at..].chars().next().unwrap_or('?');
        format!(
            "{} at {}",
            crate::text::outside(&format!("{c:?}"), 12),
            self.place(at)
        )
    }
}

/// Reads `text` as a GraphQL executable document.
pub fn scan(text: &str) -> Result<Document, String> {
    let mut lex = Lexer { text, at: 0 };
    let mut doc = Document::default();
    while let Some((at, token)) = lex.next()? {
        match token {
            Token::Punct(b'{') => {
                skip_block(&mut lex, b'{', at)?;
                doc.operations.push(Operation {
                    kind: Kind::Query,
                    variables: Vec::new(),
                });
            }
            Token::Name(word @ ("query" | "mutation" | "subscription")) => {
                let kind = match word {
                    "query" => Kind::Query,
                    "mutation" => Kind::Mutation,
                    _ => Kind::Subscription,
                };
                let op = operation(&mut lex, kind, word)?;
                doc.operations.push(op);
            }
            Token::Name("fragment") => {
                fragment(&mut lex)?;
                doc.fragments += 1;
            }
            Token::Name(other) => {
                return Err(format!(
                    "{} at {} is not an operation (query, mutation, subscription) or a fragment",
                    crate::text::outside(other, 40),
                    lex.place(at)
                ));
            }
            _ => {
                return Err(format!(
                    "{} where an operation should start",
                    lex.unexpected(at)
                ));
            }
        }
    }
    if doc.operations.is_empty() {
        return Err(if doc.fragments > 0 {
            "the document holds fragments but no operation".into()
        } else {
            "the document holds no operation".into()
        });
    }
    Ok(doc)
}

/// After `query`/`mutation`/`subscription`: a name, variable definitions,
/// directives, then the selection set.
fn operation(lex: &mut Lexer, kind: Kind, word: &str) -> Result<Operation, String> {
    let mut variables = Vec::new();
    let mut next = need(lex, word)?;
    if let (_, Token::Name(_)) = next {
        next = need(lex, word)?;
    }
    if let (at, Token::Punct(b'(')) = next {
        variables = definitions(lex, at)?;
        next = need(lex, word)?;
    }
    next = directives(lex, next, word)?;
    match next {
        (at, Token::Punct(b'{')) => skip_block(lex, b'{', at)?,
        (at, _) => return Err(format!("{word} at {}: no {{ … }} after it", lex.place(at))),
    }
    Ok(Operation { kind, variables })
}

/// After `fragment`: its name, `on Type`, directives, the selection set.
fn fragment(lex: &mut Lexer) -> Result<(), String> {
    let bad = |lex: &Lexer, at: usize| {
        format!(
            "a fragment at {} is not `fragment Name on Type {{ … }}`",
            lex.place(at)
        )
    };
    let (at, name) = need(lex, "fragment")?;
    if !matches!(name, Token::Name(n) if n != "on") {
        return Err(bad(lex, at));
    }
    let (at, on) = need(lex, "fragment")?;
    if on != Token::Name("on") {
        return Err(bad(lex, at));
    }
    let (at, ty) = need(lex, "fragment")?;
    if !matches!(ty, Token::Name(_)) {
        return Err(bad(lex, at));
    }
    let next = need(lex, "fragment")?;
    match directives(lex, next, "fragment")? {
        (at, Token::Punct(b'{')) => skip_block(lex, b'{', at),
        (at, _) => Err(bad(lex, at)),
    }
}

/// `@name` or `@name(…)`, any number of them, then the token after them.
fn directives<'a>(
    lex: &mut Lexer<'a>,
    mut next: (usize, Token<'a>),
    word: &str,
) -> Result<(usize, Token<'a>), String> {
    while let (at, Token::Punct(b'@')) = next {
        match need(lex, word)? {
            (_, Token::Name(_)) => {}
            _ => return Err(format!("a directive at {} has no name", lex.place(at))),
        }
        next = need(lex, word)?;
        if let (open, Token::Punct(b'(')) = next {
            skip_block(lex, b'(', open)?;
            next = need(lex, word)?;
        }
    }
    Ok(next)
}

/// The variable definitions after `(` (at `open`): each `$name` that a `:`
/// follows at the parentheses' own level.
fn definitions(lex: &mut Lexer, open: usize) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut stack = vec![b'('];
    let mut dollar = false;
    let mut named: Option<&str> = None;
    while !stack.is_empty() {
        let Some((at, token)) = lex.next()? else {
            return Err(format!(
                "the variables opened at {} are never closed",
                lex.place(open)
            ));
        };
        let top = stack.len() == 1;
        match token {
            Token::Punct(b'$') if top => dollar = true,
            Token::Name(n) if std::mem::take(&mut dollar) => named = Some(n),
            Token::Punct(b':') if top => {
                if let Some(n) = named.take() {
                    names.push(n.to_string());
                }
            }
            Token::Punct(c @ (b'(' | b'[' | b'{')) => {
                stack.push(c);
                dollar = false;
                named = None;
            }
            Token::Punct(c @ (b')' | b']' | b'}')) => {
                close(lex, &mut stack, c, at)?;
                dollar = false;
                named = None;
            }
            _ => {
                dollar = false;
                named = None;
            }
        }
    }
    Ok(names)
}

/// Skips to the bracket that closes the one at `at` (`open` is `{` or
/// `(`), checking that every bracket in between is matched.
fn skip_block(lex: &mut Lexer, open: u8, at: usize) -> Result<(), String> {
    let mut stack = vec![open];
    while !stack.is_empty() {
        match lex.next()? {
            None => {
                return Err(format!(
                    "the {} opened at {} is never closed",
                    open as char,
                    lex.place(at)
                ));
            }
            Some((_, Token::Punct(c @ (b'(' | b'[' | b'{')))) => stack.push(c),
            Some((there, Token::Punct(c @ (b')' | b']' | b'}')))) => {
                close(lex, &mut stack, c, there)?;
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn close(lex: &Lexer, stack: &mut Vec<u8>, c: u8, at: usize) -> Result<(), String> {
    let want = match stack.pop() {
        Some(b'(') => b')',
        Some(b'[') => b']',
        _ => b'}',
    };
    if c != want {
        return Err(format!(
            "{} at {} where {} was expected",
            c as char,
            lex.place(at),
            want as char
        ));
    }
    Ok(())
}

/// The next token, which must be there: the document does not end inside
/// an operation's or a fragment's head.
fn need<'a>(lex: &mut Lexer<'a>, word: &str) -> Result<(usize, Token<'a>), String> {
    lex.next()?
        .ok_or_else(|| format!("the document ends inside a {word}'s head"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        scan(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .operations
            .iter()
            .map(|o| o.kind)
            .collect()
    }

    #[test]
    fn operations_are_told_apart() {
        assert_eq!(kinds("{ store { name } }"), [Kind::Query]);
        assert_eq!(kinds("query { a }"), [Kind::Query]);
        assert_eq!(kinds("query Named { a }"), [Kind::Query]);
        assert_eq!(kinds("mutation { a }"), [Kind::Mutation]);
        assert_eq!(kinds("mutation M($x: Int!) { a(x: $x) }"), [Kind::Mutation]);
        assert_eq!(kinds("subscription S { a }"), [Kind::Subscription]);
        assert_eq!(
            kinds("query A { a } mutation B { b } fragment F on T { c }"),
            [Kind::Query, Kind::Mutation]
        );
        assert_eq!(
            kinds("query @cached(ttl: 5) { a } query Q @x { b }"),
            [Kind::Query, Kind::Query]
        );
        let doc = scan("fragment F on Product { name } query { ...F }").unwrap();
        assert_eq!(doc.fragments, 1);
        assert!(doc.reads_only());
    }

    #[test]
    fn reads_and_writes() {
        for read in [
            "{ a }",
            "query { a }",
            "\u{feff}query { a }",
            "query A { a } query B { b } fragment F on T { x }",
            // Field names that are keywords, inside the selection set.
            "{ mutation subscription { query } }",
            "query { a(mutation: \"mutation { x }\") }",
        ] {
            assert!(!is_write(read), "{read:?}");
        }
        for write in [
            "mutation { a }",
            "query { a } mutation { b }",
            "subscription { a }",
            // Unreadable documents count as writes.
            "",
            "   # only a comment",
            "fragment F on T { x }",
            "type Query { a: Int }",
            "query { a",
            "query { a ) }",
            "{ a } }",
            "query \"unterminated",
            "mutation",
            "query ( { a }",
        ] {
            assert!(is_write(write), "{write:?}");
        }
    }

    #[test]
    fn comments_and_strings_hide_their_words() {
        // A keyword in a comment or a string is no operation.
        assert!(!is_write("# mutation { a }\n{ a }"));
        assert!(!is_write("query { a(s: \"} mutation { b }\") }"));
        assert!(!is_write("query { a(s: \"\"\" } mutation { \"\" \"\"\") }"));
        assert!(!is_write(
            "query { a(s: \"\"\" \\\"\"\" mutation { b } \"\"\") }"
        ));
        assert!(!is_write("query { a(s: \"\\\" } mutation { b }\") }"));
        // And a comment ends at the line's end.
        assert!(is_write("# a comment\nmutation { a }"));
        assert!(is_write("# a comment\rmutation { a }"));
        // A string may not hold a line break: the rest is not hidden.
        assert!(is_write("query { a(s: \"x\n\") }"));
        // A block string that never ends hides nothing.
        assert!(is_write("{ a(s: \"\"\"x) } mutation { b }"));
        assert!(is_write("{ a(s: \"\"\"x\\\"\"\") }"));
    }

    #[test]
    fn declared_variables_are_found() {
        let doc = scan(
            "query Products($first: Int = 5, $endCursor: String @deprecated, $filter: F = {a: [1, 2]}) \
             { site { products(first: $first, after: $endCursor) { pageInfo { hasNextPage endCursor } } } }",
        )
        .unwrap();
        assert_eq!(
            doc.operations[0].variables,
            ["first", "endCursor", "filter"]
        );
        assert!(doc.declares("endCursor"));
        // Used, not declared.
        let doc = scan("query { products(after: $endCursor) { x } }").unwrap();
        assert!(!doc.declares("endCursor"));
        // In a comment or a default value's string, not declared.
        let doc =
            scan("query(\n# $endCursor: String\n$a: String = \"$endCursor: x\") { x }").unwrap();
        assert!(!doc.declares("endCursor"));
        assert!(doc.declares("a"));
        // `$ endCursor` with space is still a variable in GraphQL's grammar.
        assert!(
            scan("query($ endCursor: String) { x }")
                .unwrap()
                .declares("endCursor")
        );
    }

    #[test]
    fn errors_say_where() {
        let e = scan("query {\n  a(s: \"open\n}").unwrap_err();
        assert!(e.contains("line 2, column 8"), "{e}");
        let e = scan("query { a ]").unwrap_err();
        assert!(e.contains("] at line 1"), "{e}");
        let e = scan("type Query { a: Int }").unwrap_err();
        assert!(e.contains("not an operation"), "{e}");
        let e = scan("query { a } %").unwrap_err();
        assert!(e.contains("'%'"), "{e}");
        // Outside text in a message is escaped.
        let e = scan("\u{1b}[2J").unwrap_err();
        assert!(!e.contains('\u{1b}'), "{e}");
    }

    #[test]
    fn hostile_documents_end_without_a_panic() {
        // Deep brackets: no recursion to overflow.
        let deep = format!("{{{}{}", "a {".repeat(200_000), "}".repeat(200_000));
        assert!(!is_write(&format!("{deep}}}")));
        assert!(is_write(&deep), "one short");
        let parens = format!("query{}", "(".repeat(300_000));
        assert!(is_write(&parens));
        // A megabyte of strings, comments and names.
        let big = format!("{{ {} }}", "a(s: \"x\") # c\n".repeat(80_000));
        assert!(big.len() > 1_000_000);
        assert!(!is_write(&big));
        let strings = "\"".repeat(1 << 20);
        assert!(is_write(&strings));
        let blocks = "\"\"\"".repeat(400_000);
        assert!(is_write(&blocks));
        let escapes = format!("{{ a(s: \"{}", "\\".repeat(1 << 20));
        assert!(is_write(&escapes));
        let spreads = format!("{{ {} }}", "... ".repeat(300_000));
        assert!(!is_write(&spreads));
        // Unterminated at every byte of a real document: never a panic, and
        // never a read.
        let doc = "query Q($endCursor: String) { site { products(first: 5, after: $endCursor) { edges { node { name } } } } }";
        for cut in 0..doc.len() {
            assert!(is_write(&doc[..cut]), "{:?}", &doc[..cut]);
        }
        // Multi-byte text where a token should be.
        assert!(is_write("{ a } é"));
        assert!(is_write("é"));
    }
}
