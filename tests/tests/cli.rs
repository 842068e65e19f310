//! The real `vigil` binary, run as a person or a script would run it: what it prints, where,
//! and with which exit code, against a database in a temporary folder.

use std::path::{Path, PathBuf};

use serde_json::Value;
use vigil_fleet::config::{BadCanaryConfig, TrafficConfig};
use vigil_fleet::{Fleet, FleetConfig, Scenario};
use vigil_tests::cli::{temp_db, vigil, vigil_with_env};
use vigil_tests::loopback::{MlserverLike, ReadinessServer};

/// The stored servers as `vigil server list --json --no-check` prints them (no health check,
/// so reading changes nothing).
async fn stored_servers(db: &Path) -> Value {
    let run = vigil(db, &["server", "list", "--json", "--no-check"]).await;
    assert!(run.success(), "{run:?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|err| panic!("list --json is not JSON ({err}): {run:?}"))
}

async fn audit_entries(db: &Path) -> i64 {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(db);
    let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("open db");
    let count = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&pool).await.expect("count audit_log");
    pool.close().await;
    count
}

/// The cells of the table row whose first cell is `name`.
fn table_row<'a>(table: &'a str, name: &str) -> Vec<&'a str> {
    table
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells.first() == Some(&name))
        .unwrap_or_else(|| panic!("no row for {name} in:\n{table}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn add_then_list_shows_the_server_up() {
    let (_dir, db) = temp_db();
    let model_server = ReadinessServer::start().await;
    let url = model_server.url();

    let added = vigil(&db, &["server", "add", "fraud-prod", &format!("{url}/")]).await;
    assert!(added.success(), "{added:?}");
    assert!(added.stdout.contains("fraud-prod") && added.stdout.contains(&url), "{added:?}");
    assert!(added.stderr.is_empty(), "{added:?}");

    let listed = vigil(&db, &["server", "list"]).await;
    assert!(listed.success(), "{listed:?}");
    let header = listed.stdout.lines().next().unwrap_or_default();
    assert!(header.starts_with("NAME") && header.contains("HEALTH"), "{listed:?}");
    let row = table_row(&listed.stdout, "fraud-prod");
    assert_eq!(row[1], "up", "{listed:?}");
    assert_eq!(
        row[2..5],
        ["oip-v2", "(detected)", url.as_str()],
        "kind, then the URL without the trailing slash: {listed:?}"
    );
    assert!(listed.stdout.contains("HTTP 200"), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_json_is_an_array_scripts_can_read() {
    let (_dir, db) = temp_db();
    let up = ReadinessServer::start().await;
    let down = ReadinessServer::start().await;
    down.answer(503);
    assert!(vigil(&db, &["server", "add", "alpha", &up.url()]).await.success());
    assert!(vigil(&db, &["server", "add", "beta", &down.url()]).await.success());

    let run = vigil(&db, &["server", "list", "--json"]).await;
    assert!(run.success(), "{run:?}");
    let servers: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|err| panic!("not JSON ({err}): {run:?}"));
    let servers = servers.as_array().unwrap_or_else(|| panic!("not an array: {run:?}"));
    assert_eq!(servers.len(), 2, "{run:?}");
    assert_eq!(servers[0]["name"], "alpha");
    assert_eq!(servers[0]["base_url"], up.url());
    assert_eq!(servers[0]["health"], "up");
    assert_eq!(servers[1]["name"], "beta");
    assert_eq!(servers[1]["base_url"], down.url());
    assert_eq!(servers[1]["health"], "down");
    assert!(servers[1]["health_reason"].as_str().unwrap_or_default().contains("503"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_on_an_empty_database_says_how_to_add_a_server() {
    let (_dir, db) = temp_db();
    let run = vigil(&db, &["server", "list"]).await;
    assert!(run.success(), "{run:?}");
    assert!(run.stdout.contains("vigil server add"), "{run:?}");

    let json = vigil(&db, &["server", "list", "--json"]).await;
    assert!(json.success(), "{json:?}");
    assert_eq!(serde_json::from_str::<Value>(&json.stdout).ok(), Some(Value::Array(vec![])), "{json:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_fails_naming_the_field_and_changes_nothing() {
    let (_dir, db) = temp_db();
    assert!(vigil(&db, &["server", "add", "fraud-prod", "http://127.0.0.1:8080"]).await.success());
    let servers_before = stored_servers(&db).await;
    let audit_before = audit_entries(&db).await;

    for (args, names) in [
        (["server", "add", "", "http://127.0.0.1:8081"], "Name"),
        (["server", "add", "other", "notaurl"], "Base URL"),
        (["server", "add", "fraud-prod", "http://127.0.0.1:9999"], "already exists"),
    ] {
        let run = vigil(&db, &args).await;
        assert!(!run.success(), "{args:?} must fail: {run:?}");
        assert!(run.stderr.starts_with("error:"), "{args:?}: {run:?}");
        assert!(run.stderr.contains(names), "{args:?} should mention {names:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{args:?} printed success output: {run:?}");
        assert_eq!(stored_servers(&db).await, servers_before, "{args:?} changed the stored servers");
        assert_eq!(audit_entries(&db).await, audit_before, "{args:?} wrote to the audit log");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_a_missing_server_fails_naming_it() {
    let (_dir, db) = temp_db();
    let run = vigil(&db, &["server", "remove", "ghost"]).await;
    assert!(!run.success(), "{run:?}");
    assert!(run.stderr.starts_with("error:"), "{run:?}");
    assert!(run.stderr.contains("ghost"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_deletes_the_server() {
    let (_dir, db) = temp_db();
    assert!(vigil(&db, &["server", "add", "retired", "http://127.0.0.1:8080"]).await.success());
    let run = vigil(&db, &["server", "remove", "retired"]).await;
    assert!(run.success(), "{run:?}");
    assert!(run.stdout.contains("retired"), "{run:?}");
    assert_eq!(stored_servers(&db).await, Value::Array(vec![]));
}

#[tokio::test(flavor = "multi_thread")]
async fn kind_is_detected_unless_given_and_an_unknown_kind_lists_the_valid_ones() {
    let (_dir, db) = temp_db();
    let model_server = ReadinessServer::start().await;
    assert!(vigil(&db, &["server", "add", "detected", &model_server.url()]).await.success());
    assert!(vigil(&db, &["server", "add", "given", &model_server.url(), "--kind", "triton"]).await.success());
    let listed = vigil(&db, &["server", "list"]).await;
    assert!(listed.success(), "{listed:?}");
    assert_eq!(table_row(&listed.stdout, "detected")[2..4], ["oip-v2", "(detected)"], "{listed:?}");
    assert_eq!(table_row(&listed.stdout, "given")[2], "triton", "{listed:?}");

    let before = stored_servers(&db).await;
    let bad = vigil(&db, &["server", "add", "odd", &model_server.url(), "--kind", "sagemaker"]).await;
    assert!(!bad.success(), "{bad:?}");
    assert!(bad.stderr.contains("'sagemaker'") && bad.stderr.contains("torchserve"), "{bad:?}");
    assert_eq!(stored_servers(&db).await, before, "nothing stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_polls_until_its_time_is_up_prints_changes_and_stores_signals() {
    let (_dir, db) = temp_db();
    let model_server = MlserverLike::start().await;
    assert!(vigil(&db, &["server", "add", "fraud", &model_server.url()]).await.success());
    model_server.serve(4, 1, 0.01);
    let run = vigil(&db, &["collect", "--poll-interval", "0.2", "--for", "1.5"]).await;
    assert!(run.success(), "{run:?}");
    assert!(run.stdout.starts_with("collecting from 1 servers every 0.2 s"), "{run:?}");
    assert!(run.stdout.contains("fraud unknown → up: /v2/health/ready answered HTTP 200"), "{run:?}");
    // The last line sums up: polls made of how many servers, and how late the latest started.
    let summary = run.stdout.lines().last().unwrap_or_default();
    let words: Vec<&str> = summary.split_whitespace().collect();
    assert!(summary.starts_with("collected ") && summary.contains("; worst schedule lag "), "{run:?}");
    assert_eq!((words[4], words[5]), ("1", "servers"), "{run:?}");
    let polls: u32 = words[1].parse().unwrap_or_else(|_| panic!("a count of polls: {run:?}"));
    assert!((2..=10).contains(&polls), "every 0.2 s for 1.5 s is about 7 polls: {run:?}");
    assert!(summary.ends_with(" ms") && words[words.len() - 2].parse::<u64>().is_ok(), "{run:?}");

    let status = vigil(&db, &["status", "--json"]).await;
    let status: Value = serde_json::from_str(&status.stdout).expect("status --json is JSON");
    let revision = &status["revisions"][0];
    assert_eq!((revision["model"].as_str(), revision["version"].as_str()), (Some("iris"), Some("v1")), "{status}");

    let bad = vigil(&db, &["collect", "--poll-interval", "0"]).await;
    assert!(!bad.success() && bad.stderr.contains("Poll interval must be between 0.1 and 86400"), "{bad:?}");
}

/// `vigil status --json` as a script reads it: the model called `model`.
async fn status_of_model(db: &Path, model: &str) -> Value {
    let run = vigil(db, &["status", "--json"]).await;
    assert!(run.success(), "{run:?}");
    let status: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|err| panic!("not JSON ({err}): {run:?}"));
    let models = status["models"].as_array().cloned().unwrap_or_default();
    models.into_iter().find(|m| m["model"] == model).unwrap_or_else(|| panic!("no model {model} in {status:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn status_json_gives_each_revisions_role_and_share_and_the_models_figures_against_its_objectives() {
    let (_dir, db) = temp_db();
    // The demo fleet's fraud server: v12 stable, v13 a canary beside it failing 40 % of its requests.
    let traffic = TrafficConfig { peak_rps: 150.0, start_hour: 16.0, invalid_share: 0.0, ..TrafficConfig::default() };
    let bad_canary = BadCanaryConfig { error_rate: 0.4, ..BadCanaryConfig::default() };
    let config = FleetConfig {
        scenarios: vec![Scenario::BadCanary],
        canary_percent: 30,
        traffic,
        bad_canary,
        seed: 7,
        ..FleetConfig::default()
    };
    let fleet = Fleet::start(config).await.expect("start the fleet");
    let fraud = fleet.servers().into_iter().find(|s| s.name == "fraud").expect("the fraud server");
    assert!(vigil(&db, &["server", "add", "fraud", &fraud.url]).await.success());
    // Polls a second apart: each interval holds tens of v13's requests, so its error share is near 40 %.
    let collected = vigil(&db, &["collect", "--poll-interval", "1", "--for", "3.5"]).await;
    assert!(collected.success(), "{collected:?}");

    let model = status_of_model(&db, "fraud").await;
    let revision = |version: &str| {
        let revisions = model["revisions"].as_array().cloned().unwrap_or_default();
        revisions.into_iter().find(|r| r["version"] == version).unwrap_or_else(|| panic!("no v{version}: {model:#}"))
    };
    let (canary, stable) = (revision("13"), revision("12"));
    assert_eq!((canary["role"].as_str(), stable["role"].as_str()), (Some("canary"), Some("stable")), "{model:#}");
    let figure = |value: &Value| value.as_f64().unwrap_or_else(|| panic!("a number, not {value}: {model:#}"));
    assert!((figure(&canary["share"]) + figure(&stable["share"]) - 1.0).abs() < 1e-9, "{model:#}");
    assert!((0.05..0.5).contains(&figure(&canary["share"])), "the canary takes the smaller part: {model:#}");
    assert!((figure(&model["rate"]) - figure(&canary["rate"]) - figure(&stable["rate"])).abs() < 1e-9, "{model:#}");
    let error_share = figure(&model["error_share"]);
    assert!(figure(&stable["error_share"]) < error_share && error_share < figure(&canary["error_share"]), "{model:#}");
    assert_eq!(figure(&model["p99_s"]), figure(&canary["p99_s"]).max(figure(&stable["p99_s"])), "{model:#}");

    // v13 breaks the fleet's default of 1 % errors, so fraud is not healthy.
    assert_eq!(
        (canary["breaches"].clone(), stable["breaches"].clone()),
        (serde_json::json!(["error_share"]), serde_json::json!([]))
    );
    assert_eq!(model["status"]["state"], "breaching", "{model:#}");
    let sentence = model["sentence"].as_str().unwrap_or_default();
    assert!(sentence.contains("v13 fails") && !sentence.contains("healthy"), "{sentence}");

    // With nine requests in ten allowed to fail, fraud keeps its objectives.
    assert!(vigil(&db, &["objective", "set", "fraud", "--error-share", "90%"]).await.success());
    let model = status_of_model(&db, "fraud").await;
    assert_eq!(model["objectives"]["error_share"], serde_json::json!({ "max": 0.9, "is_default": false }));
    let breaches: Vec<&Value> = model["revisions"].as_array().into_iter().flatten().map(|r| &r["breaches"]).collect();
    assert_eq!(breaches, [&serde_json::json!([]), &serde_json::json!([])], "{model:#}");
    assert!(model["sentence"].as_str().unwrap_or_default().starts_with("fraud on fraud is healthy"), "{model:#}");
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_keeps_its_own_interval_timeout_and_labels_and_bad_ones_are_refused() {
    let (_dir, db) = temp_db();
    let args = ["server", "add", "risk", "http://127.0.0.1:9", "--every", "5", "--timeout", "1.5"];
    let labelled = [&args[..], &["--label", "team=risk", "--label", "environment=prod"]].concat();
    assert!(vigil(&db, &labelled).await.success());
    let servers = stored_servers(&db).await;
    assert_eq!((servers[0]["poll_interval_ms"].as_i64(), servers[0]["timeout_ms"].as_i64()), (Some(5000), Some(1500)));
    assert_eq!(servers[0]["labels"], serde_json::json!({"team": "risk", "environment": "prod"}));

    for (bad, says) in [
        (vec!["server", "add", "x", "http://h", "--every", "0"], "Poll interval must be between 0.1 and 86400"),
        (vec!["server", "add", "x", "http://h", "--timeout", "900"], "Timeout must be between 0.1 and 300"),
        (vec!["server", "add", "x", "http://h", "--label", "team"], "must be NAME=VALUE"),
        (vec!["server", "add", "x", "http://h", "--label", "Team=x"], "Label name 'Team'"),
    ] {
        let run = vigil(&db, &bad).await;
        assert!(!run.success() && run.stderr.contains(says), "{bad:?}: {run:?}");
    }
    assert_eq!(stored_servers(&db).await.as_array().map(Vec::len), Some(1), "nothing else stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn edit_changes_only_the_settings_given_and_records_each_change() {
    let (_dir, db) = temp_db();
    let add = [
        "server",
        "add",
        "risk",
        "http://127.0.0.1:9",
        "--metrics-url",
        "http://127.0.0.1:9/m",
        "--label",
        "team=risk",
    ];
    assert!(vigil(&db, &add).await.success());
    assert!(vigil(&db, &["server", "add", "other", "http://127.0.0.1:10"]).await.success());

    let edit = [
        "server",
        "edit",
        "risk",
        "--name",
        "risk-prod",
        "--every",
        "30",
        "--metrics-url",
        "",
        "--label",
        "environment=prod",
    ];
    let run = vigil(&db, &edit).await;
    assert!(run.success() && run.stdout.contains("updated server 'risk-prod'"), "{run:?}");
    let servers = stored_servers(&db).await;
    let edited = servers.as_array().unwrap().iter().find(|s| s["name"] == "risk-prod").expect("renamed");
    assert_eq!(edited["base_url"], "http://127.0.0.1:9", "not given, so kept");
    assert_eq!((edited["poll_interval_ms"].as_i64(), edited["metrics_url"].as_str()), (Some(30_000), None));
    assert_eq!(edited["labels"], serde_json::json!({"team": "risk", "environment": "prod"}));

    let entries: Value = serde_json::from_str(&vigil(&db, &["audit", "--json", "--limit", "1"]).await.stdout).unwrap();
    assert_eq!(
        (entries[0]["action"].as_str(), entries[0]["subject"].as_str()),
        (Some("server.edit"), Some("risk-prod"))
    );
    let detail: Value = serde_json::from_str(entries[0]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["name"], serde_json::json!({"from": "risk", "to": "risk-prod"}));
    assert_eq!(detail["metrics_url"], serde_json::json!({"from": "http://127.0.0.1:9/m", "to": null}));
    assert!(detail.get("base_url").is_none(), "only what changed: {detail}");

    for (bad, says) in [
        (vec!["server", "edit", "risk-prod", "--name", "other"], "A server called 'other' already exists"),
        (vec!["server", "edit", "risk-prod", "--url", "ftp://x"], "Base URL must start with http"),
        (vec!["server", "edit", "nope", "--every", "5"], "No server is called 'nope'"),
    ] {
        let run = vigil(&db, &bad).await;
        assert!(!run.success() && run.stderr.contains(says), "{bad:?}: {run:?}");
    }
    assert_eq!(stored_servers(&db).await, servers, "a refused edit changes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_lists_who_added_and_removed_what_newest_first() {
    let (_dir, db) = temp_db();
    let empty = vigil(&db, &["audit"]).await;
    assert!(empty.success() && empty.stdout.contains("audit trail is empty"), "{empty:?}");

    assert!(vigil(&db, &["server", "add", "canary", "http://127.0.0.1:9"]).await.success());
    assert!(vigil(&db, &["server", "remove", "canary"]).await.success());
    let run = vigil(&db, &["audit", "--json"]).await;
    assert!(run.success(), "{run:?}");
    let entries: Value = serde_json::from_str(&run.stdout).expect("audit --json is JSON");
    let actions: Vec<&str> = entries.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["server.remove", "server.add"]);
    assert_eq!(entries[1]["subject"], "canary");
    assert!(entries[1]["detail"].as_str().unwrap().contains("http://127.0.0.1:9"), "{entries}");

    let table = vigil(&db, &["audit", "--limit", "1"]).await;
    assert!(table.success(), "{table:?}");
    assert_eq!(table.stdout.lines().count(), 2, "a header and the newest entry only: {table:?}");
    assert!(table.stdout.contains("server.remove"), "{table:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_verify_holds_on_the_trail_vigil_wrote_and_names_the_first_entry_edited_deleted_or_reordered_in_a_copy() {
    let (dir, db) = temp_db();
    for name in ["a", "b", "c", "d"] {
        assert!(vigil(&db, &["server", "add", name, "http://127.0.0.1:9"]).await.success());
    }
    let holds = vigil(&db, &["audit", "verify"]).await;
    assert!(holds.success() && holds.stdout.contains("holds: 4 entries"), "{holds:?}");

    // Someone changes a copy of the file by hand, around the log's triggers: edits entry 2,
    // deletes entry 3, or swaps the contents of entries 2 and 3.
    let tampered = [
        ("edited", vec!["UPDATE audit_log SET actor = 'mallory' WHERE id = 2"], 2),
        ("deleted", vec!["DELETE FROM audit_log WHERE id = 3"], 4),
        (
            "reordered",
            vec![
                "UPDATE audit_log SET id = -2 WHERE id = 2",
                "UPDATE audit_log SET id = 2 WHERE id = 3",
                "UPDATE audit_log SET id = 3 WHERE id = -2",
            ],
            2,
        ),
    ];
    for (how, statements, first_broken) in tampered {
        let copy = dir.path().join(format!("{how}.db"));
        std::fs::copy(&db, &copy).expect("copy the database");
        // With its write-ahead log, which holds the newest entries until a checkpoint.
        let wal = |path: &Path| PathBuf::from(format!("{}-wal", path.display()));
        if wal(&db).exists() {
            std::fs::copy(wal(&db), wal(&copy)).expect("copy the write-ahead log");
        }
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&copy);
        let pool =
            sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("open copy");
        let triggers = ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"];
        for sql in triggers.iter().chain(&statements) {
            sqlx::query(sql).execute(&pool).await.expect("tamper");
        }
        pool.close().await;
        let broken = vigil(&copy, &["audit", "verify"]).await;
        assert_eq!(broken.code, Some(1), "{how}: {broken:?}");
        assert!(broken.stderr.contains(&format!("broken at entry {first_broken}")), "{how}: {broken:?}");
        let json = vigil(&copy, &["audit", "verify", "--json"]).await;
        let check: Value = serde_json::from_str(&json.stdout).expect("verify --json is JSON");
        assert_eq!(check["first_broken"]["id"], first_broken, "{how}: {json:?}");
    }
    assert!(vigil(&db, &["audit", "verify"]).await.success(), "the original still holds");
    let csv = vigil(&db, &["audit", "export"]).await;
    assert_eq!(csv.stdout.lines().count(), 5, "a header and four entries: {csv:?}");
    let json: Value =
        serde_json::from_str(&vigil(&db, &["audit", "export", "--format", "json"]).await.stdout).expect("JSON");
    assert_eq!(json[1]["prev_hash"], json[0]["hash"], "the export carries the chain");
}

#[tokio::test(flavor = "multi_thread")]
async fn vigil_db_selects_the_database_when_db_is_absent() {
    let (_dir, db) = temp_db();
    let model_server = ReadinessServer::start().await;

    let added = vigil_with_env(Some(&db), &["server", "add", "from-env", &model_server.url()]).await;
    assert!(added.success(), "{added:?}");
    assert!(db.exists(), "VIGIL_DB should have created {}", db.display());
    let servers = stored_servers(&db).await;
    assert_eq!(servers[0]["name"], "from-env", "{servers}");

    let listed = vigil_with_env(Some(&db), &["server", "list"]).await;
    assert!(listed.success(), "{listed:?}");
    assert_eq!(table_row(&listed.stdout, "from-env")[1], "up", "{listed:?}");

    // --db wins over VIGIL_DB.
    let (_other_dir, other_db) = temp_db();
    let other_db_arg = other_db.to_str().expect("UTF-8 temp path");
    let listed = vigil_with_env(Some(&db), &["--db", other_db_arg, "server", "list"]).await;
    assert!(listed.success(), "{listed:?}");
    assert!(listed.stdout.contains("vigil server add"), "--db should select the empty database: {listed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pipeline_rolls_out_from_the_cli_the_collector_drives_and_wait_fails_when_it_rolled_back() {
    let (dir, db) = temp_db();
    let traffic = TrafficConfig { peak_rps: 150.0, start_hour: 16.0, invalid_share: 0.0, ..TrafficConfig::default() };
    let bad_canary = BadCanaryConfig { error_rate: 0.4, ..BadCanaryConfig::default() };
    let config = FleetConfig {
        scenarios: vec![Scenario::BadCanary],
        canary_percent: 0,
        traffic,
        bad_canary,
        seed: 7,
        ..FleetConfig::default()
    };
    let fleet = Fleet::start(config).await.expect("start the fleet");
    let fraud = fleet.servers().into_iter().find(|s| s.name == "fraud").expect("the fraud server");
    assert!(vigil(&db, &["server", "add", "fraud", &fraud.url]).await.success());
    assert!(vigil(&db, &["server", "list"]).await.success(), "a check finds fraud's versions");

    // Who acts is required, and named.
    let route = format!("{}/admin/routes/fraud", fleet.router_url());
    let anonymous = vigil(&db, &["target", "add", "fraud", "--kind", "router", "--url", &route]).await;
    assert!(!anonymous.success() && anonymous.stderr.contains("--as NAME --role ROLE"), "{anonymous:?}");
    let as_ci = ["--as", "ci", "--role", "engineer"];
    let add =
        vigil(&db, &[&as_ci[..], &["target", "add", "fraud", "--kind", "router", "--url", &route]].concat()).await;
    assert!(add.success(), "{add:?}");
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, "failure_limit = 1\nmin_requests = 10\nsteps = [{ weight = 20, min_duration_s = 1 }, { weight = 100 }]\ngates = [{ metric = \"error_share\", max = 0.05 }]\n")
        .expect("plan file");
    let set =
        vigil(&db, &[&as_ci[..], &["rollout", "plan", "fraud", "--set", plan.to_str().expect("path")]].concat()).await;
    assert!(set.success(), "{set:?}");

    // Started from the CLI, with no collector running: the first step is set and read back at once.
    let started =
        vigil(&db, &[&as_ci[..], &["rollout", "start", "fraud", "--to", "13", "--reason", "build 481"]].concat()).await;
    assert!(started.success() && started.stdout.contains("running at 20 %"), "{started:?}");
    let weights: Value = reqwest::get(&route).await.expect("router").json().await.expect("json");
    assert_eq!(weights["weights"], serde_json::json!({"12": 80, "13": 20}));

    // The collector drives it; `wait` exits 1 because it was rolled back, not promoted.
    let collector = vigil(&db, &["collect", "--poll-interval", "0.5", "--for", "12"]);
    let waited = vigil(&db, &["rollout", "wait", "1", "--timeout", "30"]);
    let (collected, waited) = tokio::join!(collector, waited);
    assert!(collected.success(), "{collected:?}");
    assert_eq!(waited.code, Some(1), "{waited:?}");
    assert!(waited.stderr.contains("ended rolled_back, not promoted"), "{waited:?}");

    let history = vigil(&db, &["history", "fraud", "--json"]).await;
    let history: Value = serde_json::from_str(&history.stdout).expect("history JSON");
    assert_eq!(history["rollouts"][0]["state"], "rolled_back");
    assert_eq!(history["traffic"].as_array().map(Vec::len), Some(2), "the step, then the rollback: {history:#}");
    let report: Value =
        serde_json::from_str(&vigil(&db, &["rollout", "report", "--json"]).await.stdout).expect("report");
    assert_eq!(report["overall"]["change_failure_rate"], 1.0);
    assert!(vigil(&db, &["audit", "verify"]).await.success());
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn env_and_parity_from_the_cli_print_the_difference_and_fail_a_revision_that_does_not_answer() {
    let (dir, db) = temp_db();
    let model_server = MlserverLike::start().await;
    assert!(vigil(&db, &["server", "add", "serving", &model_server.url()]).await.success());
    assert!(vigil(&db, &["collect", "--poll-interval", "0.2", "--for", "0.6"]).await.success());
    let who = ["--as", "bo", "--role", "data_scientist"];

    let freeze = dir.path().join("freeze.txt");
    std::fs::write(&freeze, "numpy==1.26.4\nscikit-learn==1.5.2\n").unwrap();
    let freeze = freeze.to_str().unwrap();
    let imported = vigil(&db, &[&["env", "import", "iris", freeze][..], &who].concat()).await;
    assert!(imported.success(), "{imported:?}");
    assert_eq!(imported.stdout.trim(), "Imported 2 packages from freeze.txt as where iris was built.");
    let diff = vigil(&db, &["env", "diff", "iris", "--revision", "v1", "--json"]).await;
    assert!(diff.success(), "{diff:?}");
    let diff: Value = serde_json::from_str(&diff.stdout).expect("env diff --json is JSON");
    assert_eq!(diff["served"]["software"], "mlserver 1.7.1", "{diff}");
    assert_eq!(diff["built"]["file_name"], "freeze.txt", "{diff}");
    assert!(diff["sentence"].as_str().unwrap().contains("states no packages where it serves"), "{diff}");
    assert_eq!(diff["packages"], serde_json::json!([]), "nothing is marked missing where nothing is stated: {diff}");

    // A malformed line is refused by its number, and exits 1.
    let broken = dir.path().join("broken.txt");
    std::fs::write(&broken, "numpy==1.26.4\nnumpy>=>1\n").unwrap();
    let refused = vigil(&db, &[&["env", "import", "iris", broken.to_str().unwrap()][..], &who].concat()).await;
    assert!(!refused.success() && refused.stderr.contains("broken.txt, line 2"), "{refused:?}");

    // This server takes no inference requests: every golden row fails in its words, and the
    // command exits 1 for a pipeline to stop on.
    let golden = dir.path().join("golden.csv");
    std::fs::write(&golden, "a,b,c,d,predict\n5.1,3.5,1.4,0.2,0\n6.2,2.9,4.3,1.3,1\n").unwrap();
    let golden = golden.to_str().unwrap();
    let parity =
        vigil(&db, &[&["parity", "run", "iris", "--revision", "v1", "--golden", golden][..], &who].concat()).await;
    assert_eq!(parity.code, Some(1), "{parity:?}");
    assert!(parity.stdout.contains("iris v1 matched 0 of 2 golden rows from golden.csv (0 %): it fails"), "{parity:?}");
    assert!(parity.stdout.contains("the server answered HTTP"), "each row says why: {parity:?}");
    let listed = vigil(&db, &["parity", "list", "iris", "--json"]).await;
    let listed: Value = serde_json::from_str(&listed.stdout).expect("parity list --json is JSON");
    assert_eq!((listed[0]["checked"].as_u64(), listed[0]["passed"].as_bool()), (Some(2), Some(false)), "{listed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_models_report_to_share_is_one_html_file_with_the_figures_status_gives_and_no_script() {
    let (dir, db) = temp_db();
    // The demo fleet's fraud server, v13 a canary failing 40 % of its requests, registered under
    // a name that would be markup if it were not escaped.
    let traffic = TrafficConfig { peak_rps: 150.0, start_hour: 16.0, invalid_share: 0.0, ..TrafficConfig::default() };
    let bad_canary = BadCanaryConfig { error_rate: 0.4, ..BadCanaryConfig::default() };
    let config = FleetConfig {
        scenarios: vec![Scenario::BadCanary],
        canary_percent: 30,
        traffic,
        bad_canary,
        seed: 7,
        ..FleetConfig::default()
    };
    let fleet = Fleet::start(config).await.expect("start the fleet");
    let fraud = fleet.servers().into_iter().find(|s| s.name == "fraud").expect("the fraud server");
    let hostile = r#"fraud <script>alert("x")</script> & 'co'"#;
    assert!(vigil(&db, &["server", "add", hostile, &fraud.url]).await.success());
    assert!(vigil(&db, &["collect", "--poll-interval", "1", "--for", "3.5"]).await.success());
    let model = status_of_model(&db, "fraud").await;
    let file = dir.path().join("fraud.html");
    let run = vigil(&db, &["report", "fraud", "--html", file.to_str().unwrap()]).await;
    fleet.stop().await;
    assert!(run.success() && run.stdout.starts_with("Wrote fraud's report to"), "{run:?}");
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(!html.to_lowercase().contains("<script"), "no script, the hostile name escaped");
    assert!(!html.contains(" src=") && !html.contains(" href=") && !html.contains("url("), "nothing to fetch");
    assert!(html.contains("<svg") && html.starts_with("<!DOCTYPE html>"), "the traffic as inline SVG");
    assert!(html.contains("<code>vigil://model/fraud</code> opens this model"), "the link into the window");

    // Read back: the plain words are the engine's sentence, first; the table has status' figures.
    let unescape = |text: &str| {
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    let plain = html.split("<section id=\"plain-words\">").nth(1).unwrap().split("</section>").next().unwrap();
    let sentences: Vec<String> =
        plain.split("<p>").skip(1).map(|p| unescape(p.split("</p>").next().unwrap())).collect();
    assert_eq!(sentences[0], model["sentence"].as_str().unwrap(), "{html}");
    assert!(sentences[0].contains(hostile) && sentences[0].contains("v13 fails"), "{sentences:?}");
    let canary = model["revisions"].as_array().unwrap().iter().find(|r| r["version"] == "13").unwrap();
    let failing = format!("<td>{:.1} %</td>", canary["error_share"].as_f64().unwrap() * 100.0);
    assert!(html.contains(&failing), "v13's failing share {failing} in {html}");

    // An unknown model is named, with where to look; nothing is written.
    let missing = dir.path().join("none.html");
    let run = vigil(&db, &["report", "nope", "--html", missing.to_str().unwrap()]).await;
    assert!(!run.success() && run.stderr.contains("No model called 'nope'"), "{run:?}");
    assert!(!missing.exists());
}
