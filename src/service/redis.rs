//! stub
use super::ServiceError;
use std::net::SocketAddr;
use std::time::Duration;
/// r
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply { Nil, Int(i64), Bulk(Vec<u8>), Simple(String), Error(String), Array(Vec<Reply>) }
/// c
#[derive(Debug)]
pub struct RedisConn;
impl RedisConn {
    /// n
    pub fn new(_addr: SocketAddr, _timeout: Duration) -> Self { RedisConn }
    /// c
    pub fn call(&mut self, _args: &[&[u8]]) -> Result<Reply, ServiceError> { unimplemented!() }
    /// e
    pub fn eval(&mut self, _script: &str, _keys: &[&[u8]], _args: &[&[u8]]) -> Result<Reply, ServiceError> { unimplemented!() }
}
