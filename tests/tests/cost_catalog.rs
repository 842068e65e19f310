//! The price catalog through the real `vigil` binary: the catalog a new database starts with,
//! an import refused for one bad row (naming its line, changing nothing), a good import, and an
//! export that imports back unchanged.

use std::path::Path;

use serde_json::Value;
use vigil_tests::cli::{temp_db, vigil};

const AS: [&str; 4] = ["--as", "ana", "--role", "engineer"];

async fn catalog(db: &Path) -> Vec<Value> {
    let run = vigil(db, &["cost", "catalog", "list", "--json"]).await;
    assert!(run.success(), "{run:?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|err| panic!("list --json is not JSON ({err}): {run:?}"))
}

async fn export(db: &Path) -> String {
    let run = vigil(db, &["cost", "catalog", "export"]).await;
    assert!(run.success(), "{run:?}");
    run.stdout
}

async fn import(db: &Path, file: &Path) -> vigil_tests::cli::Run {
    let file = file.to_str().expect("UTF-8 temp path");
    let args: Vec<&str> = AS.iter().copied().chain(["cost", "catalog", "import", file]).collect();
    vigil(db, &args).await
}

fn find<'a>(types: &'a [Value], provider: &str, name: &str) -> Option<&'a Value> {
    types.iter().find(|t| t["provider"] == provider && t["name"] == name)
}

#[tokio::test]
async fn a_new_database_lists_the_shipped_catalog_with_the_p3_16xlarge_at_24_48_an_hour() {
    let (_dir, db) = temp_db();
    let types = catalog(&db).await;
    assert!((15..=25).contains(&types.len()), "{types:?}");
    let p3 = find(&types, "aws", "p3.16xlarge").expect("p3.16xlarge is in the catalog");
    assert_eq!(p3["region"], "us-east-1");
    assert_eq!((p3["vcpu"].as_u64(), p3["memory_gib"].as_f64()), (Some(64), Some(488.0)));
    assert_eq!((p3["gpu_type"].as_str(), p3["gpu_count"].as_u64()), (Some("NVIDIA V100"), Some(8)));
    let hourly = p3["on_demand"]["hourly"].as_f64().expect("an on-demand price");
    assert_eq!(hourly, 24.48);
    // A 720-hour month of it, worked by hand: 24.48 × 720 = 17,625.60.
    assert!((hourly * 720.0 - 17_625.60).abs() < 1e-9, "{}", hourly * 720.0);
    for t in &types {
        let price = &t["on_demand"];
        assert!(price["date"].as_str().is_some_and(|d| d.len() == 10), "{t}");
        assert!(price["source"].as_str().is_some_and(|s| !s.is_empty()), "{t}");
    }

    let run = vigil(&db, &["cost", "catalog", "list"]).await;
    assert!(run.success(), "{run:?}");
    let line = run.stdout.lines().find(|l| l.contains("p3.16xlarge")).expect("a p3.16xlarge line");
    assert!(line.contains("24.48") && line.contains("8× NVIDIA V100"), "{line}");
}

#[tokio::test]
async fn a_file_with_a_bad_row_is_refused_naming_its_line_and_the_catalog_is_unchanged() {
    let (dir, db) = temp_db();
    let before = export(&db).await;
    let audit_before = vigil(&db, &["audit", "--json"]).await.stdout;
    let mut lines: Vec<&str> = before.lines().take(6).collect();
    let good = lines[2].replace(",0.", ",9.");
    lines[2] = &good;
    lines[3] = "aws,us-east-1,broken.large,2,8,,0,abc,2026-12-03,illustrative,,,,,,";
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, lines.join("\n")).unwrap();

    let run = import(&db, &file).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains("line 4: on_demand_hourly 'abc' is not a price in dollars an hour, such as 24.48"),
        "{run:?}"
    );
    assert_eq!(export(&db).await, before, "the good rows before the bad one were not taken either");
    assert_eq!(vigil(&db, &["audit", "--json"]).await.stdout, audit_before, "nothing audited");
}

