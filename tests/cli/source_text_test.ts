/**
 * ccp's modules are Latin-1 text. V8 keeps each loaded module's text for as long as the process
 * runs (Deno hands it the emitted JavaScript with an inline source map, ~3× the file), one byte
 * per character when every character is below U+0100 and two bytes for all of it otherwise: one
 * arrow in a comment doubled the memory of the whole module. Comments use ASCII (`->`, `...`,
 * `--`); strings and patterns that need other characters write them as `\u` escapes, which give
 * the same values at run time.
 */

import assert from "node:assert/strict";

const SRC = new URL("../../src/", import.meta.url);

/** `path:line: U+XXXX` for each character above U+00FF in the modules under `dir`. */
export async function wideCharacters(dir: URL, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      found.push(
        ...await wideCharacters(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`),
      );
      continue;
    }
    if (!/\.(ts|js)$/.test(entry.name)) continue;
    const lines = (await Deno.readTextFile(new URL(entry.name, dir))).split("\n");
    lines.forEach((line, index) => {
      for (const char of line) {
        const code = char.codePointAt(0)!;
        if (code > 0xff) {
          const hex = code.toString(16).toUpperCase().padStart(4, "0");
          found.push(`${prefix}${entry.name}:${index + 1}: U+${hex}`);
        }
      }
    });
  }
  return found;
}

Deno.test("every module under src/ is Latin-1 text, so V8 holds it at one byte a character", async () => {
  const found = await wideCharacters(SRC);
  assert.deepEqual(
    found,
    [],
    `characters above U+00FF (write them as \\u escapes):\n${found.join("\n")}`,
  );
});

Deno.test("the check sees a character above U+00FF in a comment", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/a.ts`, "// a → b\nexport const x = 'é×µ';\n");
    await Deno.writeTextFile(`${dir}/b.ts`, "export const y = '\\u2192';\n");
    await Deno.writeTextFile(`${dir}/notes.md`, "→\n");
    assert.deepEqual(await wideCharacters(new URL(`file://${dir}/`)), ["sub/a.ts:1: U+2192"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
