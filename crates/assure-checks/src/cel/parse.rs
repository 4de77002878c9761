//! A small Pratt parser for the CEL subset. Hand-written so every error carries a byte offset (the
//! published CEL crates either lack positions or drag a whole interpreter in).

use super::ast::{BinOp, Expr, ExprKind, UnOp};

/// A syntax error at a byte offset of the expression text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    /// Byte offset into the expression source.
    pub at: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Double(f64),
    Str(String),
    Punct(&'static str),
    End,
}

/// Nesting deeper than this is rejected instead of overflowing the stack.
const MAX_DEPTH: usize = 120;

const PUNCTS: [&str; 23] = [
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",",
    "(", ")", "[", "]", "{",
];

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, SyntaxError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let err = |at: usize, m: &str| SyntaxError {
        at,
        message: m.to_string(),
    };
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = &src[start..i];
            if (word == "r" || word == "R") && matches!(b.get(i), Some(b'"' | b'\'')) {
                let (s, next) = lex_string(src, i, true)?;
                out.push((Tok::Str(s), start));
                i = next;
                continue;
            }
            out.push((Tok::Ident(word.to_string()), start));
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let mut is_double = false;
            if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                is_double = true;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if matches!(b.get(i), Some(b'e' | b'E')) {
                is_double = true;
                i += 1;
                if matches!(b.get(i), Some(b'+' | b'-')) {
                    i += 1;
                }
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text = &src[start..i];
            if matches!(b.get(i), Some(b'u' | b'U')) {
                return Err(err(
                    start,
                    "unsigned literals are not supported: every number is an int or a double",
                ));
            }
            if is_double {
                let v = text
                    .parse::<f64>()
                    .map_err(|_| err(start, "malformed number"))?;
                out.push((Tok::Double(v), start));
            } else {
                let v = text
                    .parse::<i64>()
                    .map_err(|_| err(start, "integer literal out of range for int (64-bit)"))?;
                out.push((Tok::Int(v), start));
            }
            continue;
        }
        if c == b'"' || c == b'\'' {
            let (s, next) = lex_string(src, i, false)?;
            out.push((Tok::Str(s), start));
            i = next;
            continue;
        }
        if c == b'}' {
            out.push((Tok::Punct("}"), start));
            i += 1;
            continue;
        }
        let rest = &src[i..];
        match PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            Some(p) => {
                out.push((Tok::Punct(p), start));
                i += p.len();
            }
            None => {
                let ch = rest.chars().next().unwrap_or('?');
                return Err(err(start, &format!("unexpected character '{ch}'")));
            }
        }
    }
    out.push((Tok::End, src.len()));
    Ok(out)
}

fn lex_string(src: &str, at: usize, raw: bool) -> Result<(String, usize), SyntaxError> {
    let b = src.as_bytes();
    let q = b[at];
    let mut i = at + 1;
    let mut s = String::new();
    loop {
        let Some(&c) = b.get(i) else {
            return Err(SyntaxError {
                at,
                message: "unterminated string literal".into(),
            });
        };
        if c == q {
            return Ok((s, i + 1));
        }
        if c == b'\\' && !raw {
            let e = b.get(i + 1).copied().ok_or(SyntaxError {
                at: i,
                message: "unterminated escape".into(),
            })?;
            let ch = match e {
                b'n' => '\n',
                b't' => '\t',
                b'r' => '\r',
                b'\\' => '\\',
                b'"' => '"',
                b'\'' => '\'',
                b'/' => '/',
                _ => {
                    return Err(SyntaxError {
                        at: i,
                        message: format!("unsupported escape '\\{}'", e as char),
                    });
                }
            };
            s.push(ch);
            i += 2;
            continue;
        }
        // Copy one whole UTF-8 character.
        let ch = src[i..].chars().next().unwrap_or('\u{fffd}');
        s.push(ch);
        i += ch.len_utf8();
    }
}

