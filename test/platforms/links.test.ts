// Every relative link in architectures/*.md points at a file or folder of the repository.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { documents, ROOT } from "./diagrams.js";

/** Markdown link targets (inline links), without those to the web or to an anchor of the same page. */
export function relativeLinks(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1])
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith("#"));
}

describe("architectures/ links", () => {
  it("finds links and skips web links, anchors and code", () => {
    expect(relativeLinks("[a](../lib/x.ts) [b](https://azure.com) [c](#top) `[d](nope.md)` [e](svg/y.svg#z)")).toEqual(["../lib/x.ts", "svg/y.svg#z"]);
  });

  it.each(documents().map((d) => [path.basename(d), d]))("%s: every relative link resolves inside the repository", (_name, doc) => {
    const links = relativeLinks(readFileSync(doc, "utf8"));
    const broken = links.filter((l) => {
      const target = path.resolve(path.dirname(doc), decodeURI(l.split("#")[0]));
      return !target.startsWith(ROOT + path.sep) || !existsSync(target);
    });
    expect(broken).toEqual([]);
  });
});
