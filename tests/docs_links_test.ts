/**
 * Every link between ccp's own documents resolves: a `](#anchor)` names a heading of its file, a
 * `](docs/x.md#anchor)` a file that exists and a heading in it. Sections are renamed and moved
 * often; a link left behind lands a reader at the top of the page.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** The files whose links are checked: the README, the changelog and docs/. */
async function documents(): Promise<string[]> {
  const files = ["README.md", "CHANGELOG.md"];
  for await (const entry of Deno.readDir(new URL("docs/", ROOT))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(`docs/${entry.name}`);
  }
  return files.sort();
}

/** The text outside fenced code blocks, one entry per line (inside a block: empty). */
function prose(text: string): string[] {
  let fenced = false;
  return text.split("\n").map((line) => {
    if (line.startsWith("```")) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line;
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replaceAll("`", "");
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "").replaceAll(" ", "-");
}

/** A file's anchors: one per heading (a repeated heading gets -1, -2, …). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const line of prose(text)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  return found;
}

/** Where a link from `from` to `target` (a path relative to it) lands, from the repository root. */
function resolve(from: string, target: string): string {
  return new URL(target, new URL(from, ROOT)).href.slice(ROOT.href.length);
}

Deno.test("every link between ccp's documents names a file and a heading that exist", async () => {
  const files = await documents();
  const texts = new Map<string, string>();
  for (const file of files) texts.set(file, await Deno.readTextFile(new URL(file, ROOT)));
  const broken: string[] = [];
  let checked = 0;
  for (const file of files) {
    prose(texts.get(file)!).forEach((line, index) => {
      for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split("#", 2);
        const into = path ? resolve(file, path) : file;
        checked++;
        let text = texts.get(into);
        if (text === undefined) {
          try {
            text = Deno.readTextFileSync(new URL(into, ROOT));
          } catch {
            broken.push(`${file}:${index + 1}: ${target} (no such file)`);
            continue;
          }
        }
        if (anchor && into.endsWith(".md") && !anchors(text).has(anchor)) {
          broken.push(`${file}:${index + 1}: ${target} (no such heading)`);
        }
      }
    });
  }
  assert.ok(checked >= 40, `found only ${checked} links`);
  assert.deepEqual(broken, []);
});

Deno.test("a heading's anchor is the one GitHub gives it", () => {
  assert.equal(slug("Usage, costs and budgets"), "usage-costs-and-budgets");
  assert.equal(slug("The issues table, round by round"), "the-issues-table-round-by-round");
  assert.equal(slug("`ccp code` — Claude Code"), "ccp-code--claude-code");
  assert.deepEqual(
    [...anchors("# A\n```sh\n# not a heading\n```\n## A\n")],
    ["a", "a-1"],
  );
});

Deno.test("README's Contents links every section after it", async () => {
  const text = await Deno.readTextFile(new URL("README.md", ROOT));
  const lines = prose(text);
  const start = lines.indexOf("## Contents");
  const end = lines.findIndex((line, i) => i > start && line.startsWith("## "));
  const listed = new Set(
    lines.slice(start, end).join(" ").matchAll(/\]\(#([^)]+)\)/g).map((m) => m[1]),
  );
  const sections = lines.slice(end).filter((line) => /^## /.test(line)).map((l) =>
    slug(l.slice(3))
  );
  assert.ok(sections.length >= 10, `found ${sections.length} sections`);
  assert.deepEqual(sections.filter((s) => !listed.has(s)), []);
});
