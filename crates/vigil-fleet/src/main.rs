//! `vigil-fleet`: starts the demo fleet on loopback, prints one line per server, and runs until
//! Ctrl-C (or `--stop-after`). Flags override the TOML file given with `--config`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use vigil_fleet::config::parse_duration;
use vigil_fleet::{Fleet, FleetConfig, Scenario};

const SCENARIOS: &str = "\
Scenarios (--scenario, comma-separated, combinable; every draw follows --seed):
  healthy     nothing goes wrong (the default)
  drift       from --drift-at on, traffic's inputs shift: fraud amount and distance move up and
              spread, more electronics, gaming and online payments; churn charges rise, more
              month-to-month contracts; flats get smaller and more central. The truth moves
              too (fraud moves to small in-store payments, churn no longer follows price, flats
              sell for a fifth more), so the labels show the served models wrong more often
  bad-canary  fraud version 13 fails 8% of inferences and 15% of them take 150-400 ms longer
              (higher error rate and p99 than version 12)
  outage      server --outage-server stops answering (its port closes) at --outage-at for
              --outage-for, then comes back with fresh counters
  slow        server --slow-server answers everything --slow-delay late (its inferences
              take that much longer in the model, so its latency metrics show it)
  feedback-loop
              a feedback loop, as a recommender falls into: the fraud server also serves recs
              (will a shopper click the recommended item?) in revisions 1, 2 and 3, each
              retrained on the clicks recorded while its predecessor served. Shoppers rarely
              see what was not recommended (--feedback-influence of those items go unseen, so
              unclicked), so each revision learns from labels its predecessor shaped: it
              recommends less, its predictions narrow from revision to revision (the entropy
              of its predicted labels falls), and the labels converge on past predictions.
              Revision 1 serves first, 2 after --revision-every, 3 after twice that.
              --feedback-influence 0 is the negative control: every revision retrained on
              fresh, uninfluenced clicks, and nothing narrows

