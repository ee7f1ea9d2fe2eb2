//! Shards: a deterministic slice of a sweep's runs, named on the command line (`--shard K/N`) or
//! read from the cluster scheduler that started the process (`--shard auto`).
//!
//! A Slurm job array says which task a process is in `SLURM_ARRAY_TASK_ID`, and how many tasks
//! there are in `SLURM_ARRAY_TASK_COUNT`, from `SLURM_ARRAY_TASK_MIN`; a Kubernetes Indexed Job
//! says its pod's index (from 0) in `JOB_COMPLETION_INDEX`, but not how many completions the Job
//! has, so its manifest passes that in [`SHARDS_VAR`]. The environment is read through a function
//! ([`Env`]), so the reading is tested on any table of variables, never on the process's own.

use std::fmt;

/// A slice of a sweep's runs: the runs whose index `i` (point × repetitions + repetition) has
/// `i % count == index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// From 0.
    pub index: u64,
    /// At least 1.
    pub count: u64,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N` (K from 1 to N).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("'{text}' is not a shard: write K/N with 1 <= K <= N, e.g. 2/8, or {AUTO}");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (k, n): (u64, u64) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { index: k - 1, count: n })
    }

    /// True when run `run` of the sweep is in this slice.
    pub fn has(&self, run: u64) -> bool {
        run % self.count == self.index
    }
}

/// `K/N`, as `--shard` takes it (K from 1).
impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

/// What `--shard` takes instead of `K/N`: the slice the scheduler gave this process.
pub const AUTO: &str = "auto";
/// The Slurm array task this process is, as `--array=MIN-MAX` numbers it.
pub const SLURM_ID: &str = "SLURM_ARRAY_TASK_ID";
/// The first task of the Slurm array.
pub const SLURM_MIN: &str = "SLURM_ARRAY_TASK_MIN";
/// The last task of the Slurm array.
pub const SLURM_MAX: &str = "SLURM_ARRAY_TASK_MAX";
/// How many tasks the Slurm array has.
pub const SLURM_COUNT: &str = "SLURM_ARRAY_TASK_COUNT";
/// The Slurm array's step (`--array=1-8:2`), set only when the array has one.
pub const SLURM_STEP: &str = "SLURM_ARRAY_TASK_STEP";
/// The pod's index in a Kubernetes Indexed Job, from 0.
pub const JOB_INDEX: &str = "JOB_COMPLETION_INDEX";
/// How many shards a Kubernetes Indexed Job runs (its `completions`), which Kubernetes does not
/// put in the pod's environment: the manifest sets it.
pub const SHARDS_VAR: &str = "FAULTLINE_SHARDS";

/// What `--shard` was given: a slice, or [`AUTO`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardArg {
    /// `K/N`.
    Fixed(Shard),
    /// `auto`: resolved from the environment when the sweep starts ([`from_env`]).
    Auto,
}

impl ShardArg {
    /// Parses `K/N` or `auto`.
    pub fn parse(text: &str) -> Result<ShardArg, String> {
        if text == AUTO { Ok(ShardArg::Auto) } else { Shard::parse(text).map(ShardArg::Fixed) }
    }
}

/// The help of `--shard`, naming the variables `auto` reads.
pub fn help() -> String {
    format!(
        "Run only slice K of N (runs whose index is K-1 modulo N); `faultline merge` joins slices into the \
         unsharded sweep's bytes (simulator rows; threads rows are measured anew). `{AUTO}` takes the slice from \
         a Slurm array ({SLURM_ID} counted from {SLURM_MIN}, of {SLURM_COUNT}) or a Kubernetes Indexed Job \
         ({JOB_INDEX} from 0, of {SHARDS_VAR}, which the manifest sets)"
    )
}

/// A process's environment: the value of a variable, if set.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Why `--shard auto` found no slice; each is one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutoError {
    /// Neither scheduler's variables are set.
    #[error(
        "--shard {AUTO}: no scheduler says which shard this is: none of {SLURM_ID} (a Slurm array) or \
         {JOB_INDEX} (a Kubernetes Indexed Job) is set; give --shard K/N"
    )]
    NoScheduler,
    /// Both schedulers' variables are set: which to believe is a guess.
    #[error("--shard {AUTO}: both {SLURM_ID} and {JOB_INDEX} are set; give --shard K/N")]
    Both,
    /// A variable the scheduler sets beside the index is not set.
    #[error("--shard {AUTO}: {present} is set but {missing} is not: {why}")]
    Missing {
        /// The variable that is set.
        present: &'static str,
        /// The one that is not.
        missing: &'static str,
        /// What it would have said.
        why: &'static str,
    },
    /// A variable that is not a whole number.
    #[error("--shard {AUTO}: {var}={value} is not a whole number")]
    NotNumber {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// A Slurm array with a step: its task ids are not one shard each.
    #[error(
        "--shard {AUTO}: the Slurm array has a step ({SLURM_STEP}={0}); submit a contiguous one, --array=MIN-MAX"
    )]
    Step(String),
    /// A Slurm array that is not contiguous (`--array=1,3,5`).
    #[error(
        "--shard {AUTO}: the Slurm array is not contiguous ({SLURM_MIN}={min}, {SLURM_MAX}={max}, \
         {SLURM_COUNT}={count}); submit --array=MIN-MAX"
    )]
    Gaps {
        /// Its first task.
        min: u64,
        /// Its last task.
        max: u64,
        /// Its number of tasks.
        count: u64,
    },
    /// No shards at all.
    #[error("--shard {AUTO}: {0}=0: there must be at least one shard")]
    NoShards(&'static str),
    /// An index past the count.
    #[error("--shard {AUTO}: {index_var}={index} is not one of {count} shards ({count_var}={count})")]
    OutOfRange {
        /// The index's variable.
        index_var: &'static str,
        /// Its value.
        index: String,
        /// The count's variable.
        count_var: &'static str,
        /// Its value.
        count: u64,
    },
}

/// The slice the scheduler gave this process, and a line that says where it came from:
/// `shard 3/8 from the Slurm array (SLURM_ARRAY_TASK_ID=3, ...)`.
pub fn from_env(env: Env) -> Result<(Shard, String), AutoError> {
    match (env(SLURM_ID), env(JOB_INDEX)) {
        (Some(_), Some(_)) => Err(AutoError::Both),
        (Some(id), None) => slurm(env, &id),
        (None, Some(index)) => kubernetes(env, &index),
        (None, None) => Err(AutoError::NoScheduler),
    }
}

fn number(var: &'static str, value: &str) -> Result<u64, AutoError> {
    value.trim().parse().map_err(|_| AutoError::NotNumber { var, value: value.to_string() })
}

fn slurm(env: Env, id_text: &str) -> Result<(Shard, String), AutoError> {
    const WHY: &str = "is this a Slurm job array (sbatch --array=MIN-MAX)?";
    let needed =
        |var: &'static str| env(var).ok_or(AutoError::Missing { present: SLURM_ID, missing: var, why: WHY });
    let (min_text, count_text) = (needed(SLURM_MIN)?, needed(SLURM_COUNT)?);
    if let Some(step) = env(SLURM_STEP).filter(|s| s.trim() != "1") {
        return Err(AutoError::Step(step));
    }
    let (id, min, count) =
        (number(SLURM_ID, id_text)?, number(SLURM_MIN, &min_text)?, number(SLURM_COUNT, &count_text)?);
    if count == 0 {
        return Err(AutoError::NoShards(SLURM_COUNT));
    }
    // A list (--array=1,3,5) sets no step: its span from MIN to MAX gives it away.
    if let Some(max_text) = env(SLURM_MAX) {
        let max = number(SLURM_MAX, &max_text)?;
        if max.checked_sub(min).and_then(|span| span.checked_add(1)) != Some(count) {
            return Err(AutoError::Gaps { min, max, count });
        }
    }
    let index = id.checked_sub(min).filter(|&i| i < count).ok_or_else(|| AutoError::OutOfRange {
        index_var: SLURM_ID,
        index: format!("{id} (from {SLURM_MIN}={min})"),
        count_var: SLURM_COUNT,
        count,
    })?;
    let shard = Shard { index, count };
    Ok((
        shard,
        format!(
            "shard {shard} from the Slurm array ({SLURM_ID}={id}, {SLURM_MIN}={min}, {SLURM_COUNT}={count})"
        ),
    ))
}

fn kubernetes(env: Env, index_text: &str) -> Result<(Shard, String), AutoError> {
    let count_text = env(SHARDS_VAR).ok_or(AutoError::Missing {
        present: JOB_INDEX,
        missing: SHARDS_VAR,
        why: "a Kubernetes Indexed Job does not say how many completions it has: set it to the Job's \
              completions in the manifest's env",
    })?;
    let (index, count) = (number(JOB_INDEX, index_text)?, number(SHARDS_VAR, &count_text)?);
    if count == 0 {
        return Err(AutoError::NoShards(SHARDS_VAR));
    }
    if index >= count {
        return Err(AutoError::OutOfRange {
            index_var: JOB_INDEX,
            index: index.to_string(),
            count_var: SHARDS_VAR,
            count,
        });
    }
    let shard = Shard { index, count };
    Ok((
        shard,
        format!("shard {shard} from the Kubernetes Indexed Job ({JOB_INDEX}={index}, {SHARDS_VAR}={count})"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(vars: &[(&str, &str)]) -> Result<(Shard, String), AutoError> {
        let env = |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string());
        from_env(&env)
    }

    #[test]
    fn a_slurm_array_counts_from_its_min() {
        let (shard, said) =
            resolve(&[(SLURM_ID, "3"), (SLURM_MIN, "1"), (SLURM_COUNT, "8"), (SLURM_MAX, "8")]).unwrap();
        assert_eq!(shard, Shard { index: 2, count: 8 });
        assert_eq!(
            said,
            "shard 3/8 from the Slurm array (SLURM_ARRAY_TASK_ID=3, SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_COUNT=8)"
        );
        let (zero, _) = resolve(&[(SLURM_ID, "0"), (SLURM_MIN, "0"), (SLURM_COUNT, "4")]).unwrap();
        assert_eq!(zero, Shard { index: 0, count: 4 });
        let (last, _) =
            resolve(&[(SLURM_ID, "17"), (SLURM_MIN, "10"), (SLURM_COUNT, "8"), (SLURM_STEP, "1")]).unwrap();
        assert_eq!(last.to_string(), "8/8");
    }

    #[test]
    fn a_kubernetes_index_counts_from_zero_of_the_count_the_manifest_sets() {
        let (shard, said) = resolve(&[(JOB_INDEX, "0"), (SHARDS_VAR, "4")]).unwrap();
        assert_eq!(shard, Shard { index: 0, count: 4 });
        assert_eq!(
            said,
            "shard 1/4 from the Kubernetes Indexed Job (JOB_COMPLETION_INDEX=0, FAULTLINE_SHARDS=4)"
        );
        assert!(matches!(resolve(&[(JOB_INDEX, "0")]), Err(AutoError::Missing { missing: SHARDS_VAR, .. })));
    }

    #[test]
    fn what_cannot_be_a_shard_is_refused_in_one_line() {
        let slurm = |id: &str, min: &str, count: &str| {
            resolve(&[(SLURM_ID, id), (SLURM_MIN, min), (SLURM_COUNT, count)]).unwrap_err()
        };
        let errors = [
            resolve(&[]).unwrap_err(),
            resolve(&[(SLURM_ID, "1"), (JOB_INDEX, "0")]).unwrap_err(),
            resolve(&[(SLURM_ID, "1"), (SLURM_MIN, "1")]).unwrap_err(),
            slurm("x", "1", "8"),
            slurm("1", "1", "0"),
            slurm("9", "1", "8"),
            slurm("0", "1", "8"),
            resolve(&[(SLURM_ID, "3"), (SLURM_MIN, "1"), (SLURM_COUNT, "4"), (SLURM_STEP, "2")]).unwrap_err(),
            resolve(&[(SLURM_ID, "3"), (SLURM_MIN, "1"), (SLURM_COUNT, "3"), (SLURM_MAX, "5")]).unwrap_err(),
            resolve(&[(JOB_INDEX, "4"), (SHARDS_VAR, "4")]).unwrap_err(),
            resolve(&[(JOB_INDEX, "-1"), (SHARDS_VAR, "4")]).unwrap_err(),
            resolve(&[(JOB_INDEX, "0"), (SHARDS_VAR, "0")]).unwrap_err(),
        ];
        for e in &errors {
            assert_eq!(e.to_string().lines().count(), 1, "{e}");
            assert!(e.to_string().starts_with("--shard auto: "), "{e}");
        }
        let none = errors[0].to_string();
        assert!(none.contains(SLURM_ID) && none.contains(JOB_INDEX), "{none}");
        assert!(matches!(errors[3], AutoError::NotNumber { var: SLURM_ID, .. }));
        assert!(matches!(errors[4], AutoError::NoShards(SLURM_COUNT)));
        assert!(matches!(errors[5], AutoError::OutOfRange { .. }));
        assert!(matches!(errors[6], AutoError::OutOfRange { .. }), "below MIN");
        assert!(matches!(errors[7], AutoError::Step(_)));
        assert!(matches!(errors[8], AutoError::Gaps { min: 1, max: 5, count: 3 }));
    }

    #[test]
    fn a_shard_argument_is_k_of_n_or_auto() {
        assert_eq!(ShardArg::parse("auto"), Ok(ShardArg::Auto));
        assert_eq!(ShardArg::parse("2/8"), Ok(ShardArg::Fixed(Shard { index: 1, count: 8 })));
        assert!(ShardArg::parse("9/8").is_err() && ShardArg::parse("automatic").is_err());
        assert!(help().contains(SLURM_ID) && help().contains(SHARDS_VAR));
    }
}
