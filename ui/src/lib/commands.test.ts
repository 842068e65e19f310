// The UI calls exactly the commands the shell declares: each name it passes to `call` or
// `invoke` anywhere in ui/src is on the shell's command list (src-tauri/src/command_list.rs,
// generated into COMMANDS), and each command on the list is called somewhere.

import { describe, expect, it } from "vitest";
import { COMMANDS } from "./desktopBindings";

/** Every source file of the UI but the tests, by path. */
const SOURCES = import.meta.glob<string>(["/src/**/*.ts", "/src/**/*.svelte", "!/src/**/*.test.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
});

/** A call of `call` or `invoke` (with or without a type argument) whose first argument is a string literal. */
const CALL = /\b(?:call|invoke)\s*(?:<.*?>)?\(\s*["'`]([^"'`]+)["'`]/g;

/** The command names the UI calls, each with the files that call it. */
function calledCommands(): Map<string, string[]> {
  const called = new Map<string, string[]>();
  for (const [path, source] of Object.entries(SOURCES)) {
    for (const [, name] of source.matchAll(CALL)) called.set(name, [...(called.get(name) ?? []), path]);
  }
  return called;
}

describe("the UI's commands", () => {
  it("calls only commands the shell declares", () => {
    const declared = new Set<string>(COMMANDS);
    const undeclared = [...calledCommands()].filter(([name]) => !declared.has(name));
    expect(undeclared, "commands called by the UI that src-tauri/src/command_list.rs does not declare").toEqual([]);
  });

  it("calls every command the shell declares", () => {
    const called = calledCommands();
    const unused = COMMANDS.filter((name) => !called.has(name));
    expect(unused, "commands declared in src-tauri/src/command_list.rs that the UI never calls").toEqual([]);
  });

  it("invokes Tauri only through lib/api.ts, whose calls name their command", () => {
    const invoking = Object.entries(SOURCES)
      .filter(([, source]) => /\binvoke\b/.test(source))
      .map(([path]) => path);
    expect(invoking).toEqual(["/src/lib/api.ts"]);
  });
});
