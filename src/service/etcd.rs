//! A synchronous etcd v3 client over etcd's JSON gateway: leases, and a lock key taken and given
//! back in one transaction each.
//!
//! **Why the gateway, and why `ureq`.** The `etcd-client` crate is async (a runtime for a few
//! requests) and compiles protobuf files at build time, which needs `protoc`: a fresh `cargo build`
//! must need nothing but the Rust toolchain. etcd 3.4 serves the same API as JSON over HTTP/1.1
//! (`/v3/kv/range`, `/v3/kv/txn`, `/v3/kv/deleterange`, `/v3/lease/grant`, `/v3/lease/revoke`,
//! `/v3/lease/keepalive`). For HTTP, `ureq` 3 without default features adds ten crates (`ureq`,
//! `ureq-proto`, `http`, `bytes`, `httparse`, `percent-encoding`, `base64`, `utf8-zero`, and `itoa`
//! and `log`, which faultline already had): below the fifteen that would have made an own
//! HTTP/1.1 POST worth its maintenance. It brings `base64`, which this module uses for keys and
//! values at no further cost. A request that times out is not answered on a reused connection
//! (ureq drops it), so the stale-reply hazard of [`super::redis`] does not arise here.
//!
//! **The gateway's JSON.** Keys and values are base64; int64 fields (revisions, lease ids, TTLs)
//! come back as JSON strings; fields at their zero value are left out (`succeeded: false` is
//! absent, so is the `TTL` of a lease that is gone); an error is a non-200 status with
//! `{"error": ..., "code": ...}`; the streaming keep-alive wraps its one answer in `"result"`.
//!
//! **Leases are coarse.** TTLs are whole seconds, and etcd raises a small one to its minimum,
//! `ceil(1.5 × election timeout)` in seconds: 1 s with the 100 ms election timeout
//! [`super::Cluster`] gives its servers, so a TTL of 0 or 1 is granted as 1 s. The primary lessor
//! looks for expired leases every 500 ms, so a key on a 1 s lease disappears between 1.0 and 1.5 s
//! after the grant. Measured on this machine (etcd 3.4.23, 2 cores, loopback; 20 grants spread
//! over the phase of that check): the key of a 1 s lease was gone 1.06–1.48 s after the grant,
//! median 1.29 s; grants made just after an expiry all land at one phase and last 1.50 s. The test
//! `etcd_lease_expiry_frees_the_key` prints what it sees (`FAULTLINE_TTL_SAMPLES=20` for more).
//! A lease lock on etcd therefore holds for its TTL *plus up to half a second*.

use super::ServiceError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;

/// A client for one etcd server's JSON gateway.
#[derive(Debug)]
pub struct Etcd {
    addr: SocketAddr,
    agent: ureq::Agent,
}

/// One key as etcd stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The value.
    pub value: Vec<u8>,
    /// The revision that created the key (the fencing token of a lock key).
    pub create_revision: i64,
    /// The revision of the key's last change.
    pub mod_revision: i64,
    /// The lease the key is attached to, 0 for none.
    pub lease: i64,
}

impl Etcd {
    /// A client for the server whose client URL is `http://addr`; every request returns within
    /// `timeout`, answered or not.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Etcd {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // etcd's refusals are non-200 statuses with a JSON body worth reading.
            .http_status_as_error(false)
            .build()
            .into();
        Etcd { addr, agent }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// True when the server says it is healthy (`GET /health`: it has a leader and no alarm).
    pub fn health(&self) -> Result<bool, ServiceError> {
        let url = format!("http://{}/health", self.addr);
        let mut response = self.agent.get(&url).call().map_err(|e| self.failed("GET /health", e))?;
        let body = response.body_mut().read_to_string().map_err(|e| self.failed("GET /health", e))?;
        let value: Value = serde_json::from_str(&body).map_err(|e| self.protocol("/health", e))?;
        Ok(value["health"] == "true")
    }

    /// Grants a lease of `ttl_secs` seconds (etcd may raise it to its minimum) and returns its id.
    pub fn grant(&self, ttl_secs: i64) -> Result<i64, ServiceError> {
        let reply = self.post("/v3/lease/grant", json!({ "TTL": ttl_secs }))?;
        match int(&reply, "ID")? {
            0 => Err(self.protocol("/v3/lease/grant", "no lease id in the reply")),
            id => Ok(id),
        }
    }

    /// Renews lease `id` once and returns the TTL it now has left, in seconds: 0 or less when
    /// the lease is gone (expired or revoked).
    pub fn keepalive(&self, id: i64) -> Result<i64, ServiceError> {
        let reply = self.post("/v3/lease/keepalive", json!({ "ID": id.to_string() }))?;
        int(&reply["result"], "TTL")
    }

