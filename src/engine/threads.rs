//! (being written)
use super::{Env, Observer, RunEnd};
use crate::node::Node;
use crate::time::Nanos;

/// Runs `nodes` on one OS thread each until the observer is finished or `horizon` passes.
pub fn run<N, E, O>(_nodes: Vec<N>, _env: E, _observer: &mut O, _horizon: Nanos) -> RunEnd
where
    N: Node + Send + 'static,
    E: Env + Send + 'static,
    O: Observer<N::Obs> + Send,
{
    unimplemented!("threads engine: in progress")
}
