/**
 * `/compact <instructions>` in the real, interactive Claude Code (driven in tmux) through ccp on
 * Gemini (behind the strict request check of tests/mocks/gemini_strict.ts), after a thinking
 * turn with Bash and Write calls: the summarisation request carries the whole history, its
 * signatures intact, and the user's instructions; Claude Code takes the summary, and the next
 * prompt starts from it in a request Gemini accepts. Skipped without `claude` or `tmux`.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import {
  screen,
  startClaudeTui,
  tmuxAndClaude,
  tuiPlace,
  typeLine,
  waitForScreen,
} from "../helpers/tmux.ts";
import {
  MOCK_GEMINI_SIGNATURE,
  startCompactingModel,
  SUMMARY_MARKER,
  SUMMARY_REQUEST,
} from "../mocks/compacting_model.ts";

const tui = await tmuxAndClaude();

type Obj = Record<string, unknown>;

const INSTRUCTIONS = "Keep only the file names (COMPACT-NOTE-3b)";

const texts = (content: Obj) =>
  (content.parts as Obj[]).flatMap((p) => typeof p.text === "string" ? [p.text] : []).join("\n");

/** The signatures on the model's function calls in a Gemini request, in order. */
const signatures = (body: Obj) =>
  (body.contents as Obj[]).filter((c) => c.role === "model").flatMap((c) => c.parts as Obj[])
    .filter((p) => p.functionCall).map((p) => p.thoughtSignature);

Deno.test({
  name: "Claude Code TUI through ccp on Gemini: /compact with instructions after a thinking " +
    "turn with tools; the instructions reach the summary request, the next turn starts from it",
  ignore: !tui,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const place = await tuiPlace("ccp-compact-gemini");
    const { work, session } = place;
    await Deno.mkdir(`${work}/.claude`);
    await Deno.writeTextFile(
      `${work}/.claude/settings.json`,
      JSON.stringify({ permissions: { allow: ["Bash(echo hi)"] } }),
    );
    const mock = startCompactingModel(work);
    const ccp = await startGuardedCcp(testConfig({
      providers: [
        provider("up", {
          type: "gemini",
          baseUrl: mock.url,
          authHeader: "x-goog-api-key",
          apiKeys: ["e2e-gemini-key"],
          maxRetries: 0,
        }),
      ],
      routes: { default: "up/gemini-3.8-flash" },
    }));
    try {
      const env = { CLAUDE_CODE_MAX_RETRIES: "0" };
      await startClaudeTui(place, ccp.url, env, ["--permission-mode", "acceptEdits"]);

      // A thinking turn with Bash and Write, then /compact with instructions.
      await typeLine(session, "run echo hi and write notes");
      await waitForScreen(session, /Answer 3\./, 15_000);
      assert.equal(await Deno.readTextFile(`${work}/notes.txt`), "notes\n");
      await typeLine(session, `/compact ${INSTRUCTIONS}`);
      await waitForScreen(session, /Compacted/, 15_000);
      assert.equal(mock.bodies.length, 4, JSON.stringify(mock.refusals));
      const summary = mock.bodies[3]!;
      const asked = texts((summary.contents as Obj[]).at(-1)!);
      assert.ok(asked.includes(SUMMARY_REQUEST), asked.slice(0, 300));
      assert.ok(asked.includes(INSTRUCTIONS), asked.slice(-600));
      // The history went whole, each call with the signature it came with.
      assert.ok(JSON.stringify(summary.contents).includes("run echo hi and write notes"));
      assert.deepEqual(signatures(summary), [MOCK_GEMINI_SIGNATURE, MOCK_GEMINI_SIGNATURE]);

      await typeLine(session, "second prompt");
      await waitForScreen(session, /Answer 5\./, 15_000);
      const next = mock.bodies[4]!;
      const first = (next.contents as Obj[])[0]!;
      assert.match(texts(first), /continued from a previous conversation/);
      assert.ok(texts(first).includes(SUMMARY_MARKER), texts(first));
      assert.ok(texts((next.contents as Obj[]).at(-1)!).includes("second prompt"));
      assert.deepEqual(mock.refusals, []);
      assert.doesNotMatch(await screen(session), /API Error|rror:/);
    } finally {
      await place.close();
      await ccp.close();
      await mock.close();
    }
  },
});