#[tokio::test]
async fn a_good_file_adds_and_replaces_by_provider_region_and_name_and_is_audited_with_its_counts() {
    let (dir, db) = temp_db();
    let shipped = catalog(&db).await.len();
    let file = dir.path().join("mine.csv");
    let header = export(&db).await.lines().next().unwrap().to_owned();
    std::fs::write(
        &file,
        format!(
            "{header}\n\
             onprem,rack-7,dgx-a100,128,1024,NVIDIA A100 80GB,8,19.5,2026-11-01,\"Finance, GPU cluster rate card\",,,,,,\n\
             aws,us-east-1,m5.xlarge,4,16,,0,0.2,2026-12-01,https://example.org/prices,0.07,2026-12-01,illustrative,0.12,2026-12-01,illustrative\n"
        ),
    )
    .unwrap();

    let run = import(&db, &file).await;
    assert!(run.success(), "{run:?}");
    assert!(run.stdout.contains("imported 2 instance types") && run.stdout.contains("1 added, 1 replaced"), "{run:?}");

    // Every later run opens the database again: the shipped catalog is not put back over it.
    let types = catalog(&db).await;
    assert_eq!(types.len(), shipped + 1);
    let dgx = find(&types, "onprem", "dgx-a100").expect("the new row shows");
    assert_eq!(dgx["on_demand"]["source"], "Finance, GPU cluster rate card");
    let m5 = find(&types, "aws", "m5.xlarge").unwrap();
    assert_eq!((m5["on_demand"]["hourly"].as_f64(), m5["spot"]["hourly"].as_f64()), (Some(0.2), Some(0.07)));
    assert_eq!(m5["reserved"]["hourly"].as_f64(), Some(0.12));
    assert!(find(&types, "aws", "p3.16xlarge").is_some(), "types the file does not name are kept");

    let audit = vigil(&db, &["audit", "--json"]).await;
    let entries: Vec<Value> = serde_json::from_str(&audit.stdout).unwrap();
    let entry = entries.iter().find(|e| e["action"] == "cost.catalog.import").expect("the import is audited");
    assert_eq!(entry["actor"], "ana");
    let detail: Value = serde_json::from_str(entry["detail"].as_str().expect("the detail as JSON text")).unwrap();
    assert_eq!(
        (detail["rows"].as_u64(), detail["added"].as_u64(), detail["updated"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(detail["role"], "engineer");
}

#[tokio::test]
async fn an_export_imports_back_unchanged_into_another_database() {
    let (dir, db) = temp_db();
    let mine = dir.path().join("mine.csv");
    let header = export(&db).await.lines().next().unwrap().to_owned();
    let row = "onprem,rack-7,dgx-a100,128,1024,NVIDIA A100 80GB,8,19.5,2026-11-01,\"Finance, rate card\",4,2026-11-02,illustrative,,,";
    std::fs::write(&mine, format!("{header}\n{row}\n")).unwrap();
    assert!(import(&db, &mine).await.success());

    let out = dir.path().join("catalog.csv");
    let run = vigil(&db, &["cost", "catalog", "export", "--out", out.to_str().unwrap()]).await;
    assert!(run.success(), "{run:?}");
    let exported = std::fs::read_to_string(&out).unwrap();
    assert_eq!(exported, export(&db).await, "--out writes what standard output shows");
    assert!(exported.contains(row), "{exported}");

    let other = dir.path().join("other.db");
    let run = import(&other, &out).await;
    assert!(run.success(), "{run:?}");
    assert_eq!(export(&other).await, exported, "the other database holds the same catalog");
    assert!(import(&db, &out).await.success());
    assert_eq!(export(&db).await, exported, "importing its own export changes nothing");
}

#[tokio::test]
async fn an_import_needs_to_know_who_acts() {
    let (dir, db) = temp_db();
    let file = dir.path().join("catalog.csv");
    std::fs::write(&file, export(&db).await).unwrap();
    let run = vigil(&db, &["cost", "catalog", "import", file.to_str().unwrap()]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("--as NAME --role ROLE"), "{run:?}");
}