/// Parses one CEL expression.
pub fn parse(src: &str) -> Result<Expr, SyntaxError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.expr()?;
    match p.peek() {
        Tok::End => Ok(e),
        t => Err(p.error_here(&format!("unexpected {} after the expression", describe(t)))),
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Int(v) => format!("number {v}"),
        Tok::Double(v) => format!("number {v}"),
        Tok::Str(_) => "string".into(),
        Tok::Punct(p) => format!("'{p}'"),
        Tok::End => "end of expression".into(),
    }
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::End, |t| &t.0)
    }
    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(0, |t| t.1)
    }
    fn bump(&mut self) -> (Tok, usize) {
        let t = self
            .toks
            .get(self.pos)
            .cloned()
            .unwrap_or((Tok::End, usize::MAX));
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn error_here(&self, m: &str) -> SyntaxError {
        SyntaxError {
            at: self.at(),
            message: m.to_string(),
        }
    }
    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Tok::Punct(q) if *q == p) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, p: &str) -> Result<(), SyntaxError> {
        if self.eat(p) {
            Ok(())
        } else {
            let found = describe(self.peek());
            Err(self.error_here(&format!("expected '{p}', found {found}")))
        }
    }

    fn expr(&mut self) -> Result<Expr, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here("expression nested too deeply"));
        }
        let at = self.at();
        let cond = self.binary(0)?;
        let out = if self.eat("?") {
            let then = self.binary(0)?;
            self.expect(":")?;
            let other = self.expr()?;
            Expr {
                kind: ExprKind::Cond(Box::new(cond), Box::new(then), Box::new(other)),
                at,
            }
        } else {
            cond
        };
        self.depth -= 1;
        Ok(out)
    }

    fn binop(&self) -> Option<(BinOp, u8)> {
        let op = match self.peek() {
            Tok::Punct(p) => match *p {
                "||" => (BinOp::Or, 1),
                "&&" => (BinOp::And, 2),
                "==" => (BinOp::Eq, 3),
                "!=" => (BinOp::Ne, 3),
                "<" => (BinOp::Lt, 3),
                "<=" => (BinOp::Le, 3),
                ">" => (BinOp::Gt, 3),
                ">=" => (BinOp::Ge, 3),
                "+" => (BinOp::Add, 4),
                "-" => (BinOp::Sub, 4),
                "*" => (BinOp::Mul, 5),
                "/" => (BinOp::Div, 5),
                "%" => (BinOp::Rem, 5),
                _ => return None,
            },
            Tok::Ident(s) if s == "in" => (BinOp::In, 3),
            _ => return None,
        };
        Some(op)
    }

    /// Precedence climbing over the binary operators; all are left-associative.
    fn binary(&mut self, min: u8) -> Result<Expr, SyntaxError> {
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = self.binop() {
            if prec <= min {
                break;
            }
            let at = self.at();
            self.bump();
            let rhs = self.binary(prec)?;
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                at,
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        let at = self.at();
        if self.eat("!") {
            self.nest()?;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr {
                kind: ExprKind::Unary(UnOp::Not, Box::new(e)),
                at,
            });
        }
        if self.eat("-") {
            // Fold negative literals so that i64::MIN is expressible.
            match self.peek().clone() {
                Tok::Int(_) | Tok::Double(_) => {
                    let (t, _) = self.bump();
                    let kind = match t {
                        Tok::Int(v) => ExprKind::Int(-v),
                        Tok::Double(v) => ExprKind::Double(-v),
                        _ => ExprKind::Null,
                    };
                    return self.postfix(Expr { kind, at });
                }
                _ => {}
            }
            self.nest()?;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr {
                kind: ExprKind::Unary(UnOp::Neg, Box::new(e)),
                at,
            });
        }
        let p = self.primary()?;
        self.postfix(p)
    }

    fn nest(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here("expression nested too deeply"));
        }
        Ok(())
    }

    fn postfix(&mut self, mut e: Expr) -> Result<Expr, SyntaxError> {
        loop {
            let at = self.at();
            if self.eat(".") {
                let name = match self.bump() {
                    (Tok::Ident(s), _) => s,
                    (t, off) => {
                        return Err(SyntaxError {
                            at: off,
                            message: format!(
                                "expected a field name after '.', found {}",
                                describe(&t)
                            ),
                        });
                    }
                };
                if self.eat("(") {
                    let args = self.args(")")?;
                    e = Expr {
                        kind: ExprKind::Call {
                            target: Some(Box::new(e)),
                            name,
                            args,
                        },
                        at,
                    };
                } else {
                    e = Expr {
                        kind: ExprKind::Select(Box::new(e), name),
                        at,
                    };
                }
            } else if self.eat("[") {
                let idx = self.expr()?;
                self.expect("]")?;
                e = Expr {
                    kind: ExprKind::Index(Box::new(e), Box::new(idx)),
                    at,
                };
            } else {
                return Ok(e);
            }
        }
    }

    fn args(&mut self, close: &str) -> Result<Vec<Expr>, SyntaxError> {
        let mut out = Vec::new();
        if self.eat(close) {
            return Ok(out);
        }
        loop {
            out.push(self.expr()?);
            if self.eat(close) {
                return Ok(out);
            }
            self.expect(",")?;
            if self.eat(close) {
                return Ok(out);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let (t, at) = self.bump();
        let kind = match t {
            Tok::Int(v) => ExprKind::Int(v),
            Tok::Double(v) => ExprKind::Double(v),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Ident(s) => match s.as_str() {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "null" => ExprKind::Null,
                _ => {
                    if self.eat("(") {
                        let args = self.args(")")?;
                        ExprKind::Call {
                            target: None,
                            name: s,
                            args,
                        }
                    } else {
                        ExprKind::Ident(s)
                    }
                }
            },
            Tok::Punct("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                return Ok(e);
            }
            Tok::Punct("[") => ExprKind::List(self.args("]")?),
            Tok::Punct("{") => {
                let mut entries = Vec::new();
                if !self.eat("}") {
                    loop {
                        let k = self.expr()?;
                        self.expect(":")?;
                        let v = self.expr()?;
                        entries.push((k, v));
                        if self.eat("}") {
                            break;
                        }
                        self.expect(",")?;
                        if self.eat("}") {
                            break;
                        }
                    }
                }
                ExprKind::Map(entries)
            }
            other => {
                return Err(SyntaxError {
                    at,
                    message: format!("expected an expression, found {}", describe(&other)),
                });
            }
        };
        Ok(Expr { kind, at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Expr {
        match parse(s) {
            Ok(e) => e,
            Err(e) => panic!("{s}: {e} at {}", e.at),
        }
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let e = ok("a || b && c");
        assert!(
            matches!(e.kind, ExprKind::Binary(BinOp::Or, _, ref r) if matches!(r.kind, ExprKind::Binary(BinOp::And, _, _)))
        );
    }

    #[test]
    fn macros_and_members_parse() {
        ok(
            r#"!r.ingress.exists(x, x.cidr == "0.0.0.0/0" && x.from_port <= 22 && x.to_port >= 22)"#,
        );
        ok(r#"has(r.a.b) ? r.a.b in [1, 2, 3] : {"k": 1}["k"] == 1"#);
        ok("now - timestamp(k.created) <= duration('8760h')");
        ok("-9223372036854775807 < 0 && 1.5e3 > 2.0");
        ok(r#"r.name.matches(r"^[a-z]+\d$")"#);
    }

    #[test]
    fn syntax_errors_carry_offsets() {
        let e = parse("r.a &&").err();
        assert_eq!(e.map(|e| e.at), Some(6));
        let e = parse("r.a == 'x").err();
        assert_eq!(e.map(|e| e.at), Some(7));
        assert!(parse("1u").is_err());
        assert!(parse("a b").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = "(".repeat(5000) + &")".repeat(5000);
        assert!(parse(&s).is_err());
        let s = "!".repeat(5000) + "true";
        assert!(parse(&s).is_err());
    }
}
