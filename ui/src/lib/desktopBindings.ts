// Generated from the Rust types in src-tauri by `make bindings`. Do not edit.

export type DemoState = "stopped" | "starting" | "running";

export type DemoServer = { name: string, 
/**
 * What it imitates: `triton`, `mlserver` or `kserve`.
 */
kind: string, url: string, 
/**
 * `MODEL:VERSION` of each version it hosts.
 */
models: Array<string>, };

export type DemoStatus = { 
/**
 * Grows with each change, so the window can drop a status that arrives after a newer one.
 */
revision: number, state: DemoState, 
/**
 * The scenarios it plays, or will play when started.
 */
scenarios: Array<string>, 
/**
 * Its servers while it runs.
 */
servers: Array<DemoServer>, 
/**
 * Registered servers labelled `source=vigil-fleet`, by name, running or not.
 */
registered: Array<string>, 
/**
 * Why the last start failed, until the next start.
 */
error: string | null, };
