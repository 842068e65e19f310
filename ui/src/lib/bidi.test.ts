import { describe, expect, it } from "vitest";
import { hasDirectionalControls, isolate, isolating } from "./bidi";

const RLO = "\u202E";
const PDF = "\u202C";
const RLI = "\u2067";
const FSI = "\u2068";
const PDI = "\u2069";

/**
 * What stays open at the end of `text` under Unicode's bidirectional algorithm (UAX #9, X1–X8):
 * "e" for an embedding or override, "i" for an isolate.
 */
function leftOpen(text: string): string[] {
  const stack: string[] = [];
  for (const c of text) {
    if ("\u202A\u202B\u202D\u202E".includes(c)) stack.push("e");
    else if ("\u2066\u2067\u2068".includes(c)) stack.push("i");
    else if (c === PDF && stack.at(-1) === "e") stack.pop();
    else if (c === PDI && stack.includes("i")) stack.length = stack.lastIndexOf("i");
  }
  return stack;
}

describe("isolate", () => {
  it("leaves a name without directional controls exactly as it is", () => {
    for (const name of ["fraud", "v12", "<img src=x onerror=alert(1)>", "👩‍👩‍👧 a\u200Bb", "مدل", ""]) {
      expect(isolate(name)).toBe(name);
      expect(hasDirectionalControls(name)).toBe(false);
    }
  });

  it("puts a name with an override inside an isolate that ends everything it opened", () => {
    const name = `evil${RLO}exe.txt`;
    expect(isolate(name)).toBe(`${FSI}${name}${PDF}${PDI}`);
    expect(leftOpen(`${isolate(name)} is degraded`)).toEqual([]);
    expect(leftOpen(`${name} is degraded`)).toEqual(["e"]);
  });

  it("closes isolates the name leaves open, and stray ends cannot close the isolate around it", () => {
    expect(isolate(`a${RLI}${RLO}b${RLI}c`)).toBe(`${FSI}a${RLI}${RLO}b${RLI}c${PDI}${PDF}${PDI}${PDI}`);
    expect(leftOpen(isolate(`a${RLI}${RLI}b`))).toEqual([]);
    const stray = `a${PDI}${RLO}b`;
    const shown = isolate(stray);
    expect(shown).toBe(`${FSI}${FSI}${stray}${PDF}${PDI}`);
    expect(leftOpen(shown)).toEqual([]);
    // The override starts inside the isolate: the stray PDI ended the extra one, not it.
    expect(leftOpen(shown.slice(0, shown.indexOf(RLO) + 1))).toEqual(["i", "e"]);
  });

  it("leaves a name already isolated whole as it is, but not one whose isolate ends early", () => {
    for (const name of [`evil${RLO}exe.txt`, `a${RLI}${RLO}b${RLI}c`, `a${PDI}${RLO}b`]) {
      expect(isolate(isolate(name))).toBe(isolate(name));
    }
    const endsEarly = `${FSI}a${PDI}${RLO}b${PDI}`;
    expect(isolate(endsEarly)).not.toBe(endsEarly);
    expect(leftOpen(`${isolate(endsEarly)} is degraded`)).toEqual([]);
  });
});

describe("isolating", () => {
  const model = `<img src=x>${RLO}gnp.exe`;
  const version = `13${RLO}`;

  it("isolates each name in a sentence, and nothing else", () => {
    const sentence = `${model} ${version} passed 50 % and waits for the engineer to approve.`;
    const shown = isolating(sentence, [model, version, "fraud", null]);
    expect(shown).toBe(`${isolate(model)} ${isolate(version)} passed 50 % and waits for the engineer to approve.`);
    expect(leftOpen(shown)).toEqual([]);
    expect(shown.replace(/[\u202C\u2068\u2069]/g, ""), "the sentence itself is unchanged").toBe(sentence);
  });

  it("leaves a sentence whose names are plain as it is", () => {
    const sentence = "fraud on a is healthy (3.0 requests a second).";
    expect(isolating(sentence, ["fraud", "a"])).toBe(sentence);
  });

  it("matches the longest name first and takes names with regular-expression characters literally", () => {
    const short = `x${RLO}`;
    const long = `(x${RLO}+y)`;
    expect(isolating(`${long} and ${short}`, [short, long])).toBe(`${isolate(long)} and ${isolate(short)}`);
  });
});
