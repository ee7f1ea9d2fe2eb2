//! stub
use super::{ServiceError, ServiceKind};
use std::net::SocketAddr;
/// c
#[derive(Debug)]
pub struct Cluster;
impl Cluster {
    /// s
    pub fn start(_kind: ServiceKind, _count: usize) -> Result<Cluster, ServiceError> { unimplemented!() }
    /// a
    pub fn addrs(&self) -> Vec<SocketAddr> { unimplemented!() }
    /// k
    pub fn kill(&mut self, _i: usize) -> Result<(), ServiceError> { unimplemented!() }
    /// s
    pub fn stop(&mut self, _i: usize) -> Result<(), ServiceError> { unimplemented!() }
    /// r
    pub fn resume(&mut self, _i: usize) -> Result<(), ServiceError> { unimplemented!() }
    /// r
    pub fn restart(&mut self, _i: usize) -> Result<(), ServiceError> { unimplemented!() }
}
