// Names cut short by their room (components/Name.svelte). One observer watches every such name
// and, each time a name's box changes size, says whether the name is cut: a cut name carries its
// whole text as a tooltip and — when nothing around it takes the keyboard's focus — takes it
// itself, so that a keyboard can reach it. While a name, or the button or link it sits in, has
// the focus, it is marked to be drawn whole (`data-whole`); focus events mark it rather than the
// `:focus` selector, which a window without the system's focus never matches.

import type { Attachment } from "svelte/attachments";

/** What takes the keyboard's focus by itself. */
const FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";
const NAME = ".name-text";

let observer: ResizeObserver | undefined;

/** Whether `node`'s text runs past its box (more lines than it may draw, or wider than it). */
export function isCut(node: HTMLElement): boolean {
  return node.scrollHeight > node.clientHeight + 1 || node.scrollWidth > node.clientWidth + 1;
}

/** Marks `node` as cut or whole: its tooltip, and whether the keyboard can reach it. */
export function mark(node: HTMLElement): void {
  // Drawn whole while focused: it keeps what it had when it was cut.
  if (node.hasAttribute("data-whole")) return;
  const cut = isCut(node);
  if (cut) node.title = node.textContent ?? "";
  else node.removeAttribute("title");
  if (node.parentElement?.closest(FOCUSABLE)) return;
  if (cut) node.tabIndex = 0;
  else node.removeAttribute("tabindex");
}

/** The names that focus on `target` draws whole: itself when it is one, those in it when it is
 * a button or link (not a whole region that takes the focus). */
function namesIn(target: EventTarget | null): HTMLElement[] {
  if (!(target instanceof HTMLElement)) return [];
  if (target.matches(NAME)) return [target];
  return target.matches("a, button") ? [...target.querySelectorAll<HTMLElement>(NAME)] : [];
}

function watchFocus() {
  document.addEventListener("focusin", (event) => namesIn(event.target).forEach((name) => name.setAttribute("data-whole", "")));
  document.addEventListener("focusout", (event) => namesIn(event.target).forEach((name) => name.removeAttribute("data-whole")));
}

/** Watches a name's box (`text` only makes the attachment run again when the name changes). */
export function clipped(text: string): Attachment<HTMLElement> {
  void text;
  return (node) => {
    if (typeof ResizeObserver === "undefined") return;
    if (!observer) {
      observer = new ResizeObserver((entries) => entries.forEach((entry) => mark(entry.target as HTMLElement)));
      watchFocus();
    }
    observer.observe(node);
    return () => observer?.unobserve(node);
  };
}
