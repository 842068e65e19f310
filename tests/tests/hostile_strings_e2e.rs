//! Hostile strings in every view, in the real window (`vigil-desktop` under Xvfb, over WebDriver).
//!
//! A model server on loopback (MLServer-like: server metadata, repository index, model metadata,
//! readiness, a metrics page, and a traffic router for its rollouts) names its models, versions,
//! platform, metric labels and error text with markup that would run script if a view rendered it
//! as HTML (`<img src=x onerror=…>`, `<script>…</script>`, `"><svg onload=…>`, `<iframe srcdoc=…>`),
//! and with very long strings, a right-to-left override (U+202E), zero-width characters, emoji and
//! control characters. The server is registered under a hostile name and team label; a reference
//! file and an inference log whose column names and category values are hostile too are imported
//! and reported on with the CLI, as a data scientist would.
//!
//! Then, view by view — Settings (deployment targets), the fleet (servers, the attention strip,
//! the models table, the product manager's plain words), the model view (revisions, metadata,
//! chart legends, health log, the environment gathered from the server), a rollout started in the
//! window and its sign-off, cost, drift (the model list, columns, the column not tested, the
//! heatmap's tooltips, a column's categories), alerts and the audit trail — each hostile string
//! reads back from the window literally, as text. And in every view:
//! - no script ran: `window.__pwned`, which every payload sets, stays undefined, and no element
//!   the payloads describe exists (`<img src=x>`, `<iframe>`, an inline script, any element with
//!   an `on…` attribute);
//! - no view is wider than the window and no text is drawn over other text, at 1024 × 700 and at
//!   2560 × 1440 (`vigil_tests::window_checks`): a name is whole where there is room, else cut
//!   with an ellipsis, its whole text on hover and reachable by keyboard, whose focus draws it
//!   whole;
//! - axe-core finds no serious or critical accessibility violation;
//! - a right-to-left override reverses only the name that holds it, never Vigil's words after it
//!   (each such name is isolated, `ui/src/lib/bidi.ts`).
//!
//! The desktop notifications the hostile model triggers (its rollout waiting for the engineer's
//! sign-off, its dataset drift alert) carry the hostile text verbatim, isolated the same way:
//! bodies are plain text to a notification service that does not offer `body-markup`, as the
//! stand-in (`vigil_tests::notifications`) does not. Problems are collected view by view, so one
//! run names them all; each view is saved as a screenshot under `e2e-artifacts/hostile_strings/`.
//!
//! `ui/src/lib/textOnly.test.ts` is the other half: it fails if any UI source renders a string as
//! markup (`{@html}`, `innerHTML`, …).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use vigil_tests::cli::vigil;
use vigil_tests::desktop::DesktopApp;
use vigil_tests::loopback::Served;
use vigil_tests::notifications::NotificationService;
use vigil_tests::window_checks::{accessibility_violations, cut_names, overlapping_text};

const POLL_INTERVAL_SECS: f64 = 1.0;
/// The window sizes every view is checked at: the smallest a laptop gives, and a large screen.
const SIZES: [(u32, u32); 2] = [(1024, 700), (2560, 1440)];

// Markup that runs script if rendered as HTML: each payload sets `window.__pwned`.
const IMG: &str = "<img src=x onerror=window.__pwned=1>";
const SCRIPT: &str = "<script>window.__pwned=2</script>";
const SVG: &str = "\"><svg onload=window.__pwned=3>";
/// A right-to-left override: what follows is drawn reversed ("exe.txt" reads "txt.exe").
const RTL: &str = "\u{202E}exe.txt";
/// Zero-width space, non-joiner, joiner and word joiner.
const ZERO_WIDTH: &str = "a\u{200B}b\u{200C}c\u{200D}d\u{2060}e";
/// A family (joined by zero-width joiners), a flag and a fire.
const EMOJI: &str = "👩\u{200D}👩\u{200D}👧🏳\u{FE0F}\u{200D}🌈🔥";
/// Control characters that are not white space (no NUL): SOH, BEL, an ANSI colour, DEL.
const CONTROL: &str = "\u{1}\u{7}\u{1b}[31m\u{7f}";

/// The hostile model: markup, bidi override, zero-width characters, emoji and control
/// characters in one name, as the server lists it, labels its metrics and names its metadata.
fn model() -> String {
    format!("{IMG}{RTL}{ZERO_WIDTH}{EMOJI}{CONTROL}")
}
/// Its stable version and the candidate a rollout moves traffic to.
fn stable() -> String {
    SCRIPT.to_owned()
}
fn candidate() -> String {
    format!("{SVG}{EMOJI}")
}
/// A second model with a very long name (the longest the engine keeps from a listing is 256
/// bytes), not ready, for a reason that is hostile too.
fn long_model() -> String {
    format!("long-model-{}", "W".repeat(240))
}
fn not_ready_reason() -> String {
    format!("<svg onload=window.__pwned=4>{}", "R".repeat(180))
}
/// The platform the model metadata names, and the server's own version (server metadata).
fn platform() -> String {
    format!("<iframe srcdoc=\"<script>parent.__pwned=5</script>\"></iframe>{EMOJI}")
}
const SERVER_VERSION: &str = "1.7.1<img src=x onerror=window.__pwned=6>";
/// The server's name and team label, as a person registered them (at most 64 and 128 characters).
fn server_name() -> String {
    format!("\"><svg onload=window.__pwned=7>{RTL}srv🔥")
}
fn team() -> String {
    format!("<b onmouseover=window.__pwned=8>risk</b>{}", "T".repeat(80))
}

