//! kill -9 in the middle of heavy writing (`vigil-bench crash` does it twenty times each and
//! times the starts): `vigil collect`, then the desktop window, polls the demo fleet every
//! 200 ms and takes ground-truth labels from a load generator on its ingest endpoint while
//! another process adds servers through the CLI; it is killed with SIGKILL at a random moment.
//! After each kill SQLite's `integrity_check` is ok, every server whose add was acknowledged is
//! there, nothing polls stored before is gone, every label answered 202 more than the promised
//! second before the kill is stored, the audit chain verifies, and the next start needs nothing
//! from anyone.

use vigil_tests::crash::{CrashLoop, Victim};

async fn kill_again_and_again(victim: Victim, kills: usize) {
    let vigil = vigil_tests::workspace_binary("vigil");
    if victim == Victim::Desktop {
        vigil_tests::workspace_binary("vigil-desktop");
    }
    let mut crashes = CrashLoop::new(victim, &vigil, 11).await.expect("the crash loop");
    let (mut ingested, mut last) = (0, None);
    for round in 0..kills {
        let after = crashes.kill_once(round).await.expect("a round");
        if after.ingest_lost_outside > 0 {
            let log = std::fs::read_to_string(crashes.dir().join(format!("victim-{round}.log"))).unwrap_or_default();
            println!("the {victim:?}'s log in round {round}:\n{log}");
        }
        assert_eq!(after.integrity, "ok", "integrity after kill {round}");
        assert!(after.polls_after >= after.polls_before, "kill {round} lost polls: {after:?}");
        assert!(after.lost.is_empty(), "acknowledged but gone after kill {round}: {:?}", after.lost);
        assert_eq!(after.ingest_lost_outside, 0, "labels answered 202 over a second before kill {round}: {after:?}");
        assert!(after.audit_verified, "the audit chain after kill {round}");
        assert!(after.restarted, "the next start after kill {round} needs nothing");
        ingested += after.ingested;
        last = Some(after);
    }
    let last = last.expect("rounds ran");
    assert!(last.polls_after > 0, "the {victim:?} wrote polls between the kills");
    assert!(last.acknowledged >= kills, "the CLI wrote beside it ({} adds)", last.acknowledged);
    assert!(ingested >= 100 * kills, "the load generator was answered ({ingested} labels)");
    println!(
        "{victim:?}, {kills} kills: {} rows of polls, {} acknowledged adds and {ingested} labels, all kept",
        last.polls_after, last.acknowledged
    );
    crashes.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_collector_killed_mid_write_leaves_a_sound_store_with_everything_acknowledged_and_starts_again() {
    kill_again_and_again(Victim::Collector, 5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_window_killed_mid_write_leaves_a_sound_store_with_everything_acknowledged_and_starts_again() {
    kill_again_and_again(Victim::Desktop, 3).await;
}
