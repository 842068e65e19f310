import { afterEach, describe, expect, it, vi } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { AuditEntry } from "../lib/bindings";
import { NOW } from "../lib/fixtures";
import { settle, type } from "../lib/testDom";
import AuditView from "./AuditView.svelte";

afterEach(() => {
  clearMocks();
  vi.restoreAllMocks();
  document.body.innerHTML = "";
});

/** 250 decisions, newest first: rollbacks of model-0… by ada as an engineer, approvals by grace. */
const trail: AuditEntry[] = Array.from({ length: 250 }, (_, i) => ({
  id: 250 - i,
  at: new Date(NOW - i * 60_000).toISOString(),
  actor: i % 2 ? "grace" : "ada",
  action: i % 2 ? "rollout.approve" : "rollout.rollback",
  subject: `model-${i}`,
  detail: JSON.stringify({ role: i % 2 ? "data_scientist" : "engineer" }),
}));

describe("AuditView", () => {
  it("draws a long trail a page at a time and finds entries by person, action and subject", async () => {
    mockIPC((command) => (command === "audit_log" ? trail : null), { shouldMockEvents: true });
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(AuditView, { target, props: { now: NOW } });
    await settle();
    const rows = () => [...target.querySelectorAll<HTMLElement>('[data-testid="audit-row"]')];
    const text = (css: string) => target.querySelector(css)?.textContent?.replace(/\s+/g, " ").trim();
    expect(rows()).toHaveLength(100);
    expect(text('[data-testid="audit-more"]')).toBe("Show 100 more of 150 not drawn yet");
    expect(rows()[0].textContent).toContain("model-0");

    type(target.querySelector<HTMLInputElement>('[data-testid="audit-find"]')!, "model-2 ada");
    await settle();
    // model-2, model-20, model-22 … and model-200 … (even: ada's rollbacks); grace's odd ones left out.
    const subjects = rows().map((row) => row.querySelector(".subject")!.textContent);
    expect(subjects.slice(0, 4)).toEqual(["model-2", "model-20", "model-22", "model-24"]);
    expect(subjects.every((s) => Number(s!.slice(6)) % 2 === 0)).toBe(true);
    expect(text(".find .muted")).toBe(`${subjects.length} of 250 entries`);
    unmount(view);
  });
});
