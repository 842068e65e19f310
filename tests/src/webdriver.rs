//! A small W3C WebDriver client over reqwest: just what the end-to-end tests use.

use std::time::Duration;

use serde_json::{json, Value};

/// The key under which WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One WebDriver session.
pub struct Session {
    http: reqwest::Client,
    base: String,
}

/// A WebDriver error, with the driver's own words.
#[derive(Debug)]
pub struct WebDriverError(pub String);

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

type Result<T> = std::result::Result<T, WebDriverError>;

async fn call(http: &reqwest::Client, method: reqwest::Method, url: &str, body: Option<Value>) -> Result<Value> {
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|e| WebDriverError(format!("{url}: {e}")))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| WebDriverError(format!("{url}: {e}")))?;
    if !status.is_success() {
        return Err(WebDriverError(format!("{url}: HTTP {status}: {}", body["value"])));
    }
    Ok(body["value"].clone())
}

impl Session {
    /// Opens a session on the driver at `driver_url` with the given capabilities.
    pub async fn create(driver_url: &str, capabilities: Value) -> Result<Session> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("http client");
        let value = call(
            &http,
            reqwest::Method::POST,
            &format!("{driver_url}/session"),
            Some(json!({ "capabilities": capabilities })),
        )
        .await?;
        let id = value["sessionId"].as_str().ok_or_else(|| WebDriverError(format!("no session id in {value}")))?;
        Ok(Session { http, base: format!("{driver_url}/session/{id}") })
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        call(&self.http, reqwest::Method::POST, &format!("{}{path}", self.base), Some(body)).await
    }

    async fn get(&self, path: &str) -> Result<Value> {
        call(&self.http, reqwest::Method::GET, &format!("{}{path}", self.base), None).await
    }

    /// Every element matching a CSS selector (possibly none).
    pub async fn find_all(&self, css: &str) -> Result<Vec<String>> {
        let value = self.post("/elements", json!({ "using": "css selector", "value": css })).await?;
        Ok(value
            .as_array()
            .map(|items| items.iter().filter_map(|e| e[ELEMENT_KEY].as_str().map(str::to_owned)).collect())
            .unwrap_or_default())
    }

    /// The first element matching a CSS selector, if any.
    pub async fn find(&self, css: &str) -> Result<Option<String>> {
        Ok(self.find_all(css).await?.into_iter().next())
    }

    pub async fn click(&self, element: &str) -> Result<()> {
        self.post(&format!("/element/{element}/click"), json!({})).await.map(drop)
    }

    pub async fn text(&self, element: &str) -> Result<String> {
        Ok(self.get(&format!("/element/{element}/text")).await?.as_str().unwrap_or_default().to_owned())
    }

    /// The value of an element's attribute, None when it has none.
    pub async fn attribute(&self, element: &str, name: &str) -> Result<Option<String>> {
        Ok(self.get(&format!("/element/{element}/attribute/{name}")).await?.as_str().map(str::to_owned))
    }

    /// Types `text` into an input element.
    pub async fn type_text(&self, element: &str, text: &str) -> Result<()> {
        self.post(&format!("/element/{element}/clear"), json!({})).await?;
        self.post(&format!("/element/{element}/value"), json!({ "text": text })).await.map(drop)
    }

    /// Sends `keys` to an element as typed, without clearing it first: WebDriver's key codes
    /// included (U+E009 holds Control down until U+E000; U+E007 is Enter).
    pub async fn send_keys(&self, element: &str, keys: &str) -> Result<()> {
        self.post(&format!("/element/{element}/value"), json!({ "text": keys })).await.map(drop)
    }

    /// Runs a script in the page and returns its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args })).await
    }

    /// Runs an asynchronous script (it calls its last argument with its result) and returns its
    /// result, waiting at most `timeout`.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>, timeout: Duration) -> Result<Value> {
        self.post("/timeouts", json!({ "script": timeout.as_millis() as u64 })).await?;
        self.post("/execute/async", json!({ "script": script, "args": args })).await
    }

    /// Resizes the window to `width` × `height` pixels (its outer size) and returns the size it took.
    pub async fn set_window_size(&self, width: u32, height: u32) -> Result<(u64, u64)> {
        let rect = self.post("/window/rect", json!({ "width": width, "height": height })).await?;
        Ok((rect["width"].as_u64().unwrap_or(0), rect["height"].as_u64().unwrap_or(0)))
    }

    /// Ends the session, closing the app.
    pub async fn close(&self) {
        let _ = call(&self.http, reqwest::Method::DELETE, &self.base, None).await;
    }
}