// The data file's hostile column names and category values.
fn numeric_column() -> String {
    "<img src=x onerror=window.__pwned=11>".to_owned()
}
fn category_column() -> String {
    "\"><svg onload=window.__pwned=12>".to_owned()
}
fn long_column() -> String {
    format!("feature_{}", "x".repeat(190))
}
fn odd_column() -> String {
    format!("{EMOJI} amount{RTL} {ZERO_WIDTH}{CONTROL}")
}
fn identifier_column() -> String {
    "<script>window.__pwned=13</script>".to_owned()
}
fn categories() -> [String; 4] {
    [
        "<script>window.__pwned=14</script>".to_owned(),
        "<b>bold</b> &amp; &lt;i&gt;".to_owned(),
        format!("{EMOJI} family"),
        format!("{RTL}{ZERO_WIDTH}"),
    ]
}

/// `text` as the window shows a name: when it holds directional controls, inside an isolate (FSI
/// … PDI) with each override it leaves open ended (PDF), as `ui/src/lib/bidi.ts` does (for names
/// without isolates of their own, as this test's are); else as it is.
fn isolated(text: &str) -> String {
    let count = |wanted: &dyn Fn(char) -> bool| text.chars().filter(|c| wanted(*c)).count();
    let embeddings = count(&|c| matches!(c, '\u{202A}' | '\u{202B}' | '\u{202D}' | '\u{202E}'));
    if embeddings + count(&|c| matches!(c, '\u{202C}' | '\u{2066}'..='\u{2069}')) == 0 {
        return text.to_owned();
    }
    let open = embeddings.saturating_sub(count(&|c| c == '\u{202C}'));
    format!("\u{2068}{text}{}\u{2069}", "\u{202C}".repeat(open))
}

/// `segments` as a URL path, each path-encoded as the engine encodes names in URLs.
fn encoded_path(segments: &[&str]) -> String {
    let mut url = url::Url::parse("http://127.0.0.1/").expect("a URL");
    url.path_segments_mut().expect("a base").pop_if_empty().extend(segments);
    url.path().to_owned()
}

