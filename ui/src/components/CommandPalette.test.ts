import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { modelOverview, server } from "../lib/fixtures";
import { paletteEntries, type PaletteEntry } from "../lib/palette";
import { type } from "../lib/testDom";
import CommandPalette from "./CommandPalette.svelte";

afterEach(() => {
  document.body.innerHTML = "";
});

const entries = paletteEntries(
  [modelOverview(), modelOverview({ server: "churn-prod", model: "churn" }), modelOverview({ server: "churn-prod", model: "churn-eu" })],
  [server(), server({ id: 2, name: "churn-prod" })],
);

function palette() {
  const opener = document.body.appendChild(document.createElement("button"));
  opener.focus();
  const chosen: PaletteEntry[] = [];
  let closed = 0;
  const target = document.body.appendChild(document.createElement("div"));
  const component = mount(CommandPalette, {
    target,
    props: { entries, onchoose: (e: PaletteEntry) => chosen.push(e), onclose: () => closed++ },
  });
  flushSync();
  const input = target.querySelector<HTMLInputElement>('[data-testid="palette-input"]')!;
  const key = (key: string) => {
    input.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
    flushSync();
  };
  const shown = () => [...target.querySelectorAll('[data-testid="palette-entry"]')].map((li) => li.getAttribute("data-id"));
  const selected = () => target.querySelector('[aria-selected="true"]')?.getAttribute("data-id");
  return { opener, component, input, key, shown, selected, chosen, closed: () => closed };
}

describe("CommandPalette", () => {
  it("takes the focus, narrows as one types, and Enter chooses the first match", () => {
    const p = palette();
    expect(document.activeElement).toBe(p.input);
    type(p.input, "churn");
    flushSync();
    expect(p.shown()).toEqual(["model:churn-prod/churn", "model:churn-prod/churn-eu", "server:churn-prod"]);
    expect(p.input.getAttribute("aria-activedescendant")).toBe("palette-model:churn-prod/churn");
    p.key("Enter");
    expect(p.chosen.map((e) => e.id)).toEqual(["model:churn-prod/churn"]);
  });

  it("moves with the arrow keys, wrapping at either end, and says so to screen readers", () => {
    const p = palette();
    type(p.input, "churn");
    flushSync();
    p.key("ArrowDown");
    expect(p.selected()).toBe("model:churn-prod/churn-eu");
    p.key("ArrowDown");
    p.key("ArrowDown");
    expect(p.selected()).toBe("model:churn-prod/churn");
    p.key("ArrowUp");
    expect(p.selected()).toBe("server:churn-prod");
    expect(p.input.getAttribute("aria-activedescendant")).toBe("palette-server:churn-prod");
    p.key("Enter");
    expect(p.chosen.map((e) => e.target)).toEqual([{ kind: "server", server: "churn-prod" }]);
  });

  it("keeps the focus in its field on Tab, as a modal dialog does", () => {
    const p = palette();
    const tab = new KeyboardEvent("keydown", { key: "Tab", bubbles: true, cancelable: true });
    p.input.dispatchEvent(tab);
    expect(tab.defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(p.input);
  });

  it("says when nothing matches, and Enter then does nothing", () => {
    const p = palette();
    type(p.input, "zzz");
    flushSync();
    expect(p.shown()).toEqual([]);
    expect(document.querySelector('[data-testid="palette-none"]')?.textContent).toContain("Nothing matches “zzz”");
    p.key("Enter");
    expect(p.chosen).toEqual([]);
  });

  it("closes on Escape without letting the key reach the view beneath, and gives the focus back", () => {
    const p = palette();
    let reachedWindow = 0;
    const listener = () => reachedWindow++;
    window.addEventListener("keydown", listener);
    p.key("Escape");
    window.removeEventListener("keydown", listener);
    expect(p.closed()).toBe(1);
    expect(reachedWindow).toBe(0);
    unmount(p.component);
    expect(document.activeElement).toBe(p.opener);
  });
});
