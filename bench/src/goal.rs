//! How every benchmark holds its figures to their goals: a `Goals:` block, one line a figure,
//! `PASS` or `MISS` (or `----` for a figure shown without a goal), the goal and the figure
//! measured. `make bench-quick` gathers these lines from all the benchmarks into one list.

use serde_json::{json, Value};

/// One figure and its goal.
pub struct Goal {
    goal: String,
    met: Option<bool>,
    measured: String,
}

impl Goal {
    pub fn new(goal: impl Into<String>, met: bool, measured: impl Into<String>) -> Goal {
        Goal { goal: goal.into(), met: Some(met), measured: measured.into() }
    }

    /// A figure printed beside the goals that no issue set a goal for.
    pub fn none(figure: impl Into<String>, measured: impl Into<String>) -> Goal {
        Goal { goal: figure.into(), met: None, measured: format!("{}; no goal set", measured.into()) }
    }
}

/// Prints the `Goals:` block and returns the goals as JSON: `[{goal, met, measured}]`, `met`
/// null for a figure without a goal.
pub fn print(goals: &[Goal]) -> Value {
    println!("Goals:");
    for goal in goals {
        let verdict = match goal.met {
            Some(true) => "PASS",
            Some(false) => "MISS",
            None => "----",
        };
        println!("  {verdict}  {} ({})", goal.goal, goal.measured);
    }
    goals.iter().map(|goal| json!({ "goal": goal.goal, "met": goal.met, "measured": goal.measured })).collect()
}
