//! A small synchronous Redis client speaking RESP2, written here rather than taken from the
//! `redis` crate for one rule: **a connection on which a call failed is dropped.**
//!
//! When a call times out, the server may still answer it later. On a kept connection that late
//! reply would be read as the answer to the *next* command: a lock client would take an old `OK`
//! for a grant it never got, and the measurement would show a violation the lock did not cause.
//! So on any error (connect, send, receive, timeout, unreadable reply) the stream is dropped and
//! the next call connects afresh; a reply is only ever read on the connection its command went
//! out on, with nothing sent after it. Every call, connect included, is bounded by one deadline.
//!
//! Scripts go through [`RedisConn::eval`], which sends `EVAL` with the script every time rather
//! than `EVALSHA`: the scripts of the lock designs are a few hundred bytes, nothing on loopback,
//! and `EVALSHA` answers `NOSCRIPT` on every fresh or restarted server, which would add a round
//! trip exactly in the runs that restart servers.

use super::ServiceError;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The deepest nesting of arrays a reply may have; the lock designs read flat replies, and the
/// cap keeps a hostile server from recursing the parser off the stack.
const MAX_DEPTH: usize = 16;

/// One RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A nil bulk string or nil array (`$-1`, `*-1`): the key is absent, `SET NX` did not set.
    Nil,
    /// An integer (`:n`).
    Int(i64),
    /// A bulk string (`$n`).
    Bulk(Vec<u8>),
    /// A simple string (`+OK`, `+PONG`).
    Simple(String),
    /// An error reply (`-ERR ...`): the server's refusal, not a failure of the connection.
    Error(String),
    /// An array (`*n`).
    Array(Vec<Reply>),
}

