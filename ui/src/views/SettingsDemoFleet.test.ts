import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { Demo } from "../lib/demo.svelte";
import type { DemoStatus } from "../lib/desktopBindings";
import SettingsDemoFleet from "./SettingsDemoFleet.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

const SCENARIOS = ["healthy", "drift", "bad-canary"];
const NAMES = ["churn", "fraud", "pricing"];
const RUNNING: DemoStatus = {
  revision: 2,
  state: "running",
  scenarios: SCENARIOS,
  servers: [
    { name: "fraud", kind: "triton", url: "http://127.0.0.1:17810", models: ["fraud:12", "fraud:13"] },
    { name: "churn", kind: "mlserver", url: "http://127.0.0.1:17811", models: ["churn:v3"] },
    { name: "pricing", kind: "kserve", url: "http://127.0.0.1:17812", models: ["price:v7"] },
  ],
  registered: NAMES,
  error: null,
};
const STOPPED: DemoStatus = { ...RUNNING, revision: 3, state: "stopped", servers: [] };
const REMOVED: DemoStatus = { ...STOPPED, revision: 4, registered: [] };

/** Mounts the section over a demo read from the mocked shell; `answer` answers each command. */
async function mountSection(answer: (command: string) => unknown) {
  const commands: string[] = [];
  mockIPC(
    (command) => {
      commands.push(command);
      return answer(command);
    },
    { shouldMockEvents: true },
  );
  const demo = new Demo();
  await demo.connect();
  const target = document.body.appendChild(document.createElement("div"));
  const view = mount(SettingsDemoFleet, { target, props: { demo } });
  flushSync();
  const find = (css: string) => target.querySelector<HTMLButtonElement>(css);
  const text = (css: string) => find(css)?.textContent?.replace(/\s+/g, " ").trim();
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushSync();
  };
  return { commands, demo, view, find, text, settle };
}

describe("Settings → Demo fleet", () => {
  it("shows the running fleet, stops it, then removes its servers after asking", async () => {
    const answers: Record<string, DemoStatus> = {
      demo_status: RUNNING,
      demo_stop: STOPPED,
      demo_remove_servers: REMOVED,
    };
    const { commands, view, find, text, settle } = await mountSection((command) => answers[command]);

    expect(text('[data-testid="demo-state"]')).toBe("Running");
    expect(text('[data-testid="demo-scenarios"]')).toContain("bad-canary — fraud's canary version 13");
    const rows = [...document.querySelectorAll('[data-testid="demo-server"]')].map((r) => r.textContent);
    expect(rows[0]).toContain("fraud");
    expect(rows[0]).toContain("http://127.0.0.1:17810");
    expect(rows[0]).toContain("fraud:12, fraud:13");
    expect(find('[data-testid="demo-start"]'), "no Start while it runs").toBeNull();

    find('[data-testid="demo-stop"]')!.click();
    await settle();
    expect(text('[data-testid="demo-state"]')).toBe("Stopped");
    expect(text('[data-testid="demo-servers"]')).toBe("churn, fraud, pricing — registered, down while the fleet is stopped");

    find('[data-testid="demo-remove"]')!.click();
    flushSync();
    expect(text('[data-testid="demo-confirm-remove"]')).toContain("Remove churn, fraud, pricing with their history?");
    expect(commands).toEqual(["demo_status", "demo_stop"]);
    find('[data-testid="demo-confirm-remove-yes"]')!.click();
    await settle();
    expect(commands).toEqual(["demo_status", "demo_stop", "demo_remove_servers"]);
    expect(text('[data-testid="demo-servers"]')).toBe("None registered");
    await emit("demo", STOPPED); // told at the stop, heard after the answer
    flushSync();
    expect(text('[data-testid="demo-servers"]'), "an older status is dropped").toBe("None registered");
    expect(find('[data-testid="demo-remove"]')!.disabled, "nothing left to remove").toBe(true);
    expect(find('[data-testid="demo-start"]')!.disabled).toBe(false);
    unmount(view);
  });

  it("says why a start was refused, in the engine's words, and offers Start again", async () => {
    const refusal = "A server named 'churn' is already registered and is not the demo's, so the demo fleet did not start.";
    let refused = false;
    const { find, text, settle, view } = await mountSection((command) => {
      if (command === "demo_start") {
        refused = true;
        throw { code: "conflict", message: refusal, field: "name", detail: null };
      }
      return { ...REMOVED, error: refused ? refusal : null };
    });

    find('[data-testid="demo-start"]')!.click();
    flushSync();
    expect(text('[data-testid="demo-state"]')).toBe("Starting…");
    expect(find('[data-testid="demo-stop"]')!.disabled, "a start cannot be stopped halfway").toBe(true);
    await settle();
    expect(text('[data-testid="demo-error"]'), "said once, though the status says it too").toBe(refusal);
    expect(text('[data-testid="demo-state"]')).toBe("Stopped");
    expect(find('[data-testid="demo-start"]')).not.toBeNull();
    unmount(view);
  });

  it("follows the shell's changes, such as a start at launch (--demo) finishing", async () => {
    const { find, text, view } = await mountSection(() => ({ ...REMOVED, revision: 1, state: "starting" }));
    expect(text('[data-testid="demo-state"]')).toBe("Starting…");

    await emit("demo", RUNNING);
    flushSync();
    expect(text('[data-testid="demo-state"]')).toBe("Running");
    expect(find('[data-testid="demo-stop"]')!.disabled).toBe(false);
    unmount(view);
  });

  it("says plainly that a build without the demo fleet has none, and offers nothing", async () => {
    const absent = "This build of Vigil has no demo fleet: it was built without the `demo` feature.";
    const { find, text, view } = await mountSection(() => {
      throw { code: "not_found", message: absent, field: null, detail: null };
    });

    expect(text('[data-testid="demo-absent"]')).toBe(absent);
    expect(find('[data-testid="demo-error"]'), "not an error").toBeNull();
    expect(find('[data-testid="demo-start"]')).toBeNull();
    expect(find('[data-testid="demo-remove"]')).toBeNull();
    unmount(view);
  });
});
