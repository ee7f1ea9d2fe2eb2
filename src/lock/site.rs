//! The real servers behind a run of a real service's design: where they are, and the faults
//! faultline carries out on the processes it started.
//!
//! [`Site::open`] either starts `k` private servers ([`Cluster`], which stops them and removes
//! their directories however the run ends) or checks that the user's servers answer, and gives
//! the configuration the world is built from: the same, with the addresses filled in. During the
//! run, [`Site::run`] carries out every fault aimed at a server on its process, at the same moment
//! of true time the engine inflicts it on the server's adapter (from which the oracle learns the
//! server is down): `--crash` kills it (SIGKILL), `--stall` freezes it (SIGSTOP, then SIGCONT),
//! `--restart` starts it again on the same port.

use super::config::{LockConfig, NodeFault};
use super::topology::{Role, Topology};
use crate::service::process::Cluster;
use crate::service::{ServiceError, ServiceSpec};
use crate::time::Nanos;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a server the user runs has to answer before the run is refused.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// The servers of one run.
#[derive(Debug)]
pub struct Site {
    cluster: Option<Cluster>,
    resolved: LockConfig,
}

/// What faultline does to a server process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Kill,
    Stop,
    Resume,
    Restart,
}

impl Site {
    /// Starts the servers `cfg` asks faultline to start, or checks that the user's answer.
    pub fn open(cfg: &LockConfig) -> Result<Site, ServiceError> {
        let spec = cfg.service.as_ref().expect("a run on a real service names it");
        let mut resolved = cfg.clone();
        if !spec.is_started() {
            for index in 0..spec.at.len() {
                let addr = spec
                    .addr(index)
                    .map_err(|message| ServiceError::Local { what: "reading --service".into(), message })?;
                crate::service::ping(spec.kind, addr, ANSWER_WITHIN)?;
            }
            return Ok(Site { cluster: None, resolved });
        }
        let cluster = Cluster::start(spec.kind, cfg.servers)?;
        let at = cluster.addrs().iter().map(ToString::to_string).collect();
        resolved.service = Some(ServiceSpec { kind: spec.kind, at });
        Ok(Site { cluster: Some(cluster), resolved })
    }

    /// The configuration the world is built from: the run's, with the servers' addresses.
    pub fn config(&self) -> &LockConfig {
        &self.resolved
    }

    /// Runs `body` (the engine's run) while carrying out the server faults on the processes, from
    /// the moment `body` starts; stops carrying them out the moment it returns. A fault that could
    /// not be carried out (a restart on a port someone took meanwhile, say) is an error: the run
    /// was not the one asked for.
    pub fn run<T: Send>(&mut self, body: impl FnOnce() -> T + Send) -> Result<T, ServiceError> {
        let plan = plan(&self.resolved.faults, &self.resolved.topology());
        let Some(cluster) = self.cluster.as_mut().filter(|_| !plan.is_empty()) else { return Ok(body()) };
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::scope(|scope| {
            let start = Instant::now();
            let chaos = scope.spawn(move || strike(cluster, &plan, start, &stopped));
            let result = body();
            drop(stop);
            match chaos.join() {
                Ok(done) => done.map(|()| result),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }
}

/// Every action on a server process, `(when, server, what)`, in time order.
fn plan(faults: &[NodeFault], topology: &Topology) -> Vec<(Nanos, usize, Action)> {
    let mut plan = Vec::new();
    for fault in faults {
        for node in topology.resolve(fault.target()).unwrap_or_default() {
            let Some(Role::Server(server)) = topology.role(node) else { continue };
            match *fault {
                NodeFault::Crash { at, .. } => plan.push((at, server, Action::Kill)),
                NodeFault::Stall { at, span, .. } => {
                    plan.push((at, server, Action::Stop));
                    plan.push((at.saturating_add(span), server, Action::Resume));
                }
                NodeFault::Restart { at, .. } => plan.push((at, server, Action::Restart)),
                NodeFault::ClockJump { .. } | NodeFault::ClockDrift { .. } => {}
            }
        }
    }
    plan.sort_by_key(|&(at, server, _)| (at, server));
    plan
}

/// Carries out `plan` on `cluster` from `start`, until `stopped` says the run is over.
fn strike(
    cluster: &mut Cluster,
    plan: &[(Nanos, usize, Action)],
    start: Instant,
    stopped: &mpsc::Receiver<()>,
) -> Result<(), ServiceError> {
    for &(at, server, action) in plan {
        let due = start + Duration::from_nanos(at);
        let wait = due.saturating_duration_since(Instant::now());
        if !matches!(stopped.recv_timeout(wait), Err(mpsc::RecvTimeoutError::Timeout)) {
            return Ok(());
        }
        match action {
            Action::Kill => cluster.kill(server),
            Action::Stop => cluster.stop(server)?,
            Action::Resume => cluster.resume(server)?,
            Action::Restart => cluster.restart(server)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::topology::Target;
    use crate::time::MS;

    /// Each server fault becomes what is done to the process, in time order, for every server it
    /// names; faults on other nodes and clock faults do nothing to a process.
    #[test]
    fn server_faults_become_signals_in_time_order() {
        let target = |t: &str| Target::parse(t).unwrap();
        let faults = [
            NodeFault::Restart { target: target("server:2"), at: 50 * MS },
            NodeFault::Crash { target: target("server:2"), at: 10 * MS },
            NodeFault::Stall { target: target("server:*"), span: 5 * MS, at: 20 * MS },
            NodeFault::Crash { target: target("client:1"), at: MS },
            NodeFault::ClockDrift { target: target("server:1"), rho: 0.1 },
        ];
        let topology = Topology { servers: 2, clients: 2 };
        assert_eq!(
            plan(&faults, &topology),
            vec![
                (10 * MS, 1, Action::Kill),
                (20 * MS, 0, Action::Stop),
                (20 * MS, 1, Action::Stop),
                (25 * MS, 0, Action::Resume),
                (25 * MS, 1, Action::Resume),
                (50 * MS, 1, Action::Restart),
            ]
        );
    }
}
