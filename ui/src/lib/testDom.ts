// Helpers for view tests in jsdom: let a mounted view's awaited calls and effects run out, and
// type into an input as a person would.

import { flushSync, tick } from "svelte";

/** Runs pending effects and settled promises (a few rounds: an answer may start another call). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await tick();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  flushSync();
}

/** Sets an input's value and tells the view, as typing does. */
export function type(input: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}
