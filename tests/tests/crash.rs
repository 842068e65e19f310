//! kill -9 in the middle of heavy writing, five times (`vigil-bench crash` does it twenty times
//! and times the starts): `vigil collect` polls the demo fleet every 200 ms while another process
//! adds servers through the CLI; the collector is killed with SIGKILL at a random moment. After
//! each kill SQLite's `integrity_check` is ok, every server whose add was acknowledged is there,
//! nothing polls stored before is gone, the audit chain verifies, and the next start needs
//! nothing from anyone.

use vigil_tests::crash::CrashLoop;

const KILLS: usize = 5;

#[tokio::test(flavor = "multi_thread")]
async fn a_collector_killed_mid_write_leaves_a_sound_store_with_everything_acknowledged_and_starts_again() {
    let mut crashes = CrashLoop::new(&vigil_tests::workspace_binary("vigil"), 11).await.expect("the crash loop");
    let mut last = None;
    for round in 0..KILLS {
        let after = crashes.kill_once(round).await.expect("a round");
        assert_eq!(after.integrity, "ok", "integrity after kill {round}");
        assert!(after.polls_after >= after.polls_before, "kill {round} lost polls: {after:?}");
        assert!(after.lost.is_empty(), "acknowledged but gone after kill {round}: {:?}", after.lost);
        assert!(after.audit_verified, "the audit chain after kill {round}");
        assert!(after.restarted, "the next start after kill {round} needs nothing");
        last = Some(after);
    }
    let last = last.expect("rounds ran");
    assert!(last.polls_after > 0, "the collector wrote polls between the kills");
    assert!(last.acknowledged >= KILLS, "the CLI wrote beside it ({} adds)", last.acknowledged);
    println!("{KILLS} kills: {} rows of polls and {} acknowledged adds, all kept", last.polls_after, last.acknowledged);
    crashes.stop().await;
}
