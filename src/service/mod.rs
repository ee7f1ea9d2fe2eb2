//! TEMPORARY STUB (replaced by the helper's module at merge).
pub mod etcd;
pub mod process;
pub mod redis;
pub mod spec;
pub use spec::ServiceSpec;
use std::fmt;

/// Redis or etcd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceKind {
    /// Redis.
    Redis,
    /// etcd.
    Etcd,
}
impl ServiceKind {
    /// name
    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::Redis => "redis",
            ServiceKind::Etcd => "etcd",
        }
    }
}
impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
impl std::str::FromStr for ServiceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "redis" => Ok(ServiceKind::Redis),
            "etcd" => Ok(ServiceKind::Etcd),
            _ => Err(format!("{} is not a service: use redis or etcd", crate::input::Quoted(s))),
        }
    }
}
/// err
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// x
    #[error("{0}")]
    Io(String),
    /// a
    #[error("{0}")]
    Address(String),
}
/// ping
pub fn ping(_kind: ServiceKind, _addr: std::net::SocketAddr, _t: std::time::Duration) -> Result<(), ServiceError> { unimplemented!() }
/// skip
pub fn available_or_skip(_kind: ServiceKind, _test: &str) -> bool { false }
