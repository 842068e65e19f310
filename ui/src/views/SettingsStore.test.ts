import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { settle } from "../lib/testDom";
import SettingsStore from "./SettingsStore.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

async function type(target: HTMLElement, testid: string, text: string) {
  const input = target.querySelector<HTMLInputElement>(`[data-testid="${testid}-input"]`)!;
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await settle();
}

describe("SettingsStore", () => {
  it("shows the file in use, refuses a store that does not answer with the database's words, and restarts on one that does", async () => {
    const asked: unknown[] = [];
    mockIPC((command, args) => {
      if (command === "store_settings") return { current: "/home/ada/.local/share/vigil/vigil.db", team: false, saved: null, chosen_elsewhere: null };
      if (command !== "store_choose") return null;
      asked.push(args);
      const choice = (args as { choice: { db: string } }).choice;
      if (choice.db.includes("5433"))
        throw { code: "invalid_input", message: "Vigil could not connect to the team database postgres://ada@127.0.0.1:5433/vigil: error communicating with database: Connection refused (os error 111).", field: null, detail: null };
      if (choice.db.includes(":secret@")) throw { code: "invalid_input", message: "Do not write the database password in the URL.", field: "db", detail: null };
      return { current: choice.db, team: true, saved: choice, chosen_elsewhere: null };
    });
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(SettingsStore, { target });
    await settle();
    expect(target.querySelector('[data-testid="store-current"]')!.textContent).toBe("/home/ada/.local/share/vigil/vigil.db");
    expect(target.textContent).toContain("keeps its data in this computer's file");
    expect(target.querySelector('[data-testid="store-use-file"]')).toBeNull();

    await type(target, "store-db", "postgres://ada:secret@db/vigil");
    target.querySelector<HTMLButtonElement>('[data-testid="store-use-team"]')!.click();
    await settle();
    expect(target.querySelector('[data-testid="store-db-error"]')!.textContent).toBe("Do not write the database password in the URL.");

    await type(target, "store-db", "postgres://ada@127.0.0.1:5433/vigil");
    await type(target, "store-password", "keyring:vigil-team");
    target.querySelector<HTMLButtonElement>('[data-testid="store-use-team"]')!.click();
    await settle();
    expect(target.querySelector('[data-testid="store-error"]')!.textContent).toContain("Connection refused");
    expect(target.querySelector('[data-testid="store-restarting"]')).toBeNull();

    await type(target, "store-db", "postgres://ada@127.0.0.1:5432/vigil");
    target.querySelector<HTMLButtonElement>('[data-testid="store-use-team"]')!.click();
    await settle();
    expect(asked.at(-1)).toEqual({ choice: { db: "postgres://ada@127.0.0.1:5432/vigil", db_password: "keyring:vigil-team" } });
    expect(target.querySelector('[data-testid="store-restarting"]')).not.toBeNull();
    expect(target.querySelector('[data-testid="store-error"]')).toBeNull();
    unmount(view);
  });

  it("says a store given at start comes first, and goes back to the file when asked", async () => {
    const asked: unknown[] = [];
    mockIPC((command, args) => {
      const settings = { current: "postgres://ada@db/vigil", team: true, saved: null, chosen_elsewhere: "--db" };
      if (command === "store_choose") asked.push(args);
      return command.startsWith("store_") ? settings : null;
    });
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(SettingsStore, { target });
    await settle();
    expect(target.textContent).toContain("reads and acts on the team store");
    target.querySelector<HTMLButtonElement>('[data-testid="store-use-file"]')!.click();
    await settle();
    expect(asked).toEqual([{ choice: null }]);
    expect(target.querySelector('[data-testid="store-elsewhere"]')!.textContent).toContain("--db");
    expect(target.querySelector('[data-testid="store-restarting"]')).toBeNull();
    unmount(view);
  });

  it("backs the file up to the file chosen, and restores a backup only once asked twice, then restarts", async () => {
    const asked: { command: string; args: unknown }[] = [];
    mockIPC((command, args) => {
      asked.push({ command, args });
      if (command === "store_settings") return { current: "/home/ada/vigil.db", team: false, saved: null, chosen_elsewhere: null };
      if (command === "plugin:dialog|save") return "/home/ada/monday.db";
      if (command === "plugin:dialog|open") return "/home/ada/monday.db";
      if (command === "store_backup") return { file: "/home/ada/monday.db", bytes: 81920, rows: 1234, audit_entries: 7 };
      if (command === "store_restore")
        return { tables: [["servers", 3], ["audit_log", 7]], audit: { entries: 7, first_broken: null } };
      return null;
    });
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(SettingsStore, { target });
    await settle();
    target.querySelector<HTMLButtonElement>('[data-testid="store-backup"]')!.click();
    await settle();
    expect(asked.find((a) => a.command === "store_backup")!.args).toEqual({ path: "/home/ada/monday.db" });
    expect(target.querySelector('[data-testid="store-copy-done"]')!.textContent).toContain("audit trail of 7 entries verified");

    target.querySelector<HTMLButtonElement>('[data-testid="store-restore"]')!.click();
    await settle();
    expect(target.querySelector('[data-testid="store-restore-confirm"]')!.textContent).toContain("/home/ada/monday.db");
    expect(asked.some((a) => a.command === "store_restore")).toBe(false);
    target.querySelector<HTMLButtonElement>('[data-testid="store-restore-yes"]')!.click();
    await settle();
    expect(asked.find((a) => a.command === "store_restore")!.args).toEqual({ path: "/home/ada/monday.db" });
    expect(target.querySelector('[data-testid="store-copy-done"]')!.textContent).toContain("Restored 10 rows");
    expect(target.querySelector('[data-testid="store-restarting"]')).not.toBeNull();
    unmount(view);
  });
});
