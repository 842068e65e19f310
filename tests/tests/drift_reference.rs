//! Importing a model's reference data through the engine into a real SQLite file: kinds
//! inferred with reasons, progress to the end, malformed rows stopped at or skipped as chosen,
//! and a cancelled or failed import leaves the reference stored before it untouched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use vigil_core::drift::reference::{ReferenceRequest, ReferenceSummary};
use vigil_core::drift::schema::{parse_choice, ColumnUse};
use vigil_core::drift::stats::ColumnKind;
use vigil_core::drift::table::{BadRows, ImportProgress};
use vigil_core::{Engine, EngineOptions, ErrorCode, VigilError};

/// A CSV of `rows` rows: an id, a numeric feature, a category, a binary flag and the prediction,
/// with `bad_line` (a 1-based line of the file) missing a field.
fn write_csv(dir: &Path, rows: usize, bad_line: Option<usize>) -> PathBuf {
    let mut text = String::from("transaction_id,amount,country,is_new,score\n");
    for i in 0..rows {
        let line = i + 2;
        if Some(line) == bad_line {
            text.push_str(&format!("{i},12.5,fr\n"));
            continue;
        }
        let country = ["fr", "de", "it", "es"][i % 4];
        text.push_str(&format!(
            "{i},{:.2},{country},{},{:.3}\n",
            (i % 97) as f64 * 1.25,
            i % 2,
            (i % 10) as f64 / 10.0
        ));
    }
    let path = dir.join("reference.csv");
    std::fs::write(&path, text).expect("write the reference file");
    path
}

async fn engine(dir: &Path) -> Engine {
    Engine::open(EngineOptions { actor: "drift-test".into(), ..EngineOptions::new(vigil_tests::store(dir).await) })
        .await
        .expect("open the engine")
}

fn request(bad_rows: BadRows) -> ReferenceRequest {
    ReferenceRequest { model: "fraud".into(), prediction: Some("score".into()), bad_rows, ..Default::default() }
}

async fn import(
    engine: &Engine,
    path: &Path,
    request: ReferenceRequest,
    cancel: bool,
) -> (Result<ReferenceSummary, VigilError>, u64) {
    let last_read = Arc::new(AtomicU64::new(0));
    let seen = last_read.clone();
    let progress = move |step: ImportProgress| {
        assert!(step.bytes_read <= step.bytes_total, "{step:?}");
        seen.store(step.bytes_read, Ordering::Relaxed);
    };
    let result =
        engine.drift().import_reference(path.to_owned(), request, progress, Arc::new(AtomicBool::new(cancel))).await;
    (result, last_read.load(Ordering::Relaxed))
}

#[tokio::test]
async fn a_reference_file_is_profiled_with_each_columns_kind_or_the_reason_it_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let path = write_csv(dir.path(), 30_000, None);
    let (summary, read) = import(&engine, &path, request(BadRows::Stop), false).await;
    let summary = summary.expect("the import succeeds");
    assert_eq!(read, std::fs::metadata(&path).unwrap().len(), "progress reaches the end of the file");
    assert_eq!((summary.rows, summary.skipped_rows, summary.source.as_str()), (30_000, 0, "reference.csv"));
    let uses: BTreeMap<&str, &ColumnUse> = summary.columns.iter().map(|c| (c.name.as_str(), &c.column_use)).collect();
    assert!(matches!(uses["transaction_id"], ColumnUse::Skip { reason } if reason.contains("identifier")));
    assert_eq!(uses["amount"], &ColumnUse::Test { kind: ColumnKind::Numeric });
    assert_eq!(uses["country"], &ColumnUse::Test { kind: ColumnKind::Categorical });
    assert_eq!(uses["is_new"], &ColumnUse::Test { kind: ColumnKind::Binary });
    assert_eq!(uses["score"], &ColumnUse::Test { kind: ColumnKind::Numeric });
    assert!(summary.columns.iter().filter(|c| c.name != "transaction_id").all(|c| c.count == 30_000));

    let stored =
        engine.drift().reference("fraud", Some("7")).await.unwrap().expect("stored, and found for any version");
    assert_eq!((stored.rows, stored.prediction.as_deref()), (30_000, Some("score")));
    assert_eq!(stored.columns, summary.columns);
    let audit = engine.audit_log(5).await.unwrap();
    assert_eq!((audit[0].action.as_str(), audit[0].subject.as_str()), ("drift.reference", "fraud"));
}

