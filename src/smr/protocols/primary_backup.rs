//! Primary-backup with heartbeats and view change.
//!
//! View `v`'s primary is server `v mod n`. The primary heartbeats every round, picks the smallest
//! command written to it (or keeps the one it inherited), replicates it, and commits once every
//! backup has acked or has stayed silent for an ack's round trip: in synchrony with *crash*
//! faults, silence means death, so the primary may go on without the dead. A backup that hears no
//! heartbeat for `τ` rounds moves to the next view. Because a committed command was acked by every
//! live backup first, the next primary inherits it: safe and live with any number of crashes.
//!
//! Under *omission* faults silence no longer means death. A primary cut off from its backup
//! commits alone; the backup, hearing nothing, takes over and commits the other client's command.

use crate::smr::model::{Cluster, Cmd, Pid, Round};
use crate::smr::protocol::{Process, Protocol};
use std::collections::BTreeSet;
use std::fmt;

/// Primary-backup with heartbeat timeout `τ` rounds.
#[derive(Debug, Clone, Copy)]
pub struct PrimaryBackup {
    timeout: Round,
}

impl PrimaryBackup {
    /// A backup suspects the primary after `timeout` rounds without a heartbeat.
    pub fn new(timeout: Round) -> Self {
        PrimaryBackup { timeout: timeout.max(1) }
    }
}

/// Messages of primary-backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PbMsg {
    /// Client → server: write this command.
    Write(Cmd),
    /// Primary → backups: I am alive, in this view.
    Heartbeat { view: usize },
    /// Primary → backups: adopt this command.
    Replicate { view: usize, cmd: Cmd },
    /// Backup → primary: adopted.
    Ack { view: usize },
    /// Server → client: this command is committed.
    Committed(Cmd),
}

impl fmt::Display for PbMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PbMsg::Write(c) => write!(f, "Write({c})"),
            PbMsg::Heartbeat { view } => write!(f, "Heartbeat(v{view})"),
            PbMsg::Replicate { view, cmd } => write!(f, "Replicate(v{view}, {cmd})"),
            PbMsg::Ack { view } => write!(f, "Ack(v{view})"),
            PbMsg::Committed(c) => write!(f, "Committed({c})"),
        }
    }
}

impl Protocol for PrimaryBackup {
    type Msg = PbMsg;
    type Server = PbServer;

    fn name(&self) -> String {
        "primary-backup".into()
    }

    fn tau(&self) -> Option<Round> {
        Some(self.timeout)
    }

    fn server(&self, me: Pid, cluster: Cluster) -> PbServer {
        PbServer {
            me,
            cluster,
            timeout: self.timeout,
            view: 0,
            last_heard: 0,
            written: BTreeSet::new(),
            writers: BTreeSet::new(),
            replied: BTreeSet::new(),
            value: None,
            replicated_at: None,
            acks: BTreeSet::new(),
            committed: false,
        }
    }

    fn write(cmd: Cmd) -> PbMsg {
        PbMsg::Write(cmd)
    }

    fn response(msg: &PbMsg) -> Option<Cmd> {
        match msg {
            PbMsg::Committed(c) => Some(*c),
            _ => None,
        }
    }
}

/// A primary-backup server. `Clone`, `Hash` and `Eq` let [`crate::smr::search`](mod@crate::smr::search) copy and compare it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PbServer {
    me: Pid,
    cluster: Cluster,
    timeout: Round,
    view: usize,
    last_heard: Round,
    written: BTreeSet<Cmd>,
    writers: BTreeSet<Pid>,
    replied: BTreeSet<Pid>,
    value: Option<Cmd>,
    replicated_at: Option<Round>,
    acks: BTreeSet<Pid>,
    committed: bool,
}

impl PbServer {
    fn primary(&self, view: usize) -> Pid {
        self.cluster.server(view % self.cluster.servers)
    }

    fn backups(&self) -> impl Iterator<Item = Pid> + '_ {
        self.cluster.servers().filter(move |&s| s != self.me)
    }

    fn enter_view(&mut self, view: usize, round: Round) {
        if view > self.view {
            self.view = view;
            self.replicated_at = None;
            self.acks.clear();
        }
        self.last_heard = round;
    }
}

impl Process<PbMsg> for PbServer {
    fn round(&mut self, round: Round, inbox: &[(Pid, PbMsg)], out: &mut Vec<(Pid, PbMsg)>) {
        for &(from, msg) in inbox {
            match msg {
                PbMsg::Write(c) if !self.cluster.is_server(from) => {
                    self.written.insert(c);
                    self.writers.insert(from);
                }
                PbMsg::Heartbeat { view } if view >= self.view && from == self.primary(view) => {
                    self.enter_view(view, round);
                }
                PbMsg::Replicate { view, cmd } if view >= self.view && from == self.primary(view) => {
                    self.enter_view(view, round);
                    self.value = Some(cmd);
                    out.push((from, PbMsg::Ack { view }));
                }
                PbMsg::Ack { view } if view == self.view => {
                    self.acks.insert(from);
                }
                _ => {}
            }
        }
        if self.primary(self.view) != self.me {
            if round > self.last_heard + self.timeout {
                let view = self.view + 1;
                self.enter_view(view, round);
            }
            if self.primary(self.view) != self.me {
                return;
            }
        }
        out.extend(self.backups().map(|b| (b, PbMsg::Heartbeat { view: self.view })).collect::<Vec<_>>());
        if self.value.is_none() {
            self.value = self.written.iter().next().copied();
        }
        let Some(cmd) = self.value else { return };
        match self.replicated_at {
            None if !self.committed => {
                self.replicated_at = Some(round);
                let view = self.view;
                out.extend(self.backups().map(|b| (b, PbMsg::Replicate { view, cmd })).collect::<Vec<_>>());
            }
            Some(at) if !self.committed => {
                // An ack sent the round after the replica arrived is here two rounds after sending.
                let all_acked = self.backups().all(|b| self.acks.contains(&b));
                self.committed = all_acked || round >= at + 2;
            }
            _ => {}
        }
        if self.committed {
            for &w in &self.writers {
                if self.replied.insert(w) {
                    out.push((w, PbMsg::Committed(cmd)));
                }
            }
        }
    }
}
