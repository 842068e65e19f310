use std::time::Duration;
use vigil_tests::desktop::DesktopApp;

#[tokio::test(flavor = "multi_thread")]
async fn look() {
    let app = DesktopApp::launch("zz-look", 1.0, &["--demo=healthy"]).await;
    app.click(r#"[data-testid="nav-rollouts"]"#).await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    app.screenshot("rollouts");
    let js = "const e = document.querySelector('[data-testid=\"revision-preflight\"]'); if (e) e.scrollIntoView(); return !!e;";
    println!("evidence card: {:?}", app.session.execute(js, vec![]).await);
    app.screenshot("rollouts-evidence");
}