/// A Prometheus label value, escaped as the text format asks.
fn label_value(text: &str) -> String {
    text.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

/// What the hostile server answers and remembers.
struct Shared {
    /// Each raw request path of a revision's metadata or readiness, and what it answers.
    revision_paths: BTreeMap<String, (StatusCode, Value)>,
    /// The router's route for the hostile model: version → weight.
    weights: Mutex<BTreeMap<String, u64>>,
    /// Reads of the metrics page so far (each one serves more requests).
    scrapes: AtomicU64,
}

/// The hostile model server on loopback.
struct HostileServer {
    served: Served,
}

impl HostileServer {
    async fn start() -> HostileServer {
        let mut revision_paths = BTreeMap::new();
        let (model, long_model) = (model(), long_model());
        for (name, version, ready) in [
            (model.as_str(), stable(), true),
            (model.as_str(), candidate(), true),
            (long_model.as_str(), "1".into(), false),
        ] {
            let metadata = json!({
                "name": name,
                "versions": [version, format!("sklearn/1.5.2{IMG}")],
                "platform": platform(),
                "inputs": [{ "name": numeric_column(), "datatype": "FP32", "shape": [-1, 1] }],
                "outputs": [{ "name": format!("score{SCRIPT}"), "datatype": "FP32", "shape": [-1, 1] }],
                "parameters": { "content_type": SVG },
            });
            let base = ["v2", "models", name, "versions", version.as_str()];
            revision_paths.insert(encoded_path(&base), (StatusCode::OK, metadata));
            let readiness = if ready {
                (StatusCode::OK, Value::Null)
            } else {
                (StatusCode::SERVICE_UNAVAILABLE, json!({ "error": not_ready_reason() }))
            };
            revision_paths.insert(encoded_path(&[&base[..], &["ready"]].concat()), readiness);
        }
        let weights = Mutex::new(BTreeMap::from([(stable(), 100)]));
        let shared = Arc::new(Shared { revision_paths, weights, scrapes: AtomicU64::new(0) });
        let app = Router::new().fallback(answer).with_state(shared);
        HostileServer { served: Served::start(app).await }
    }

    fn url(&self) -> String {
        self.served.url()
    }

    /// The router's URL for the hostile model's traffic.
    fn route_url(&self) -> String {
        format!("{}/route", self.url())
    }
}

/// The repository index: the hostile model's two versions ready, the long one loading.
fn repository_index() -> Value {
    json!([
        { "name": model(), "version": stable(), "state": "READY", "reason": "" },
        { "name": model(), "version": candidate(), "state": "READY", "reason": "" },
        { "name": long_model(), "version": "1", "state": "LOADING", "reason": not_ready_reason() },
    ])
}

/// MLServer's metrics page after `scrapes` reads: each read, the stable version served 18
/// requests and the candidate 6, one of which failed.
fn metrics_page(scrapes: u64) -> String {
    let (model, mut page) = (label_value(&model()), String::new());
    for (family, kind) in [
        ("model_infer_request_success_total", "counter"),
        ("model_infer_request_failure_total", "counter"),
        ("model_infer_request_duration", "summary"),
    ] {
        page += &format!("# TYPE {family} {kind}\n");
        for (version, per_read, failed) in [(stable(), 18, 0), (candidate(), 6, 1)] {
            let labels = format!("model=\"{model}\",version=\"{}\"", label_value(&version));
            let total = scrapes * per_read;
            match kind {
                "counter" if family.contains("success") => {
                    page += &format!("{family}{{{labels}}} {}\n", total - scrapes * failed)
                }
                "counter" => page += &format!("{family}{{{labels}}} {}\n", scrapes * failed),
                _ => {
                    page += &format!("{family}_count{{{labels}}} {total}\n");
                    page += &format!("{family}_sum{{{labels}}} {}\n", total as f64 * 0.012);
                }
            }
        }
    }
    page
}

/// `value` as a JSON answer with `status`.
fn json_answer(status: StatusCode, value: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

async fn answer(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path();
    match (method.as_str(), path) {
        ("GET", "/v2") => {
            json_answer(StatusCode::OK, &json!({ "name": "mlserver", "version": SERVER_VERSION, "extensions": [] }))
        }
        ("GET", "/v2/health/ready") => StatusCode::OK.into_response(),
        ("POST", "/v2/repository/index") => json_answer(StatusCode::OK, &repository_index()),
        ("GET", "/metrics") => metrics_page(shared.scrapes.fetch_add(1, Ordering::SeqCst) + 1).into_response(),
        ("GET", "/route") => {
            json_answer(StatusCode::OK, &json!({ "weights": *shared.weights.lock().expect("weights") }))
        }
        ("PUT", "/route") => {
            let asked: Value = serde_json::from_slice(&body).unwrap_or_default();
            let Some(weights) = asked["weights"].as_object() else {
                return json_answer(StatusCode::BAD_REQUEST, &json!({ "error": "no weights" }));
            };
            *shared.weights.lock().expect("weights") =
                weights.iter().map(|(version, weight)| (version.clone(), weight.as_u64().unwrap_or(0))).collect();
            json_answer(StatusCode::OK, &json!({}))
        }
        ("GET", path) => match shared.revision_paths.get(path) {
            Some((status, Value::Null)) => status.into_response(),
            Some((status, body)) => json_answer(*status, body),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// One CSV field, quoted when it must be.
fn csv_field(text: &str) -> String {
    if text.contains(['"', ',', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A CSV file of `rows` rows with the hostile columns; `live` shifts three of the four tested
/// columns (the numeric, the category and the odd one), so the data set drifts.
fn hostile_csv(rows: usize, live: bool) -> String {
    let header = [numeric_column(), category_column(), long_column(), odd_column(), identifier_column()];
    let mut csv = header.iter().map(|name| csv_field(name)).collect::<Vec<_>>().join(",") + "\n";
    let categories = categories();
    for i in 0..rows {
        let spread = (i * 7919 % 1000) as f64 / 10.0;
        let shift = if live { 60.0 } else { 0.0 };
        let category = if live { &categories[i % 7 / 5 * 3] } else { &categories[i % 4] };
        let fields = [
            format!("{:.2}", spread + shift),
            csv_field(category),
            format!("{:.2}", (i * 31 % 997) as f64 / 9.0),
            format!("{:.2}", spread * 2.0 + shift * 3.0),
            csv_field(&format!("req-<i>{i}</i>")),
        ];
        csv += &(fields.join(",") + "\n");
    }
    csv
}

/// Runs `vigil ARGS` on `db` as Ada, an engineer, and panics with its output if it fails.
async fn run(db: &Path, args: &[&str]) -> String {
    let mut full = vec!["--as", "Ada", "--role", "engineer"];
    full.extend_from_slice(args);
    let done = vigil(db, &full).await;
    assert!(done.success(), "vigil {args:?}: {done:?}");
    done.stdout
}

/// A CSS string literal of `text` for an attribute selector: `"`, `\` and control characters
/// escaped (the last as hexadecimal escapes).
fn css_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            c if c.is_control() => quoted += &format!("\\{:x} ", c as u32),
            c => quoted.push(c),
        }
    }
    quoted + "\""
}

/// `[data-testid="TESTID"][ATTRIBUTE="VALUE"]`, the value matched exactly.
fn with(testid: &str, attribute: &str, value: &str) -> String {
    format!(r#"[data-testid="{testid}"][{attribute}={}]"#, css_string(value))
}

/// What the views showed wrong, view by view: collected so that one run names every problem.
struct Views<'a> {
    app: &'a DesktopApp,
    problems: Vec<String>,
    /// Names cut short for want of room, at each size of [`SIZES`], over every view.
    cut: [u64; SIZES.len()],
}

/// What would betray a payload rendered as markup: `window.__pwned` set, or an element the
/// payloads describe (an `<img src=x>`, an `<iframe>`, an inline script, any element with an
/// `on…` handler attribute).
const INJECTED: &str = "
    const handlers = [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name)));
    const elements = [...document.querySelectorAll('img[src=\"x\"], iframe, script:not([src]), svg[onload]')];
    return {
        pwned: typeof window.__pwned === 'undefined' && typeof window.parent.__pwned === 'undefined' ? null : String(window.__pwned),
        injected: [...new Set([...handlers, ...elements])].map((e) => e.outerHTML.slice(0, 160)),
    };";

/// Where Unicode's explicit directional controls in the payloads (a right-to-left override) reach
/// past the string that holds them: each such text, with what follows it, drawn reversed. An
/// override is contained when it ends with the string that holds it (the UI's `bidi.ts` puts such
/// a name in an isolate and ends what it opened), or when nothing visible follows it in its
/// paragraph.
const BIDI_LEAKS: &str = r#"
    // Each string as given, and as JSON writes it (metadata is shown as JSON).
    const hostile = arguments[0].flatMap((h) => [h, JSON.stringify(h).slice(1, -1)]);
    const EMBED = '\u202A\u202B\u202D\u202E', ISO = '\u2066\u2067\u2068', PDF = '\u202C', PDI = '\u2069';
    const leaks = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const s = node.data;
        if (!/[\u202A-\u202E\u2066-\u2069]/.test(s)) continue;
        const spans = [];
        for (const h of hostile) for (let i = s.indexOf(h); i >= 0; i = s.indexOf(h, i + 1)) spans.push([i, i + h.length]);
        const endOf = (i) => {
            const ends = spans.filter(([a, b]) => a <= i && i < b).map(([, b]) => b);
            return ends.length ? Math.max(...ends) : s.length;
        };
        // A kept line break (in preformatted text) ends a paragraph, and what it left open.
        const lines = /pre|break-spaces/.test(getComputedStyle(node.parentElement).whiteSpace);
        const stack = [];
        let leak = null;
        for (let i = 0; i < s.length && !leak; i++) {
            const c = s[i];
            if (c === '\n' && lines) stack.length = 0;
            else if (EMBED.includes(c)) stack.push({ iso: false, until: endOf(i) });
            else if (ISO.includes(c)) stack.push({ iso: true });
            else if (c === PDF) { if (stack.length && !stack[stack.length - 1].iso) stack.pop(); }
            else if (c === PDI) { const k = stack.map((e) => e.iso).lastIndexOf(true); if (k >= 0) stack.length = k; }
            else if (/\S/.test(c) && stack.some((e) => !e.iso && i >= e.until)) leak = s;
        }
        if (!leak && stack.some((e) => !e.iso)) {
            let box = node.parentElement;
            const inline = (e) => !(e instanceof SVGTextElement) && getComputedStyle(e).display === 'inline'
                && !/isolate|plaintext/.test(getComputedStyle(e).unicodeBidi);
            while (box.parentElement && inline(box)) box = box.parentElement;
            const after = document.createRange();
            after.setStartAfter(node);
            after.setEnd(box, box.childNodes.length);
            if (/\S/.test(after.toString())) leak = `${s} ⟶ ${after.toString().trim().slice(0, 60)}`;
        }
        if (leak) leaks.push(leak);
    }
    return leaks;"#;

/// How far the view reaches past the window's width, in pixels (0 when it fits), and the
/// innermost elements that reach past it.
const OVERFLOW: &str = r#"
    const content = document.querySelector('main.content');
    const over = Math.max(content.scrollWidth - content.clientWidth, document.documentElement.scrollWidth - window.innerWidth);
    const edge = content.getBoundingClientRect().right + 1;
    const past = (e) => e.getBoundingClientRect().right > edge;
    const culprits = over <= 1 ? [] : [...content.querySelectorAll('*')]
        .filter((e) => past(e) && ![...e.children].some(past))
        .slice(0, 4)
        .map((e) => `${e.closest('[data-testid]')?.dataset.testid}: <${e.tagName.toLowerCase()} class="${e.className}"> ${(e.textContent || '').trim().slice(0, 50)}`);
    return { over, culprits };"#;

/// Whether the name at `arguments[0]` is cut short, then whether it still is while the button
/// it sits in has the keyboard's focus.
const CUT_THEN_FOCUSED: &str = r#"
    const name = document.querySelector(arguments[0]);
    const cut = () => name.scrollHeight > name.clientHeight + 1;
    const before = cut();
    name.closest('button').focus();
    const focused = cut();
    name.closest('button').blur();
    return [before, focused];"#;

impl Views<'_> {
    /// Every hostile string the server and the files carry, for the directional-controls check.
    fn hostile() -> Vec<String> {
        let mut all = vec![model(), stable(), candidate(), long_model(), not_ready_reason(), platform(), server_name()];
        all.extend([team(), numeric_column(), category_column(), long_column(), odd_column(), identifier_column()]);
        all.extend(categories());
        all.extend([IMG, SCRIPT, SVG, RTL, ZERO_WIDTH, EMOJI, CONTROL, SERVER_VERSION].map(str::to_owned));
        all
    }

    /// The `textContent` of every element matching `css`, in order.
    async fn contents(&self, css: &str) -> Vec<String> {
        let script = "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent);";
        let found = self.app.session.execute(script, vec![css.into()]).await;
        let found = found.unwrap_or_else(|e| panic!("read {css}: {e}"));
        let all = found.as_array().cloned().unwrap_or_default();
        all.iter().filter_map(|text| text.as_str().map(str::to_owned)).collect()
    }

    /// Waits (up to `deadline`) until one element matching `css` contains every string of
    /// `expected`, literally, and returns its text; otherwise notes what `view` did not show.
    async fn shows(&mut self, view: &str, css: &str, expected: &[&str], deadline: Duration) -> Option<String> {
        let give_up = std::time::Instant::now() + deadline;
        loop {
            let all = self.contents(css).await;
            if let Some(found) = all.iter().find(|text| expected.iter().all(|e| text.contains(e))) {
                return Some(found.clone());
            }
            if std::time::Instant::now() > give_up {
                let missing: Vec<_> = expected.iter().filter(|e| !all.iter().any(|t| t.contains(*e))).collect();
                self.problems.push(format!("{view}: {css} does not show {missing:?} literally; it shows {all:?}"));
                return None;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Notes when the text of the element matching `css` is not exactly `expected`: its content,
    /// and what WebDriver reads as drawn (the W3C atom drops zero-width spaces and the implicit
    /// direction marks U+200E and U+200F from it, as white space, so they are dropped here too).
    async fn reads_exactly(&mut self, view: &str, css: &str, expected: &str) {
        let content = self.contents(css).await;
        if content.first().map(|text| text.trim()) != Some(expected) {
            self.problems.push(format!("{view}: {css} holds {content:?}, not {expected:?}"));
        }
        let drawn = self.app.text_of(css).await;
        let visible: String = expected.chars().filter(|c| !matches!(c, '\u{200B}' | '\u{200E}' | '\u{200F}')).collect();
        if drawn.as_deref() != Some(visible.as_str()) {
            self.problems.push(format!("{view}: {css} reads {drawn:?}, not {visible:?}"));
        }
    }

    /// Notes anything of the payloads that ran or became an element, and a serious accessibility
    /// violation; then, at the smallest window and at a large one, a view pushed wider than the
    /// window or text drawn over other text, saving a screenshot named `view` at each size.
    async fn safe_and_fitting(&mut self, view: &str) {
        let found = self.app.session.execute(INJECTED, vec![]).await.expect("look for injected markup");
        if found["pwned"] != Value::Null {
            self.problems.push(format!("{view}: a payload ran: window.__pwned = {}", found["pwned"]));
        }
        if found["injected"] != json!([]) {
            self.problems.push(format!("{view}: markup from outside became elements: {}", found["injected"]));
        }
        let hostile = Value::from(Self::hostile());
        let leaks = self.app.session.execute(BIDI_LEAKS, vec![hostile]).await.expect("look for directional leaks");
        if leaks != json!([]) {
            self.problems.push(format!("{view}: a right-to-left override reaches past its name, reversing: {leaks}"));
        }
        for violation in accessibility_violations(self.app).await {
            self.problems.push(format!("{view}: accessibility: {violation}"));
        }
        for (size, (width, height)) in SIZES.into_iter().enumerate() {
            self.app.resize(width, height).await;
            let (cut, problems) = cut_names(self.app).await;
            self.cut[size] += cut;
            for problem in problems {
                self.problems.push(format!("{view} at {width}×{height}: a name cut short {problem}"));
            }
            let overflow = self.app.session.execute(OVERFLOW, vec![]).await.expect("measure the view");
            if overflow["over"].as_f64().is_none_or(|px| px > 1.0) {
                let (over, culprits) = (&overflow["over"], &overflow["culprits"]);
                self.problems.push(format!(
                    "{view} at {width}×{height}: long strings push the view {over} px wider than the window: {culprits}"
                ));
            }
            for overlap in overlapping_text(self.app).await {
                self.problems.push(format!("{view} at {width}×{height}: text drawn over text: {overlap}"));
            }
            self.app.screenshot(&format!("{view}-{width}x{height}"));
        }
        self.app.resize(1280, 800).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_labels_metadata_errors_and_columns_show_as_text_in_every_view_and_run_nothing() {
    let started = std::time::Instant::now();
    let server = HostileServer::start().await;
    let service = NotificationService::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("vigil.db");
    set_up(&db, dir.path(), &server).await;

    let env = [("DBUS_SESSION_BUS_ADDRESS", service.bus_address()), ("VIGIL_DB", db.to_str().expect("UTF-8 path"))];
    let app = DesktopApp::launch_with_env("hostile_strings", POLL_INTERVAL_SECS, &[], &env).await;
    let mut views = Views { app: &app, problems: Vec::new(), cut: [0; SIZES.len()] };
    app.add_profile("Ada", "engineer").await;
    settings(&mut views).await;
    app.click(r#"[data-testid="nav-fleet"]"#).await;

    fleet(&mut views).await;
    model_view(&mut views).await;
    rollouts_and_approvals(&mut views, &service).await;
    cost(&mut views).await;
    drift(&mut views).await;
    alerts(&mut views, &service).await;
    audit(&mut views).await;

    eprintln!(
        "every view checked {:?} after the start; names cut short at each size: {:?}",
        started.elapsed(),
        views.cut
    );
    assert!(views.cut[0] > 0, "the 250-character names fit whole at 1024 × 700: the test no longer tries cutting");
    assert!(views.problems.is_empty(), "{} problems:\n{}", views.problems.len(), views.problems.join("\n"));
}

/// Before the window opens, with the CLI: the server registered under a hostile name and team,
/// placed on an instance type, the hostile model's router and plan set (one step at 50 %, then
/// the promotion, which the engineer and the data scientist sign off); the reference and an
/// inference log with hostile columns and categories imported, and a drift report stored (the
/// data set drifted, so the "dataset drift" rule fires once the window evaluates it).
async fn set_up(db: &Path, dir: &Path, server: &HostileServer) {
    let (model, server_name) = (model(), server_name());
    let label = format!("team={}", team());
    run(db, &["server", "add", &server_name, &server.url(), "--kind", "mlserver", "--label", &label]).await;
    run(db, &["cost", "place", &server_name, "--instance", "aws/us-east-1/g5.xlarge"]).await;
    run(db, &["target", "add", &model, "--kind", "router", "--url", &server.route_url()]).await;
    let plan = dir.join("plan.toml");
    let steps = "min_requests = 1\n[[steps]]\nweight = 50\nmin_duration_s = 2\n[[steps]]\nweight = 100\n";
    std::fs::write(&plan, format!("{steps}[[gates]]\nmetric = \"error_share\"\nmax = 0.5\n")).expect("write the plan");
    run(db, &["rollout", "plan", &model, "--set", &plan.display().to_string()]).await;
    let (reference, live) = (dir.join("reference.csv"), dir.join("live.csv"));
    std::fs::write(&reference, hostile_csv(1_000, false)).expect("write the reference");
    std::fs::write(&live, hostile_csv(600, true)).expect("write the inference log");
    run(db, &["drift", "reference", "--model", &model, &reference.display().to_string()]).await;
    run(db, &["drift", "import", "--model", &model, &live.display().to_string()]).await;
    let reported = run(db, &["drift", "report", "--model", &model]).await;
    assert!(reported.contains("3 of 4 features drifted"), "{reported}");
}

const SECS: fn(u64) -> Duration = Duration::from_secs;

/// Settings: the hostile model's deployment target, where the profile was just added.
async fn settings(views: &mut Views<'_>) {
    let target = with("target-row", "data-model", &model());
    views.shows("settings", &target, &[&model(), "router"], SECS(10)).await;
    views.safe_and_fitting("settings").await;
}

/// The fleet, as an engineer and as a product manager sees it: the server under its name and
/// team, degraded for the long model's reason; both models, the hostile one measured from its
/// hostile metric labels, with its versions; the team in the label filter.
async fn fleet(views: &mut Views<'_>) {
    let (model, server_name, long_model, reason) = (model(), server_name(), long_model(), not_ready_reason());
    views.app.click(r#"[data-testid="role-engineer"]"#).await;
    let server_row = with("server-row", "data-server", &server_name);
    let health = format!(r#"{server_row} [data-testid="server-health"]"#);
    views.app.text_when(&health, SECS(20), |h| h == "Degraded").await;
    views.shows("fleet", &format!("{server_row} td.name"), &[&server_name], SECS(5)).await;
    views
        .reads_exactly("fleet", &format!(r#"{server_row} [data-testid="server-labels"]"#), &format!("team={}", team()))
        .await;
    views.shows("fleet", &format!("{server_row} td.reason"), &[&long_model, &reason], SECS(5)).await;
    let degraded = format!("{} is degraded", isolated(&server_name));
    views.shows("fleet", r#"[data-testid="attention"]"#, &[&degraded, &long_model, &reason], SECS(5)).await;

    let model_row = with("model-row", "data-model", &model);
    views.app.element(&model_row, SECS(10)).await;
    views.reads_exactly("fleet", &format!(r#"{model_row} [data-testid="open-model"]"#), &isolated(&model)).await;
    views.shows("fleet", &format!(r#"{model_row} [data-testid="model-rate"]"#), &["req/s"], SECS(15)).await;
    for version in [stable(), candidate()] {
        let chip = format!("{model_row} {}", with("revision-chip", "data-version", &version));
        views.shows("fleet", &chip, &[&format!("v{version}")], SECS(10)).await;
    }
    views.shows("fleet", &format!("{model_row} .server"), &[&server_name], SECS(5)).await;
    views.shows("fleet", &with("model-row", "data-model", &long_model), &[&long_model, &server_name], SECS(5)).await;
    views.shows("fleet", r#"[data-testid="model-label-filter"][data-label="team"] option"#, &[&team()], SECS(5)).await;
    views.safe_and_fitting("fleet").await;

    // At the smallest size the long name is cut; its button's focus draws it whole.
    views.app.resize(SIZES[0].0, SIZES[0].1).await;
    let long_name =
        format!(r#"{} [data-testid="open-model"] .name-text"#, with("model-row", "data-model", &long_model));
    let cut_then_focused = views.app.session.execute(CUT_THEN_FOCUSED, vec![long_name.into()]).await;
    if cut_then_focused.as_ref().ok() != Some(&json!([true, false])) {
        views.problems.push(format!("fleet: the long model's name, cut and then focused, was {cut_then_focused:?}"));
    }
    views.app.resize(1280, 800).await;

    views.app.click(r#"[data-testid="role-product_manager"]"#).await;
    let plain = r#"[data-testid="plain-summary"]"#;
    let on_server = format!("{} on {}", isolated(&model), isolated(&server_name));
    views.shows("fleet as a product manager", plain, &[&on_server, &long_model], SECS(5)).await;
    views.safe_and_fitting("fleet-product-manager").await;
    views.app.click(r#"[data-testid="role-engineer"]"#).await;
}

/// The model view: its name on its server, its versions, their metadata as the server gave it,
/// the chart legends, the health log, and the environment gathered from the server.
async fn model_view(views: &mut Views<'_>) {
    let (model, server_name) = (model(), server_name());
    views.app.click(&format!(r#"{} [data-testid="open-model"]"#, with("model-row", "data-model", &model))).await;
    let model_view = with("model-view", "data-model", &model);
    views.shows("model view", &format!("{model_view} h1"), &[&model, &server_name], SECS(10)).await;
    let platform_json = serde_json::to_string(&platform()).expect("JSON");
    for version in [stable(), candidate()] {
        let row = with("revision-row", "data-version", &version);
        views.shows("model view", &format!("{row} td.name"), &[&format!("v{version}")], SECS(10)).await;
        views.shows("model view", &format!("{row} td.metadata"), &[&platform_json], SECS(10)).await;
    }
    let legend = r#"[data-testid="chart-traffic"] .u-legend"#;
    views.shows("model view", legend, &[&format!("v{}", stable()), &format!("v{}", candidate())], SECS(15)).await;
    views.shows("model view", r#"[data-testid="health-log"]"#, &[&not_ready_reason()], SECS(5)).await;
    views.safe_and_fitting("model-view").await;

    let card = with("revision-preflight", "data-version", &stable());
    views.app.click(&format!(r#"{card} [data-testid="preflight-gather"]"#)).await;
    let summary = format!(r#"{card} [data-testid="preflight-summary"]"#);
    views.shows("model view", &summary, &[SERVER_VERSION, &platform()], SECS(15)).await;
    views.safe_and_fitting("model-view-environment").await;
}

/// Rollouts, started from the window on the hostile model: its first step passes and the
/// promotion waits for the engineer and the data scientist; the engineer is notified in the
/// card's words. Ada signs as the engineer, with markup for a reason.
async fn rollouts_and_approvals(views: &mut Views<'_>, service: &NotificationService) {
    let (model, stable, candidate) = (model(), stable(), candidate());
    views.app.click(r#"[data-testid="nav-rollouts"]"#).await;
    views.app.choose(r#"[data-testid="rollout-start-model"]"#, &model).await;
    views.app.choose(r#"[data-testid="rollout-start-candidate"]"#, &candidate).await;
    views.app.click(r#"[data-testid="rollout-start"]"#).await;
    let card = format!(r#"{}[data-state="waiting"]"#, with("rollout-card", "data-model", &model));
    views.app.element(&card, SECS(40)).await;
    let versions = format!("v{stable} → v{candidate}");
    views.shows("rollouts", &format!("{card} h2"), &[&model, &versions], SECS(5)).await;
    let sentence = format!(r#"{card} [data-testid="rollout-sentence"]"#);
    let sentence = views.shows("rollouts", &sentence, &[&model, &candidate], SECS(5)).await;
    let gates = format!(r#"{card} [data-testid="rollout-gates"] thead"#);
    views.shows("rollouts", &gates, &[&candidate, &stable], SECS(5)).await;
    views.safe_and_fitting("rollouts").await;

    let notice = wait_for_notice(service, |n| n.summary.contains("approval"), SECS(30)).await;
    let summary = format!("{} waits for your approval", isolated(&model));
    if notice.summary != summary || Some(notice.body.trim()) != sentence.as_deref().map(str::trim) {
        let problem = format!("notification: {notice:?} is not {summary:?} with the card's sentence {sentence:?}");
        views.problems.push(problem);
    }

    views.app.fill(&format!(r#"{card} [data-testid="rollout-reason"]"#), IMG).await;
    views.app.click(&format!(r#"{card} [data-testid="rollout-approve"]"#)).await;
    let signed = format!(r#"{card} [data-testid="rollout-approval"]"#);
    views.shows("approvals", &signed, &["Approved by Ada (Engineer)", &format!("“{IMG}”")], SECS(10)).await;
    let waiting = format!(r#"{card} [data-testid="rollout-waiting-for"]"#);
    views.shows("approvals", &waiting, &["Waiting for: Data scientist"], SECS(5)).await;
    views.safe_and_fitting("approvals").await;
}

/// Cost: the server with its team and instance type, the model and its revisions priced, the
/// candidate set against the stable revision, and the team.
async fn cost(views: &mut Views<'_>) {
    let (model, stable, candidate, server_name, team) = (model(), stable(), candidate(), server_name(), team());
    views.app.click(r#"[data-testid="nav-cost"]"#).await;
    let server_row = with("cost-server-row", "data-server", &server_name);
    views.shows("cost", &server_row, &[&server_name, &team, "g5.xlarge"], SECS(30)).await;
    views.shows("cost", r#"[data-testid="cost-model-row"]"#, &[&model, &server_name, &team], SECS(10)).await;
    for version in [&stable, &candidate] {
        let revision = r#"[data-testid="cost-revision-row"]"#;
        views.shows("cost", revision, &[&model, &format!("v{version}")], SECS(10)).await;
    }
    let comparison = with("cost-comparison", "data-model", &model);
    views.shows("cost", &comparison, &[&model, &format!("v{stable}"), &format!("v{candidate}")], SECS(30)).await;
    views.shows("cost", r#"[data-testid="cost-teams"]"#, &[&team], SECS(5)).await;
    views.safe_and_fitting("cost").await;
}

/// Drift: the model; its columns as the file named them; the identifier, not tested; the
/// heatmap's tooltips; the category column's values.
async fn drift(views: &mut Views<'_>) {
    let model = model();
    views.app.click(r#"[data-testid="nav-drift"]"#).await;
    let listed = format!("[data-testid={}]", css_string(&format!("drift-model-{model}")));
    views.app.click(&listed).await;
    views.shows("drift", &format!("{listed} .model-name"), &[&model], SECS(5)).await;
    for column in [numeric_column(), category_column(), long_column(), odd_column()] {
        let row = format!("[data-testid={}]", css_string(&format!("drift-column-{column}")));
        views.shows("drift", &format!("{row} td.name"), &[&column], SECS(10)).await;
        let tooltip = format!(r#"{} title"#, with("drift-cell", "data-column", &column));
        views.shows("drift", &tooltip, &[&column], SECS(10)).await;
    }
    let odd = format!("[data-testid={}] td.name", css_string(&format!("drift-column-{}", odd_column())));
    views.reads_exactly("drift", &odd, &isolated(&odd_column())).await;
    views.shows("drift", r#"[data-testid="drift-skipped"]"#, &[&identifier_column(), "an identifier"], SECS(5)).await;
    views.safe_and_fitting("drift").await;

    let category = category_column();
    views.app.click(&format!("[data-testid={}] td.name", css_string(&format!("drift-column-{category}")))).await;
    let table = format!("{} table", with("drift-distributions", "data-column", &category));
    let categories = categories();
    let categories: Vec<&str> = categories.iter().map(String::as_str).collect();
    views.shows("drift", &table, &categories, SECS(10)).await;
    views.safe_and_fitting("drift-categories").await;
}

/// Alerts: the model's dataset drift fires; its row and its history name the model on its server;
/// the desktop is told in the same words.
async fn alerts(views: &mut Views<'_>, service: &NotificationService) {
    let (model, server_name) = (model(), server_name());
    let subject = format!("{} on {}", isolated(&model), isolated(&server_name));
    views.app.click(r#"[data-testid="nav-alerts"]"#).await;
    let firing = r#"[data-testid="alerts-firing"] [data-testid="alert-row"][data-rule="dataset drift"]"#;
    let sentence = format!(r#"{firing} [data-testid="alert-sentence"]"#);
    views.shows("alerts", &sentence, &[&format!("{subject}: dataset drift")], SECS(30)).await;
    let history = r#"[data-testid="history-row"][data-rule="dataset drift"]"#;
    views.shows("alerts", history, &[&format!("{subject}: dataset drift")], SECS(10)).await;
    views.safe_and_fitting("alerts").await;

    let notice = wait_for_notice(service, |n| n.summary.contains("dataset drift"), SECS(60)).await;
    if notice.summary != "[FIRING:1] dataset drift" || notice.body != format!("{subject}: dataset drift") {
        views.problems.push(format!("notification: {notice:?} is not {subject:?}'s dataset drift, verbatim"));
    }
}

/// The audit trail: the server added, the rollout of the model's versions, and the sign-off
/// with its reason, each as given.
async fn audit(views: &mut Views<'_>) {
    views.app.click(r#"[data-testid="nav-audit"]"#).await;
    let row = r#"[data-testid="audit-row"]"#;
    views.shows("audit", row, &["Added server", &server_name()], SECS(10)).await;
    views.shows("audit", row, &["Started a rollout", &model(), &stable(), &candidate()], SECS(5)).await;
    views.shows("audit", row, &["Approved a rollout step", &model(), &format!("reason: {IMG}")], SECS(5)).await;
    views.safe_and_fitting("audit").await;
}

/// The first notification `accept` takes, waiting up to `deadline`.
async fn wait_for_notice(
    service: &NotificationService,
    accept: impl Fn(&vigil_tests::notifications::Shown) -> bool,
    deadline: Duration,
) -> vigil_tests::notifications::Shown {
    vigil_tests::wait_for("a desktop notification", deadline, || async { service.shown().into_iter().find(&accept) })
        .await
}
