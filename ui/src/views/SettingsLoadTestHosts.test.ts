import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { settle } from "../lib/testDom";
import SettingsLoadTestHosts from "./SettingsLoadTestHosts.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

describe("SettingsLoadTestHosts", () => {
  it("lists the allowed hosts, saves the edited list as the profile, and shows the engine's objection", async () => {
    const saved: unknown[] = [];
    mockIPC((command, args) => {
      if (command === "load_test_hosts") return ["staging-1.internal"];
      if (command !== "load_test_set_hosts") return null;
      const hosts = (args as { hosts: string[] }).hosts;
      saved.push(args);
      if (hosts.includes("http://bad")) throw { code: "invalid_input", message: "'http://bad' is not a host name: give it without a scheme.", field: "hosts", detail: null };
      return hosts;
    });
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(SettingsLoadTestHosts, { target, props: { profile: { name: "ana", role: "engineer" } } });
    await settle();
    const area = target.querySelector<HTMLTextAreaElement>('[data-testid="load-test-hosts-input"]')!;
    expect(area.value).toBe("staging-1.internal");
    expect(target.textContent).toContain("only servers on this machine (loopback)");

    area.value = "staging-1.internal\nstaging-2.internal";
    area.dispatchEvent(new Event("input", { bubbles: true }));
    target.querySelector<HTMLButtonElement>('[data-testid="load-test-hosts-save"]')!.click();
    await settle();
    expect(saved[0]).toEqual({ profile: { name: "ana", role: "engineer" }, hosts: ["staging-1.internal", "staging-2.internal"] });
    expect(target.querySelector('[data-testid="load-test-hosts-saved"]')).not.toBeNull();

    area.value = "http://bad";
    area.dispatchEvent(new Event("input", { bubbles: true }));
    target.querySelector<HTMLButtonElement>('[data-testid="load-test-hosts-save"]')!.click();
    await settle();
    expect(target.querySelector('[data-testid="load-test-hosts-error"]')!.textContent).toBe("'http://bad' is not a host name: give it without a scheme.");
    unmount(view);
  });
});
