import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { settle } from "../lib/testDom";
import StartupTrouble from "./StartupTrouble.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

describe("StartupTrouble", () => {
  it("says what happened in the engine's words, keeps the detail on demand and as text, and closes Vigil", async () => {
    const called: string[] = [];
    mockIPC((command) => {
      called.push(command);
      return null;
    });
    const trouble = {
      code: "database" as const,
      message: "This database was written by a newer version of Vigil (it has change 21 of the database's layout, which this version does not know).",
      field: null,
      detail: "migration 21 was previously applied but is missing <script>alert(1)</script>",
    };
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(StartupTrouble, { target, props: { trouble } });
    await settle();
    expect(target.querySelector('[data-testid="startup-trouble-message"]')!.textContent).toBe(trouble.message);
    expect(target.querySelector('[data-testid="startup-trouble-detail"]')!.textContent).toBe(trouble.detail);
    expect(target.querySelector("script")).toBeNull();
    target.querySelector<HTMLButtonElement>('[data-testid="startup-trouble-quit"]')!.click();
    await settle();
    expect(called).toEqual(["app_quit"]);
    unmount(view);
  });
});
