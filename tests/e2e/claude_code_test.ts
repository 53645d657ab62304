/**
 * Drives the real Claude Code CLI (`claude -p`) through ccp against a scripted upstream, once per
 * wire protocol. Skipped when `claude` is not installed (npm i -g @anthropic-ai/claude-code).
 */

import assert from "node:assert/strict";
import { startScriptedModel } from "../mocks/scripted_model.ts";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { countRequestTokensAsync } from "../../src/tokens/mod.ts";

const claude = await findClaude();

async function findClaude(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("claude", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? "claude" : undefined;
  } catch {
    return undefined;
  }
}

for (const type of ["anthropic", "openai", "openai_responses"] as const) {
  Deno.test({
    name: `real Claude Code writes a file through ccp (${type} upstream)`,
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const work = await Deno.makeTempDir({ prefix: "ccp-e2e-" });
      const home = await Deno.makeTempDir({ prefix: "ccp-home-" });
      const target = `${work}/hello.txt`;
      const model = startScriptedModel(target);
      const ccp = startCcp(
        testConfig({
          providers: [
            provider("up", {
              type,
              baseUrl: type === "anthropic" ? model.url : `${model.url}/v1`,
              authHeader: "bearer",
            }),
          ],
          routes: { default: "up/scripted-model" },
          authToken: "e2e-token",
        }),
        { countTokens: (body) => countRequestTokensAsync(body) },
      );
      try {
        const env = {
          PATH: Deno.env.get("PATH") ?? "",
          HOME: home,
          ANTHROPIC_BASE_URL: ccp.url,
          ANTHROPIC_AUTH_TOKEN: "e2e-token",
          DISABLE_TELEMETRY: "1",
          DISABLE_AUTOUPDATER: "1",
          DISABLE_ERROR_REPORTING: "1",
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
          CLAUDE_CODE_MAX_RETRIES: "0",
        };
        const child = new Deno.Command(claude!, {
          args: [
            "-p",
            `Write "hello from ccp" into ${target}`,
            "--output-format",
            "stream-json",
            "--verbose",
            "--permission-mode",
            "acceptEdits",
            "--allowedTools",
            "Bash",
            "Write",
            "Edit",
            "Read",
          ],
          cwd: work,
          env,
          clearEnv: true,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(90_000),
        });
        const out = await child.output();
        const stdout = new TextDecoder().decode(out.stdout);
        const result = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((e) =>
          e.type === "result"
        );
        assert.ok(
          result,
          `no result line:\n${stdout}\n${new TextDecoder().decode(out.stderr)}\n${
            ccp.logs.join("")
          }`,
        );
        assert.equal(result.is_error, false, JSON.stringify(result));
        assert.equal(result.result, "Done: wrote the file.");
        assert.equal(await Deno.readTextFile(target), "hello from ccp\n");
        assert.equal(model.bodies.length, 2, "one upstream request per agent turn");
        if (type === "openai_responses") {
          // Claude Code sent the thinking block back; its signature carried the encrypted reasoning.
          const input = model.bodies[1]!.input as Array<Record<string, unknown>>;
          const reasoning = input.find((item) => item.type === "reasoning");
          assert.equal(reasoning?.encrypted_content, "gAAAA-scripted", JSON.stringify(input));
        }
        assert.ok(ccp.logs.every((l) => !l.includes("e2e-token")), "token never logged");
      } finally {
        await ccp.close();
        await model.close();
        await Deno.remove(work, { recursive: true }).catch(() => {});
        await Deno.remove(home, { recursive: true }).catch(() => {});
      }
    },
  });
}
