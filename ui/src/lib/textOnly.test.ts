// What comes from outside (servers' names, labels, versions, metadata and errors; data files'
// columns and categories) is shown as text, never as markup: no view may use `{@html}`, set
// `innerHTML`/`outerHTML`, call `insertAdjacentHTML`, parse HTML or fill a `srcdoc`, so a string
// from a server can never run as script however it is written. This test fails when one appears
// anywhere in the UI. (tests/tests/hostile_strings_e2e.rs checks the same in the real window.)

import { describe, expect, it } from "vitest";

/** Every source file of the UI but the tests, by path. */
const SOURCES = import.meta.glob<string>(["/src/**/*.ts", "/src/**/*.svelte", "!/src/**/*.test.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
});

/** Ways a string becomes markup. */
const MARKUP =
  /\{@html\b|\.(?:inner|outer)HTML\s*\+?=|insertAdjacentHTML\s*\(|document\.write(?:ln)?\s*\(|createContextualFragment\s*\(|parseFromString\s*\(|setHTMLUnsafe\s*\(|\bsrcdoc\b/;

describe("the UI shows outside strings as text", () => {
  it("has no {@html}, innerHTML, outerHTML, insertAdjacentHTML, document.write, HTML parsing or srcdoc anywhere", () => {
    expect(Object.keys(SOURCES).length).toBeGreaterThan(50);
    const offending = Object.entries(SOURCES)
      .flatMap(([path, source]) => source.split("\n").map((line, i) => [path, i + 1, line] as const))
      .filter(([, , line]) => MARKUP.test(line))
      .map(([path, number, line]) => `${path}:${number}: ${line.trim()}`);
    expect(offending, "render outside strings as text ({value}), never as markup").toEqual([]);
  });
});
