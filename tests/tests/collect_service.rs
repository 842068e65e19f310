//! `vigil collect` as a team's service: its health endpoint, its JSON log lines, a SIGTERM that
//! lets the polls under way finish and hands its servers back, and the systemd unit in
//! `deploy/`, checked by `systemd-analyze verify` and rated by `systemd-analyze security`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_tests::loopback::ReadinessServer;
use vigil_tests::{free_port, wait_for, workspace_binary};

#[tokio::test(flavor = "multi_thread")]
async fn a_collector_answers_health_checks_logs_json_and_hands_its_servers_back_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = vigil_tests::store(dir.path()).await;
    let server = ReadinessServer::start().await;
    let engine = Engine::open(EngineOptions::new(store.clone())).await.expect("open");
    let new = NewServer { name: "iris".into(), base_url: server.url(), kind: ServerKind::OipV2, ..Default::default() };
    engine.servers().add(new).await.expect("register");

    let port = free_port();
    let mut collector = Command::new(workspace_binary("vigil"))
        .args(["--db", &store.to_string(), "--log-format", "json", "collect", "--poll-interval", "1"])
        .args(["--health", &format!("127.0.0.1:{port}")])
        .env_remove("VIGIL_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start vigil collect");
    let stdout = collector.stdout.take().expect("stdout");
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });

    let health = wait_for("a healthy collector holding iris", Duration::from_secs(15), || async {
        let answer = reqwest::get(format!("http://127.0.0.1:{port}/health")).await.ok()?;
        let status = answer.status();
        let body: Value = answer.json().await.ok()?;
        (status == 200 && body["servers_held"] == 1).then_some(body)
    })
    .await;
    assert_eq!(health["ok"], true, "{health}");
    assert!(health["collector"].as_str().is_some_and(|c| !c.is_empty()), "{health}");

    let first = lines.recv().await.expect("a first log line");
    let first: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("not JSON ({e}): {first}"));
    assert_eq!((first["kind"].as_str(), first["servers"].as_u64()), (Some("collecting"), Some(1)), "{first}");

    let signalled = Instant::now();
    // SAFETY: kill(2) on the child's own pid.
    unsafe { libc::kill(collector.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || collector.wait()).await.expect("join").expect("wait");
    assert!(status.success(), "a SIGTERM is a clean stop: {status}");
    assert!(signalled.elapsed() < Duration::from_secs(5), "stopped in {:?}", signalled.elapsed());
    let mut rest = Vec::new();
    while let Ok(line) = lines.try_recv() {
        rest.push(line);
    }
    let last: Value = serde_json::from_str(rest.last().expect("a last line")).expect("JSON");
    assert_eq!(last["kind"], "stopped", "{rest:?}");
    assert!(last["polls"].as_u64() > Some(0), "{last}");
    let shares = engine.polling().collectors().await.expect("collectors");
    assert!(shares.iter().all(|share| !share.alive), "its heartbeat and leases are given back: {shares:?}");
}

#[test]
fn the_systemd_unit_is_valid_and_its_sandbox_rated_ok() {
    let unit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/vigil-collect.service");
    let text = std::fs::read_to_string(&unit).expect("deploy/vigil-collect.service");
    for setting in ["DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "KillSignal=SIGTERM", "--health"]
    {
        assert!(text.contains(setting), "the unit sets {setting}");
    }
    // verify checks that the binary exists: point it at the one just built.
    let dir = tempfile::tempdir().expect("temp dir");
    let checked = dir.path().join("vigil-collect.service");
    let binary = workspace_binary("vigil");
    std::fs::write(&checked, text.replace("/usr/local/bin/vigil", binary.to_str().expect("UTF-8 path")))
        .expect("write");
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&checked)
        .output()
        .expect("systemd-analyze (make test-deps installs systemd)");
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success() && !said.contains("vigil-collect.service:"), "systemd-analyze verify: {said}");

    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&checked)
        .output()
        .expect("systemd-analyze security");
    let report = String::from_utf8_lossy(&security.stdout);
    let exposure: f64 = report
        .lines()
        .find_map(|line| line.split("Overall exposure level for vigil-collect.service:").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in: {report}"));
    println!("systemd-analyze security: exposure {exposure} (0 safest, 10 least safe)");
    assert!(exposure <= 2.0, "the sandbox is rated {exposure}; keep it at OK (2.0 or less)");
}
