import { afterEach, describe, expect, it } from "vitest";
import { mount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { Profile, RolloutView } from "../lib/bindings";
import { rolloutView } from "../lib/fixtures";
import { settle, type } from "../lib/testDom";
import RolloutCard from "./RolloutCard.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

function card(view: RolloutView, profile: Profile | null) {
  const changes: RolloutView[] = [];
  const target = document.body.appendChild(document.createElement("div"));
  mount(RolloutCard, { target, props: { view, profile, onchange: (v: RolloutView) => changes.push(v) } });
  const find = (id: string) => target.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  return { target, find, changes };
}

describe("RolloutCard", () => {
  it("shows each gate's measured value next to its threshold, and who must still sign", () => {
    const { target, find } = card(rolloutView(), { name: "Ada", role: "engineer" });
    const rows = [...target.querySelectorAll('[data-testid="gate-row"]')].map((row) => row.textContent?.replace(/\s+/g, " ").trim());
    expect(rows[0]).toContain("Error share");
    expect(rows[0]).toContain("0.8 %");
    expect(rows[0]).toContain("5.0 %");
    expect(rows[0]).toContain("Pass");
    expect(find("rollout-waiting-for")?.textContent).toContain("Engineer, Data scientist");
    expect(find("rollout-sentence")?.textContent).toBe("fraud v13 passed 50 % and waits for the engineer and data scientist to approve.");
  });

  it("lets only a role the step waits for approve, and asks the engine as that profile with the reason", async () => {
    const pm = card(rolloutView(), { name: "Pia", role: "product_manager" });
    expect((pm.find("rollout-approve") as HTMLButtonElement).disabled, "a product manager is not needed here").toBe(true);
    document.body.innerHTML = "";

    const asked: unknown[] = [];
    const signed = rolloutView({ waiting_for: ["data_scientist"] });
    mockIPC((command, args) => {
      asked.push({ command, args });
      return signed;
    });
    const ada = card(rolloutView(), { name: "Ada", role: "engineer" });
    type(ada.find("rollout-reason") as HTMLInputElement, "latency as v12");
    (ada.find("rollout-approve") as HTMLButtonElement).click();
    await settle();
    expect(asked).toEqual([
      { command: "rollout_act", args: { profile: { name: "Ada", role: "engineer" }, id: 7, action: "approve", reason: "latency as v12" } },
    ]);
    expect(ada.changes).toEqual([signed]);
  });

  it("shows the engine's objection when an action is refused, and no actions without a profile", async () => {
    mockIPC(() => {
      throw { code: "conflict", message: "Going to 100 % needs the sign-off of the engineer and data scientist first.", field: "rollout", detail: null };
    });
    const { find } = card(rolloutView(), { name: "Ada", role: "engineer" });
    (find("rollout-promote") as HTMLButtonElement).click();
    await settle();
    expect(find("rollout-action-error")?.textContent).toContain("needs the sign-off");
    document.body.innerHTML = "";
    const nobody = card(rolloutView(), null);
    expect(nobody.find("rollout-approve")).toBeNull();
    expect(nobody.find("rollout-no-profile")?.textContent).toContain("Choose your profile");
  });
});
