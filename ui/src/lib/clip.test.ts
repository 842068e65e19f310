import { afterEach, describe, expect, it, vi } from "vitest";
import { clipped, mark } from "./clip";

afterEach(() => {
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

/** A name whose box (jsdom lays nothing out) holds `scroll` px of text in `client` px. */
function name(parent: HTMLElement, text: string, scroll: number, client: number): HTMLElement {
  const node = parent.appendChild(document.createElement("span"));
  node.className = "name-text";
  node.textContent = text;
  Object.defineProperty(node, "scrollHeight", { configurable: true, get: () => scroll });
  Object.defineProperty(node, "clientHeight", { configurable: true, get: () => client });
  return node;
}

describe("a name cut short", () => {
  it("carries its whole text as a tooltip and is reachable by keyboard; a whole one neither", () => {
    const cut = name(document.body, "recsys-ranking-two-tower", 80, 40);
    const whole = name(document.body, "fraud", 20, 20);
    mark(cut);
    mark(whole);
    expect([cut.title, cut.tabIndex]).toEqual(["recsys-ranking-two-tower", 0]);
    expect([whole.hasAttribute("title"), whole.hasAttribute("tabindex")]).toEqual([false, false]);

    // Room to spare after a resize: no tooltip, no tab stop.
    Object.defineProperty(cut, "scrollHeight", { get: () => 40 });
    mark(cut);
    expect([cut.hasAttribute("title"), cut.hasAttribute("tabindex")]).toEqual([false, false]);
  });

  it("in a button takes no focus of its own; the button's focus draws it whole until it leaves", () => {
    let observed: (entries: { target: Element }[]) => void = () => {};
    vi.stubGlobal(
      "ResizeObserver",
      class {
        constructor(callback: typeof observed) {
          observed = callback;
        }
        observe() {}
        unobserve() {}
      },
    );
    const button = document.body.appendChild(document.createElement("button"));
    const inButton = name(button, "a".repeat(300), 80, 40);
    const alone = name(document.body, "b".repeat(300), 80, 40);
    for (const node of [inButton, alone]) clipped(node.textContent!)(node);
    observed([{ target: inButton }, { target: alone }]);
    expect([inButton.title, inButton.hasAttribute("tabindex")]).toEqual(["a".repeat(300), false]);
    expect(alone.tabIndex).toBe(0);

    button.focus();
    expect(inButton.hasAttribute("data-whole")).toBe(true);
    // Drawn whole, its box grows: it keeps its tooltip meanwhile.
    Object.defineProperty(inButton, "scrollHeight", { get: () => 40 });
    observed([{ target: inButton }]);
    expect(inButton.title).toBe("a".repeat(300));
    alone.focus();
    expect([inButton.hasAttribute("data-whole"), alone.hasAttribute("data-whole")]).toEqual([false, true]);
    alone.blur();
    expect(alone.hasAttribute("data-whole")).toBe(false);
  });
});
