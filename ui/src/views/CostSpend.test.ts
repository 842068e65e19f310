import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { costReport } from "../lib/costFixtures";
import CostSpend from "./CostSpend.svelte";

afterEach(() => {
  document.body.innerHTML = "";
});

describe("CostSpend", () => {
  it("draws a fleet's hundreds of models a page at a time, every one reachable", () => {
    const [model] = costReport().models;
    const models = Array.from({ length: 230 }, (_, i) => ({ ...model, model: `model-${i}` }));
    const target = document.body.appendChild(document.createElement("div"));
    const view = mount(CostSpend, { target, props: { report: costReport({ models }) } });
    const rows = () => [...target.querySelectorAll('[data-testid="cost-model-row"]')].map((r) => r.getAttribute("data-key"));
    const more = () => target.querySelector<HTMLButtonElement>('[data-testid="cost-models-more"]');
    expect(rows()).toHaveLength(100);
    expect(more()!.textContent!.trim()).toBe("Show 100 more of 130 not drawn yet");
    more()!.click();
    flushSync();
    expect(more()!.textContent!.trim()).toBe("Show 30 more of 30 not drawn yet");
    more()!.click();
    flushSync();
    expect(rows()).toHaveLength(230);
    expect(rows().at(-1)).toBe(`${model.server}/model-229`);
    expect(more()).toBeNull();
    unmount(view);
  });
});