#[tokio::test]
async fn a_malformed_row_stops_the_import_by_its_line_or_is_skipped_and_counted_as_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let good = write_csv(dir.path(), 100, None);
    import(&engine, &good, request(BadRows::Stop), false).await.0.expect("a first reference");

    let bad = write_csv(dir.path(), 20_000, Some(15_002));
    let (stopped, _) = import(&engine, &bad, request(BadRows::Stop), false).await;
    let err = stopped.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("line 15002"), "{err}");
    assert!(err.to_string().contains("Nothing was imported"), "{err}");
    assert_eq!(
        engine.drift().reference("fraud", None).await.unwrap().unwrap().rows,
        100,
        "the stored reference is kept"
    );

    let (skipped, _) = import(&engine, &bad, request(BadRows::Skip), false).await;
    let skipped = skipped.expect("the import leaves the row out");
    assert_eq!((skipped.rows, skipped.skipped_rows), (19_999, 1));
    assert_eq!(skipped.bad_rows[0].line, 15_002);
    assert!(skipped.bad_rows[0].message.contains("expected 5 fields"), "{}", skipped.bad_rows[0].message);
    assert_eq!(engine.drift().reference("fraud", None).await.unwrap().unwrap().rows, 19_999);
}

#[tokio::test]
async fn a_parquet_reference_as_pandas_writes_it_imports_like_a_csv_one() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/drift/reference.parquet");
    let request = ReferenceRequest { model: "orders".into(), prediction: Some("score".into()), ..Default::default() };
    let (summary, read) = import(&engine, &path, request, false).await;
    let summary = summary.expect("the Parquet file imports");
    assert_eq!(read, std::fs::metadata(&path).unwrap().len(), "progress reaches the end");
    assert_eq!(summary.rows, 1_000);
    let by_name: BTreeMap<&str, (&ColumnUse, u64)> =
        summary.columns.iter().map(|c| (c.name.as_str(), (&c.column_use, c.missing))).collect();
    assert!(matches!(by_name["order_id"].0, ColumnUse::Skip { reason } if reason.contains("identifier")));
    assert_eq!(by_name["amount"].0, &ColumnUse::Test { kind: ColumnKind::Numeric });
    assert_eq!(by_name["country"], (&ColumnUse::Test { kind: ColumnKind::Categorical }, 10), "its nulls are missing");
    assert_eq!(by_name["returning"].0, &ColumnUse::Test { kind: ColumnKind::Binary });
}

#[tokio::test]
async fn a_cancelled_import_stores_nothing_and_bad_choices_name_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let path = write_csv(dir.path(), 1_000, None);
    let (cancelled, _) = import(&engine, &path, request(BadRows::Stop), true).await;
    assert_eq!(cancelled.unwrap_err().code(), ErrorCode::Cancelled);
    assert!(engine.drift().reference("fraud", None).await.unwrap().is_none());

    let no_such_prediction = ReferenceRequest { prediction: Some("proba".into()), ..request(BadRows::Stop) };
    let err = import(&engine, &path, no_such_prediction, false).await.0.unwrap_err();
    assert_eq!(err.field(), Some("prediction"));
    assert!(err.to_string().contains("no column proba"), "{err}");

    let mut chosen = request(BadRows::Stop);
    chosen.columns.insert("transaction_id".into(), parse_choice("transaction_id", "categorical").unwrap());
    let summary = import(&engine, &path, chosen, false).await.0.unwrap();
    assert_eq!(summary.columns[0].column_use, ColumnUse::Test { kind: ColumnKind::Categorical });
}

/// The window imports a reference while the demo fleet's payloads are stored every second and
/// the poller writes: an import, which reads the choices it carries over before it writes, must
/// wait its turn rather than fail with "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_imports_while_other_writes_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let path = write_csv(dir.path(), 2_000, None);
    engine
        .drift()
        .import_reference(path.clone(), request(BadRows::Stop), |_| {}, Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (engine, stop) = (engine.clone(), stop.clone());
        tokio::spawn(async move {
            let mut writes = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let share = if writes % 2 == 0 { Some(0.3) } else { None };
                engine.drift().set_share("other-model", share).await.expect("the other writer's write");
                writes += 1;
            }
            writes
        })
    };
    for _ in 0..30 {
        let cancel = Arc::new(AtomicBool::new(false));
        engine
            .drift()
            .import_reference(path.clone(), request(BadRows::Stop), |_| {}, cancel)
            .await
            .expect("an import beside other writes");
    }
    stop.store(true, Ordering::Relaxed);
    assert!(writer.await.unwrap() > 0, "the other writer wrote meanwhile");
}
