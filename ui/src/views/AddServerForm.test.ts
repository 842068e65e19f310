import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { Server } from "../lib/bindings";
import AddServerForm from "./AddServerForm.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function fill(target: HTMLElement, testid: string, value: string) {
  const input = target.querySelector<HTMLInputElement>(`[data-testid="${testid}"]`)!;
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

describe("AddServerForm", () => {
  it("shows the engine's error under the field it names and keeps what was typed", async () => {
    mockIPC(() => {
      throw { code: "invalid_input", message: "Base URL must start with http:// or https://", field: "base_url", detail: null };
    });
    const target = document.body.appendChild(document.createElement("div"));
    const form = mount(AddServerForm, { target, props: { onadded: () => {}, oncancel: () => {} } });
    fill(target, "server-name-input", "fraud-prod");
    fill(target, "server-url-input", "ftp://x");
    target.querySelector<HTMLButtonElement>('[data-testid="server-submit"]')!.click();
    await settle();
    flushSync();
    expect(target.querySelector('[data-testid="server-url-error"]')?.textContent).toContain("must start with http://");
    expect(target.querySelector('[data-testid="server-name-error"]')).toBeNull();
    expect(target.querySelector<HTMLInputElement>('[data-testid="server-name-input"]')!.value).toBe("fraud-prod");
    unmount(form);
  });

  it("sends the chosen kind and hands the stored server back when the engine accepts it", async () => {
    mockIPC((command, args) => {
      const { server } = args as { server: { name: string; base_url: string } };
      return command === "server_add" ? { id: 7, ...server, health: "unknown" } : null;
    });
    let added: Server | null = null;
    const target = document.body.appendChild(document.createElement("div"));
    const form = mount(AddServerForm, { target, props: { onadded: (s: Server) => (added = s), oncancel: () => {} } });
    fill(target, "server-name-input", "churn");
    fill(target, "server-url-input", "http://127.0.0.1:9000");
    const kind = target.querySelector<HTMLSelectElement>('[data-testid="server-kind-select"]')!;
    expect(kind.value).toBe("auto");
    kind.value = "torchserve";
    kind.dispatchEvent(new Event("change", { bubbles: true }));
    target.querySelector<HTMLButtonElement>('[data-testid="server-submit"]')!.click();
    await settle();
    expect(added).toMatchObject({
      id: 7,
      name: "churn",
      base_url: "http://127.0.0.1:9000",
      kind: "torchserve",
      metrics_url: null,
      management_url: null,
      labels: {},
    });
    unmount(form);
  });
});