    /// Revokes lease `id`, deleting its keys. A lease that is already gone is not an error: a
    /// holder that gives back an expired lock has nothing left to give back.
    pub fn revoke(&self, id: i64) -> Result<(), ServiceError> {
        match self.post("/v3/lease/revoke", json!({ "ID": id.to_string() })) {
            Err(error) if lease_not_found(&error) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Takes `key` in one transaction: if it does not exist (`create_revision == 0`), puts
    /// `value` on lease `lease_id` and returns `Some(revision)`, the revision of that put, which
    /// is the key's create revision and the holder's fencing token; if it exists, returns `None`.
    /// A lease that is gone is [`ServiceError::Refused`] (see [`lease_not_found`]).
    pub fn acquire(&self, key: &[u8], value: &[u8], lease_id: i64) -> Result<Option<i64>, ServiceError> {
        let txn = json!({
            "compare": [{ "key": b64(key), "target": "CREATE", "result": "EQUAL", "create_revision": "0" }],
            "success": [{ "request_put": { "key": b64(key), "value": b64(value), "lease": lease_id.to_string() } }],
        });
        let reply = self.post("/v3/kv/txn", txn)?;
        if reply["succeeded"] == true { Ok(Some(int(&reply["header"], "revision")?)) } else { Ok(None) }
    }

    /// Deletes `key` if its value is still `value`, in one transaction; true if it was deleted.
    pub fn release(&self, key: &[u8], value: &[u8]) -> Result<bool, ServiceError> {
        let txn = json!({
            "compare": [{ "key": b64(key), "target": "VALUE", "result": "EQUAL", "value": b64(value) }],
            "success": [{ "request_delete_range": { "key": b64(key) } }],
        });
        let reply = self.post("/v3/kv/txn", txn)?;
        Ok(reply["succeeded"] == true)
    }

    /// The key, if it exists.
    pub fn get(&self, key: &[u8]) -> Result<Option<KeyValue>, ServiceError> {
        let reply = self.post("/v3/kv/range", json!({ "key": b64(key) }))?;
        let Some(kv) = reply["kvs"].as_array().and_then(|kvs| kvs.first()) else {
            return Ok(None);
        };
        let value = match kv["value"].as_str() {
            Some(text) => BASE64.decode(text).map_err(|e| self.protocol("/v3/kv/range", e))?,
            None => Vec::new(),
        };
        Ok(Some(KeyValue {
            value,
            create_revision: int(kv, "create_revision")?,
            mod_revision: int(kv, "mod_revision")?,
            lease: int(kv, "lease")?,
        }))
    }

    /// How many keys start with `prefix` (every key, for an empty prefix).
    pub fn count_prefix(&self, prefix: &[u8]) -> Result<i64, ServiceError> {
        let reply = self.post(
            "/v3/kv/range",
            json!({ "key": b64(range_key(prefix)), "range_end": b64(&prefix_end(prefix)), "count_only": true }),
        )?;
        int(&reply, "count")
    }

    /// Deletes every key that starts with `prefix` (every key, for an empty prefix).
    pub fn delete_prefix(&self, prefix: &[u8]) -> Result<(), ServiceError> {
        self.post(
            "/v3/kv/deleterange",
            json!({ "key": b64(range_key(prefix)), "range_end": b64(&prefix_end(prefix)) }),
        )
        .map(|_| ())
    }

    fn post(&self, path: &str, body: Value) -> Result<Value, ServiceError> {
        let url = format!("http://{}{path}", self.addr);
        let what = format!("POST {path}");
        let mut response = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body.to_string())
            .map_err(|e| self.failed(&what, e))?;
        let status = response.status();
        let text = response.body_mut().read_to_string().map_err(|e| self.failed(&what, e))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| self.protocol(path, e))?;
        if !status.is_success() || value.get("error").is_some() {
            let message = value["message"]
                .as_str()
                .or(value["error"].as_str())
                .or(value["error"]["message"].as_str())
                .map_or_else(|| format!("status {status}: {text}"), str::to_string);
            return Err(ServiceError::Refused { addr: self.addr.to_string(), message });
        }
        Ok(value)
    }

    fn failed(&self, what: &str, error: ureq::Error) -> ServiceError {
        let error = match error {
            ureq::Error::Timeout(which) => {
                std::io::Error::new(std::io::ErrorKind::TimedOut, format!("timed out ({which})"))
            }
            other => other.into_io(),
        };
        ServiceError::io(self.addr, what, &error)
    }

    fn protocol(&self, path: &str, what: impl std::fmt::Display) -> ServiceError {
        ServiceError::Protocol { addr: self.addr.to_string(), what: format!("{path}: {what}") }
    }
}

/// True when `error` is etcd refusing a request because its lease has expired or was revoked.
pub fn lease_not_found(error: &ServiceError) -> bool {
    matches!(error, ServiceError::Refused { message, .. } if message.contains("lease not found"))
}

fn b64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// The gateway's int64 field `name` of `object`: a string, a number, or absent for zero.
fn int(object: &Value, name: &str) -> Result<i64, ServiceError> {
    let field = &object[name];
    let parsed = match field {
        Value::Null => Some(0),
        Value::String(text) => text.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    parsed.ok_or_else(|| ServiceError::Protocol { addr: String::new(), what: format!("{name} = {field}") })
}

/// The first key of a prefix range: the prefix, or `\0` for every key.
fn range_key(prefix: &[u8]) -> &[u8] {
    if prefix.is_empty() { b"\0" } else { prefix }
}

/// The end (exclusive) of the range of keys starting with `prefix`: the prefix with its last byte
/// below 0xff incremented and what follows cut; `\0` (to the end of the keyspace) when there is no
/// such byte, as etcd's own clients do.
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    match prefix.iter().rposition(|&b| b < 0xff) {
        Some(at) => {
            let mut end = prefix[..=at].to_vec();
            end[at] += 1;
            end
        }
        None => vec![0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_end_past_the_prefix() {
        assert_eq!(prefix_end(b"lock/"), b"lock0");
        assert_eq!(prefix_end(b"a\xff"), b"b");
        assert_eq!(prefix_end(b"\xff\xff"), b"\0");
        assert_eq!(prefix_end(b""), b"\0");
        assert_eq!(range_key(b""), b"\0");
    }

    #[test]
    fn int64_fields_come_as_strings_or_not_at_all() {
        let reply = json!({ "a": "42", "b": 7, "c": "x" });
        assert_eq!(int(&reply, "a"), Ok(42));
        assert_eq!(int(&reply, "b"), Ok(7));
        assert_eq!(int(&reply, "missing"), Ok(0));
        assert!(int(&reply, "c").is_err());
    }
}
