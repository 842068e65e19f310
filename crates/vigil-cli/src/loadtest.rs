//! `vigil loadtest MODEL` (an open-loop load test of one revision in steps of rising rate,
//! progress on standard error, Ctrl-C cancels), `vigil loadtest list` and `vigil loadtest hosts`
//! (the hosts outside loopback that may be load-tested), and `vigil capacity plan MODEL` (replicas
//! and monthly cost of every load-tested instance type for a peak rate).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use vigil_core::cost::capacity::{dollars, CapacityPlan, CapacityRequest};
use vigil_core::cost::loadtest::{LoadTestRequest, LoadTestResult};
use vigil_core::{Engine, VigilError};

use crate::rollout::{print_json, Actor};
use crate::table;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LoadTestArgs {
    #[command(subcommand)]
    command: Option<LoadTestCommand>,
    /// The model to load-test
    model: Option<String>,
    /// The server serving it (default: the only one that does)
    #[arg(long)]
    server: Option<String>,
    /// The revision (default: the model's only one)
    #[arg(long)]
    version: Option<String>,
    /// Requests per second of each step, rising, comma-separated (default 5,10,20,50,…,2000)
    #[arg(long, value_delimiter = ',')]
    rates: Option<Vec<f64>>,
    /// Seconds each step lasts (default 10)
    #[arg(long, value_name = "SECONDS")]
    step: Option<f64>,
    /// A step whose p99 is above this many milliseconds misses (default: the model's objective)
    #[arg(long, value_name = "MS")]
    p99: Option<f64>,
    /// A step whose error share is above this misses (default: the model's objective)
    #[arg(long, value_name = "SHARE")]
    max_errors: Option<f64>,
    /// Request bodies from this JSON file (one object, an array, or one a line) instead of ones
    /// built from the model's reference data
    #[arg(long, value_name = "FILE")]
    payload: Option<PathBuf>,
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum LoadTestCommand {
    /// Stored load tests, newest first
    List {
        model: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The hosts outside loopback that may be load-tested; `--allow` and `--forbid` change them
    Hosts {
        #[arg(long, value_name = "HOST")]
        allow: Vec<String>,
        #[arg(long, value_name = "HOST")]
        forbid: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum CapacityCommand {
    /// Replicas and monthly cost of each load-tested instance type for a peak rate
    Plan {
        model: String,
        /// Requests per second at peak
        #[arg(long)]
        peak: f64,
        /// Only load tests run with this p99 objective (ms) or a stricter one count
        #[arg(long, value_name = "MS")]
        p99: Option<f64>,
        /// Spare capacity: 1.3 = 30 % above the planned rate
        #[arg(long, default_value_t = 1.3)]
        headroom: f64,
        /// The instance type wanted, PROVIDER/REGION/TYPE
        #[arg(long, value_name = "PROVIDER/REGION/TYPE")]
        prefer: Option<String>,
        /// How many of the preferred type can be had
        #[arg(long, requires = "prefer")]
        cap: Option<u32>,
        /// Traffic growth to plan for: 0.5 = 50 % more
        #[arg(long, default_value_t = 0.0)]
        growth: f64,
        /// Run each replica at this share of the rate it held (0–1)
        #[arg(long, default_value_t = 1.0)]
        utilization: f64,
        /// Hours a day scaled to zero
        #[arg(long, default_value_t = 0.0)]
        hours_off: f64,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(engine: &Engine, actor: &Actor, args: LoadTestArgs) -> Result<(), VigilError> {
    let cost = engine.cost();
    match args.command {
        Some(LoadTestCommand::List { model, json }) => {
            let tests = cost.load_tests(model.as_deref()).await?;
            if json {
                print_json(&tests);
            } else if tests.is_empty() {
                println!("No load test yet: run one with `vigil loadtest MODEL`.");
            } else {
                print!("{}", list_table(&tests));
            }
            Ok(())
        }
        Some(LoadTestCommand::Hosts { allow, forbid }) => {
            let mut hosts = cost.allowed_hosts().await?;
            if !allow.is_empty() || !forbid.is_empty() {
                hosts.extend(allow);
                hosts.retain(|host| !forbid.iter().any(|gone| gone.trim().eq_ignore_ascii_case(host)));
                hosts = cost.set_allowed_hosts(&actor.person()?, &hosts).await?;
            }
            match hosts.is_empty() {
                true => println!("Only loopback hosts are load-tested; allow another with --allow HOST."),
                false => println!("Load tests may reach loopback and: {}", hosts.join(", ")),
            }
            Ok(())
        }
        None => {
            let Some(model) = args.model else {
                return Err(VigilError::invalid("model", "Name the model to load-test: vigil loadtest MODEL."));
            };
            let request = LoadTestRequest {
                server: args.server.unwrap_or_default(),
                model,
                version: args.version,
                rates: args.rates,
                step_seconds: args.step,
                p99_objective_ms: args.p99,
                max_error_share: args.max_errors,
                payload_file: args.payload.map(|path| path.display().to_string()),
            };
            let progress = |p: vigil_core::cost::loadtest::LoadTestProgress| {
                eprint!(
                    "\rstep {}/{} at {} req/s: {:.1} s, {} sent, {} errors, p50 {:.0} ms, p99 {:.0} ms   ",
                    p.step, p.steps, p.rate, p.elapsed_s, p.sent, p.errors, p.p50_ms, p.p99_ms
                );
            };
            let cancel = crate::drift::cancel_on_interrupt();
            let result = cost.load_test(&actor.person()?, request, progress, cancel).await?;
            eprintln!();
            if args.json {
                print_json(&result);
            } else {
                print!("{}", steps_table(&result));
                println!("{}", result.sentence);
            }
            Ok(())
        }
    }
}

pub async fn capacity(engine: &Engine, command: CapacityCommand) -> Result<(), VigilError> {
    let CapacityCommand::Plan { model, peak, p99, headroom, prefer, cap, growth, utilization, hours_off, json } =
        command;
    let request = CapacityRequest {
        model,
        peak_rate: peak,
        p99_objective_ms: p99,
        headroom,
        preferred: prefer,
        preferred_cap: cap,
        growth,
        target_utilization: utilization,
        hours_off_per_day: hours_off,
    };
    let plan = engine.cost().capacity_plan(&request).await?;
    if json {
        print_json(&plan);
    } else {
        print!("{}", plan_text(&plan));
    }
    Ok(())
}

fn ms(value: f64) -> String {
    format!("{value:.0} ms")
}

fn steps_table(result: &LoadTestResult) -> String {
    let rows = result.steps.iter().map(|s| {
        [
            format!("{}", s.rate),
            format!("{:.1}", s.achieved_rate),
            s.sent.to_string(),
            format!("{:.1} %", s.error_share * 100.0),
            ms(s.p50_ms),
            ms(s.p99_ms),
            if s.within { "within" } else { "missed" }.to_owned(),
        ]
    });
    table(["RATE", "ANSWERED/S", "SENT", "ERRORS", "P50", "P99", "BOUNDS"], rows)
}

fn list_table(tests: &[LoadTestResult]) -> String {
    let rows = tests.iter().map(|t| {
        [
            t.started_at.format("%Y-%m-%d %H:%M").to_string(),
            format!("{} {}", t.model, t.version),
            t.instance.clone().unwrap_or_else(|| "unplaced".into()),
            t.sustainable_rate.map_or("-".into(), |r| format!("{r}")),
            t.per_replica_rate.map_or("-".into(), |r| format!("{r:.1}")),
            ms(t.p99_objective_ms),
            if t.cancelled { "cancelled" } else { "" }.to_owned(),
        ]
    });
    table(["STARTED", "REVISION", "INSTANCE", "HELD REQ/S", "PER REPLICA", "P99 OBJECTIVE", ""], rows)
}

fn plan_text(plan: &CapacityPlan) -> String {
    let money = |value: Option<f64>| value.map_or("-".to_owned(), dollars);
    let rows = plan.options.iter().map(|o| {
        [
            o.instance.clone(),
            format!("{:.1}", o.per_replica_rate),
            o.replicas.to_string(),
            dollars(o.monthly_on_demand),
            money(o.monthly_spot),
            money(o.monthly_reserved),
        ]
    });
    let mut text = plan.sentences.join("\n") + "\n";
    if !plan.options.is_empty() {
        text += "\n";
        text += &table(["INSTANCE", "REQ/S EACH", "REPLICAS", "ON DEMAND /MO", "SPOT /MO", "RESERVED /MO"], rows);
    }
    if !plan.untested.is_empty() {
        text += &format!("\nNo load test yet on: {}\n", plan.untested.join(", "));
    }
    text
}