Labels (with --log-url): each answered one-row request gets its ground truth, drawn from the
model's truth for that row, posted --label-delay later (a --late-label-share of them after
--late-label-delay) to the labels endpoint beside the log URL: POST BASE/ingest/MODEL/labels,
{\"labels\":[{\"id\":\"<inference id>\",\"label\":1}]}, with the log URL's token as a Bearer header.

Servers (metrics at URL/metrics; register each in Vigil with kind auto):
  fraud    Triton-style   fraud 12 (stable) and 13 (canary); recs 1, 2, 3 with feedback-loop
  churn    MLServer-style churn v3
  pricing  KServe-style   price v7 (Vigil detects it as oip-v2)
  router   splits each model's traffic between its versions:
           POST URL/v2/models/MODEL/infer; GET/PUT URL/admin/routes/MODEL {\"weights\":{\"12\":90,\"13\":10}}

Durations: 400ms, 90s, 2m, 1h. A TOML file (--config) takes the same settings; see the crate README.";

/// A demo fleet of model servers on loopback, with real models, traffic and scenarios.
#[derive(Debug, Parser)]
#[command(name = "vigil-fleet", version, after_help = SCENARIOS)]
struct Cli {
    /// A TOML file of settings (flags override it).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Scenarios to play, comma-separated: healthy, drift, bad-canary, outage, slow, feedback-loop.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    scenario: Option<Vec<Scenario>>,
    /// Seed of every random draw (default 42).
    #[arg(long)]
    seed: Option<u64>,
    /// Listen on consecutive ports from here: fraud, churn, pricing, router (default: free ports).
    #[arg(long, value_name = "PORT")]
    port_base: Option<u16>,
    /// Post every inference as CloudEvents (KServe's logger convention) to this URL, and its label later beside it.
    #[arg(long, value_name = "URL")]
    log_url: Option<url::Url>,
    /// Print the servers as JSON lines, for scripts.
    #[arg(long)]
    json: bool,
    /// Requests per second at the busiest hour (default 40).
    #[arg(long, value_name = "RPS")]
    rate: Option<f64>,
    /// How long one compressed day lasts (default 10m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    day: Option<Duration>,
    /// Send no traffic.
    #[arg(long)]
    no_traffic: bool,
    /// Share of fraud traffic the router sends to version 13 at start, in percent (default 10).
    #[arg(long, value_name = "PERCENT")]
    canary_percent: Option<u32>,
    /// When the drift scenario's shift starts (default 2m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    drift_at: Option<Duration>,
    /// The server the outage scenario stops (default pricing).
    #[arg(long, value_name = "SERVER")]
    outage_server: Option<String>,
    /// When the outage starts (default 1m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    outage_at: Option<Duration>,
    /// How long the outage lasts (default 1m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    outage_for: Option<Duration>,
    /// The server the slow scenario slows (default churn).
    #[arg(long, value_name = "SERVER")]
    slow_server: Option<String>,
    /// How late the slow server answers (default 250ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    slow_delay: Option<Duration>,
    /// How long after its inference a label is posted (default 75s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    label_delay: Option<Duration>,
    /// Share of labels that come late instead, after --late-label-delay (default 0.1).
    #[arg(long, value_name = "SHARE")]
    late_label_share: Option<f64>,
    /// How long after its inference a late label is posted (default 10m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    late_label_delay: Option<Duration>,
    /// Send no labels, even with --log-url.
    #[arg(long)]
    no_labels: bool,
    /// feedback-loop: share of the items recs does not recommend that shoppers never see (default 0.9; 0: the negative control).
    #[arg(long, value_name = "SHARE")]
    feedback_influence: Option<f64>,
    /// feedback-loop: how long each revision of recs serves before the next (default 3m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    revision_every: Option<Duration>,
    /// Stop by itself after this long.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    stop_after: Option<Duration>,
}

impl Cli {
    /// The configuration: the file's (or the defaults), with each flag given laid over it.
    fn config(&self) -> Result<FleetConfig, String> {
        let mut config = match &self.config {
            Some(path) => FleetConfig::from_file(path)?,
            None => FleetConfig::default(),
        };
        fn set<T: Clone>(target: &mut T, flag: &Option<T>) {
            if let Some(value) = flag {
                *target = value.clone();
            }
        }
        set(&mut config.scenarios, &self.scenario);
        set(&mut config.seed, &self.seed);
        set(&mut config.canary_percent, &self.canary_percent);
        set(&mut config.traffic.peak_rps, &self.rate);
        set(&mut config.traffic.day, &self.day);
        set(&mut config.drift.at, &self.drift_at);
        set(&mut config.outage.server, &self.outage_server);
        set(&mut config.outage.at, &self.outage_at);
        set(&mut config.outage.lasting, &self.outage_for);
        set(&mut config.slow.server, &self.slow_server);
        set(&mut config.slow.delay, &self.slow_delay);
        set(&mut config.labels.delay, &self.label_delay);
        set(&mut config.labels.late_share, &self.late_label_share);
        set(&mut config.labels.late_delay, &self.late_label_delay);
        set(&mut config.feedback_loop.influence, &self.feedback_influence);
        set(&mut config.feedback_loop.every, &self.revision_every);
        if self.port_base.is_some() {
            config.port_base = self.port_base;
        }
        if self.log_url.is_some() {
            config.log_url = self.log_url.clone();
        }
        if self.no_traffic {
            config.traffic.enabled = false;
        }
        if self.no_labels {
            config.labels.enabled = false;
        }
        Ok(config)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = match cli.config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("vigil-fleet: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("vigil-fleet: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config, cli.json, cli.stop_after))
}

async fn run(config: FleetConfig, json: bool, stop_after: Option<Duration>) -> ExitCode {
    let scenarios: Vec<String> = config.scenarios.iter().map(Scenario::to_string).collect();
    let fleet = match Fleet::start(config).await {
        Ok(fleet) => fleet,
        Err(err) => {
            eprintln!("vigil-fleet: {err}");
            return ExitCode::FAILURE;
        }
    };
    let router = fleet.router_url();
    for server in fleet.servers() {
        if json {
            println!("{}", serde_json::json!(server));
        } else {
            let models = server.models.join(", ");
            println!(
                "{:<8} {:<9} {}  metrics {}  models {models}",
                server.name, server.kind, server.url, server.metrics_url
            );
        }
    }
    if json {
        println!(
            "{}",
            serde_json::json!({
                "name": "router",
                "kind": "router",
                "url": router,
                "admin_url": format!("{router}/admin/routes")
            })
        );
    } else {
        println!("{:<8} {:<9} {router}  admin {router}/admin/routes", "router", "router");
    }
    tracing::info!("scenarios: {}; stop with Ctrl-C", scenarios.join(", "));
    let stopped = async {
        match stop_after {
            Some(after) => tokio::time::sleep(after).await,
            None => {
                if let Err(err) = tokio::signal::ctrl_c().await {
                    tracing::error!("cannot wait for Ctrl-C ({err}); stopping");
                }
            }
        }
    };
    stopped.await;
    if let Some(traffic) = fleet.traffic() {
        tracing::info!(
            "traffic: {} sent, {} ok, {} errors, {} unanswered, {} skipped",
            traffic.sent,
            traffic.ok,
            traffic.errors,
            traffic.unanswered,
            traffic.skipped
        );
    }
    if let Some(log) = fleet.payload_log() {
        tracing::info!("payload log: {} events sent, {} dropped, {} failed", log.sent(), log.dropped(), log.failed());
    }
    if let Some(labels) = fleet.labels() {
        tracing::info!("labels: {} sent, {} dropped, {} failed", labels.sent(), labels.dropped(), labels.failed());
    }
    fleet.stop().await;
    ExitCode::SUCCESS
}