impl Reply {
    /// The integer, if the reply is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The bytes of a bulk string, if the reply is one.
    pub fn as_bulk(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The text of a simple string, if the reply is one.
    pub fn as_simple(&self) -> Option<&str> {
        match self {
            Reply::Simple(text) => Some(text),
            _ => None,
        }
    }

    /// The server's error text, if the reply is an error.
    pub fn as_error(&self) -> Option<&str> {
        match self {
            Reply::Error(text) => Some(text),
            _ => None,
        }
    }

    /// True for `+OK`.
    pub fn is_ok(&self) -> bool {
        self.as_simple() == Some("OK")
    }

    /// True for a nil reply.
    pub fn is_nil(&self) -> bool {
        matches!(self, Reply::Nil)
    }
}

/// A connection to one Redis server, opened on the first call and after every failed one.
#[derive(Debug)]
pub struct RedisConn {
    addr: SocketAddr,
    timeout: Duration,
    stream: Option<TcpStream>,
}

impl RedisConn {
    /// A client for the server at `addr`; nothing is connected until the first call. Every call
    /// returns within `timeout` (plus scheduling delays), answered or not.
    pub fn new(addr: SocketAddr, timeout: Duration) -> RedisConn {
        RedisConn { addr, timeout, stream: None }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// True when a connection is open (the last call succeeded, or none was made since).
    pub fn is_connected(&self) -> bool {
        self.stream.is_some()
    }

    /// Sends one command (`args[0]` is its name) and reads its reply. An error reply from the
    /// server is `Ok(Reply::Error)`; a failure to get any reply is `Err`, and the connection is
    /// dropped so that a late reply cannot answer a later command.
    pub fn call(&mut self, args: &[&[u8]]) -> Result<Reply, ServiceError> {
        let deadline = Instant::now() + self.timeout;
        let result = self.exchange(args, deadline);
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    /// Runs a Lua script with `EVAL` (see the module documentation for why not `EVALSHA`).
    pub fn eval(&mut self, script: &str, keys: &[&[u8]], args: &[&[u8]]) -> Result<Reply, ServiceError> {
        let count = keys.len().to_string();
        let mut all: Vec<&[u8]> = vec![b"EVAL", script.as_bytes(), count.as_bytes()];
        all.extend_from_slice(keys);
        all.extend_from_slice(args);
        self.call(&all)
    }

    fn exchange(&mut self, args: &[&[u8]], deadline: Instant) -> Result<Reply, ServiceError> {
        let name = String::from_utf8_lossy(args.first().copied().unwrap_or(b"")).into_owned();
        let addr = self.addr;
        let stream = match &mut self.stream {
            Some(stream) => stream,
            None => {
                let left = remaining(deadline).map_err(|e| ServiceError::io(addr, "connecting", &e))?;
                let stream = TcpStream::connect_timeout(&addr, left)
                    .map_err(|e| ServiceError::io(addr, "connecting", &e))?;
                // Commands are one small write each; Nagle would hold them back.
                stream.set_nodelay(true).map_err(|e| ServiceError::io(addr, "connecting", &e))?;
                self.stream.insert(stream)
            }
        };
        let request = encode(args);
        remaining(deadline)
            .and_then(|left| stream.set_write_timeout(Some(left)))
            .and_then(|()| stream.write_all(&request))
            .map_err(|e| ServiceError::io(addr, format!("sending {name}"), &e))?;
        let mut buffer = Vec::with_capacity(64);
        let mut chunk = [0u8; 4096];
        loop {
            match parse(&buffer, 0).map_err(|what| ServiceError::Protocol { addr: addr.to_string(), what })? {
                Some((reply, used)) if used == buffer.len() => return Ok(reply),
                Some(_) => {
                    // Nothing was sent after this command, so nothing may follow its reply.
                    return Err(ServiceError::Protocol {
                        addr: addr.to_string(),
                        what: format!("bytes after the reply to {name}"),
                    });
                }
                None => {}
            }
            let read = remaining(deadline)
                .and_then(|left| stream.set_read_timeout(Some(left)))
                .and_then(|()| stream.read(&mut chunk))
                .map_err(|e| ServiceError::io(addr, format!("reading the reply to {name}"), &e))?;
            if read == 0 {
                let closed = io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection");
                return Err(ServiceError::io(addr, format!("reading the reply to {name}"), &closed));
            }
            buffer.extend_from_slice(&chunk[..read]);
        }
    }
}

/// The time left until `deadline`, or a timeout error when none is (a zero timeout would mean
/// "block forever" to the socket calls).
fn remaining(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() { Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")) } else { Ok(left) }
}

/// A command as a RESP array of bulk strings.
fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The first reply in `buf` and how many bytes it took, `None` when `buf` holds only part of one.
fn parse(buf: &[u8], depth: usize) -> Result<Option<(Reply, usize)>, String> {
    if depth > MAX_DEPTH {
        return Err(format!("arrays nested deeper than {MAX_DEPTH}"));
    }
    let Some(end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let Some((&tag, line)) = buf[..end].split_first() else {
        return Err("an empty line".to_string());
    };
    let text = || String::from_utf8_lossy(line).into_owned();
    let number = || text().parse::<i64>().map_err(|_| format!("{:?} is not a number", text()));
    let after = end + 2;
    match tag {
        b'+' => Ok(Some((Reply::Simple(text()), after))),
        b'-' => Ok(Some((Reply::Error(text()), after))),
        b':' => Ok(Some((Reply::Int(number()?), after))),
        b'$' => {
            let len = number()?;
            if len < 0 {
                return Ok(Some((Reply::Nil, after)));
            }
            let len = len as usize;
            if buf.len() < after + len + 2 {
                return Ok(None);
            }
            if &buf[after + len..after + len + 2] != b"\r\n" {
                return Err("a bulk string longer than its length".to_string());
            }
            Ok(Some((Reply::Bulk(buf[after..after + len].to_vec()), after + len + 2)))
        }
        b'*' => {
            let len = number()?;
            if len < 0 {
                return Ok(Some((Reply::Nil, after)));
            }
            let mut items = Vec::new();
            let mut at = after;
            for _ in 0..len {
                match parse(&buf[at..], depth + 1)? {
                    Some((item, used)) => {
                        items.push(item);
                        at += used;
                    }
                    None => return Ok(None),
                }
            }
            Ok(Some((Reply::Array(items), at)))
        }
        other => Err(format!("a reply starting with {:?}", char::from(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(bytes: &[u8]) -> Reply {
        let (reply, used) = parse(bytes, 0).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        reply
    }

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        assert_eq!(encode(&[b"GET", b"k"]), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        assert_eq!(encode(&[b"SET", b""]), b"*2\r\n$3\r\nSET\r\n$0\r\n\r\n");
    }

    #[test]
    fn every_reply_type_parses() {
        assert_eq!(whole(b"+OK\r\n"), Reply::Simple("OK".into()));
        assert!(whole(b"+OK\r\n").is_ok());
        assert_eq!(whole(b"-ERR no\r\n").as_error(), Some("ERR no"));
        assert_eq!(whole(b":-12\r\n").as_int(), Some(-12));
        assert_eq!(whole(b"$3\r\na\r\n\r\n").as_bulk(), Some(&b"a\r\n"[..]));
        assert!(whole(b"$-1\r\n").is_nil());
        assert!(whole(b"*-1\r\n").is_nil());
        assert_eq!(
            whole(b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n"),
            Reply::Array(vec![Reply::Int(1), Reply::Array(vec![Reply::Bulk(b"x".to_vec())])])
        );
    }

    #[test]
    fn a_partial_reply_asks_for_more() {
        for bytes in [&b"+OK"[..], b"$5\r\nab", b"*2\r\n:1\r\n", b""] {
            assert_eq!(parse(bytes, 0), Ok(None), "{bytes:?}");
        }
    }

    #[test]
    fn nonsense_is_a_protocol_error() {
        assert!(parse(b"?x\r\n", 0).is_err());
        assert!(parse(b":x\r\n", 0).is_err());
        assert!(parse(b"$1\r\nab\r\n", 0).is_err());
        assert!(parse(&b"*1\r\n".repeat(40), 0).is_err());
    }
}
