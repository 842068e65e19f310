//! What every view of the real window must hold, checked in the page over WebDriver: no two
//! pieces of text drawn over each other, at any window size ([`overlapping_text`]), and no
//! serious or critical accessibility violation as axe-core finds them ([`accessibility_violations`],
//! axe-core from the UI's npm packages, injected into the page), and no name cut short without
//! its whole text on hover and a way for the keyboard to reach it ([`cut_names`]).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use crate::desktop::DesktopApp;

/// The text of the page as drawn: each text node's boxes (one per line), cut to what every
/// clipping ancestor and the window let show; and each pair of boxes of different text nodes
/// that cover each other by more than 2 px both ways (glyph boxes of neighbouring lines may
/// touch), with the two texts. Hidden text (`display: none`, `visibility: hidden`, transparent,
/// screen-reader-only, inside a closed `<details>`) draws nothing and is left out, as are the
/// `<option>`s of closed menus.
const OVERLAPS: &str = r#"
    const cut = (a, b) => {
        const left = Math.max(a.left, b.left), right = Math.min(a.right, b.right);
        const top = Math.max(a.top, b.top), bottom = Math.min(a.bottom, b.bottom);
        return right - left > 0 && bottom - top > 0 ? { left, right, top, bottom } : null;
    };
    const view = { left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight };
    const boxes = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!/\S/.test(node.data) || !parent || parent.closest('option, script, style, title, desc')) continue;
        // What a closed <details> holds is laid out but not drawn.
        if (parent.closest('details:not([open]) > :not(summary)')) continue;
        const style = getComputedStyle(parent);
        if (style.visibility !== 'visible' || parseFloat(style.opacity) === 0) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        let rects = [...range.getClientRects()].map((r) => cut(r, view)).filter(Boolean);
        for (let a = parent; a && rects.length && a !== document.documentElement; a = a.parentElement) {
            const s = getComputedStyle(a);
            if (parseFloat(s.opacity) === 0) rects = [];
            if (s.overflowX !== 'visible' || s.overflowY !== 'visible' || s.clipPath !== 'none' || s.clip !== 'auto') {
                const box = a.getBoundingClientRect();
                rects = rects.map((r) => cut(r, box)).filter(Boolean);
            }
        }
        const where = parent.closest('[data-testid]')?.dataset.testid ?? parent.tagName.toLowerCase();
        for (const r of rects) if (r.right - r.left > 2 && r.bottom - r.top > 2) boxes.push({ r, node, where });
    }
    boxes.sort((a, b) => a.r.left - b.r.left);
    const found = [];
    for (let i = 0; i < boxes.length && found.length < 8; i++) {
        for (let j = i + 1; j < boxes.length && boxes[j].r.left < boxes[i].r.right - 2; j++) {
            if (boxes[i].node === boxes[j].node) continue;
            const both = cut(boxes[i].r, boxes[j].r);
            if (both && both.right - both.left > 2 && both.bottom - both.top > 2) {
                const text = (b) => `${b.where}: ${b.node.data.trim().slice(0, 40)}`;
                found.push(`${text(boxes[i])} ⟷ ${text(boxes[j])} (${Math.round(both.right - both.left)}×${Math.round(both.bottom - both.top)} px)`);
                break;
            }
        }
    }
    return found;"#;

/// Where text is drawn over other text in the window as it is now, one line per pair (at most
/// eight); empty when nothing overlaps. The view is scrolled to its top first, so that nothing
/// lies under a sticky header.
pub async fn overlapping_text(app: &DesktopApp) -> Vec<String> {
    let top = "document.querySelectorAll('main.content, main.content *').forEach((e) => { if (e.scrollTop) e.scrollTop = 0; });";
    app.session.execute(top, vec![]).await.expect("scroll the view to its top");
    let found = app.session.execute(OVERLAPS, vec![]).await.expect("look for overlapping text");
    strings(&found)
}

/// After two frames (so that the names' observer has seen the window's size): how many names
/// (`components/Name.svelte`) are cut short, and each cut name whose tooltip is not its whole
/// text or that neither it nor anything around it lets the keyboard reach.
const CUT_NAMES: &str = r#"
    const done = arguments[arguments.length - 1];
    requestAnimationFrame(() => requestAnimationFrame(() => {
        const names = [...document.querySelectorAll('.name-text')].filter((e) => e.getClientRects().length > 0);
        const cut = names.filter((e) => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1);
        const focusable = 'a[href], button, input, select, textarea, summary, [tabindex]';
        const problems = cut
            .filter((e) => e.title !== e.textContent || !e.closest(focusable))
            .slice(0, 8)
            .map((e) => `${JSON.stringify(e.textContent.slice(0, 60))}: tooltip ${JSON.stringify(e.title.slice(0, 60))}, `
                + (e.closest(focusable) ? 'reachable' : 'not reachable by keyboard'));
        done({ cut: cut.length, problems });
    }));"#;

/// How many names in the window as it is now are cut short for want of room, and a line for each
/// (at most eight) that lacks its whole text as a tooltip or cannot be reached by keyboard.
pub async fn cut_names(app: &DesktopApp) -> (u64, Vec<String>) {
    let found = app.session.execute_async(CUT_NAMES, vec![], Duration::from_secs(10)).await.expect("look at cut names");
    (found["cut"].as_u64().unwrap_or(0), strings(&found["problems"]))
}

/// axe-core's own file, from the UI's npm packages (`make test` installs them).
fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; install the UI's packages first (`make test` does)", path.display()))
}

/// The serious and critical accessibility violations axe-core finds in the window as it is now,
/// under WCAG 2.1 A and AA and axe's best practices: one line per rule, with its impact, what it
/// asks and where (up to three elements, each with axe's finding). axe is injected on the first
/// call.
pub async fn accessibility_violations(app: &DesktopApp) -> Vec<String> {
    let loaded = app.session.execute("return typeof window.axe !== 'undefined';", vec![]).await;
    if loaded.ok() != Some(Value::Bool(true)) {
        let script = format!("{}\n;return typeof window.axe;", axe_source());
        let kind = app.session.execute(&script, vec![]).await.expect("inject axe-core");
        assert_eq!(kind, json!("object"), "axe-core did not load in the window");
    }
    let run = r#"
        const done = arguments[arguments.length - 1];
        const only = { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] };
        window.axe.run(document, { runOnly: only, resultTypes: ['violations'] }).then(
            (r) => done(r.violations
                .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 3).map((n) =>
                    `${n.target.join(' ')} [${[...n.any, ...n.all, ...n.none].map((c) => c.message).join('; ').slice(0, 160)}]`).join(' | ')}`)),
            (e) => done([`axe failed: ${e}`]));"#;
    let found = app.session.execute_async(run, vec![], Duration::from_secs(60)).await.expect("run axe-core");
    strings(&found)
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().map(|all| all.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}
