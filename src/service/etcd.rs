//! stub
use super::ServiceError;
use std::net::SocketAddr;
use std::time::Duration;
/// e
#[derive(Debug)]
pub struct Etcd;
impl Etcd {
    /// n
    pub fn new(_addr: SocketAddr, _timeout: Duration) -> Self { Etcd }
    /// g
    pub fn grant(&mut self, _ttl_secs: i64) -> Result<i64, ServiceError> { unimplemented!() }
    /// k
    pub fn keepalive(&mut self, _id: i64) -> Result<i64, ServiceError> { unimplemented!() }
    /// r
    pub fn revoke(&mut self, _id: i64) -> Result<(), ServiceError> { unimplemented!() }
    /// a
    pub fn acquire(&mut self, _key: &str, _value: &str, _lease: i64) -> Result<Option<i64>, ServiceError> { unimplemented!() }
    /// r
    pub fn release(&mut self, _key: &str, _value: &str) -> Result<bool, ServiceError> { unimplemented!() }
    /// d
    pub fn delete_prefix(&mut self, _prefix: &str) -> Result<(), ServiceError> { unimplemented!() }
}
