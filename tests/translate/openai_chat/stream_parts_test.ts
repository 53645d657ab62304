import assert from "node:assert/strict";
import { JsonCompletionScanner } from "../../../src/translate/openai_chat/json_scanner.ts";
import {
  type ThinkSegment,
  ThinkTagSplitter,
} from "../../../src/translate/reasoning/think_tags.ts";
import { toUpstreamEvent } from "../../../src/translate/openai_chat/events.ts";
import { deltaUsage, readUsage } from "../../../src/translate/openai_chat/usage.ts";
import { nineCharToolId } from "../../../src/translate/openai_chat/quirks.ts";
import { dialectForModel } from "../../../src/translate/openai_chat/dialect.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";

function split(pieces: string[]): ThinkSegment[] {
  const s = new ThinkTagSplitter();
  const out = [...pieces.flatMap((p) => s.push(p)), ...s.flush()];
  // merge neighbours of the same kind to compare content, not chunking
  return out.reduce<ThinkSegment[]>((acc, seg) => {
    const last = acc.at(-1);
    if (last && last.thinking === seg.thinking) last.text += seg.text;
    else acc.push({ ...seg });
    return acc;
  }, []);
}

Deno.test("think tag splitter", async (t) => {
  await t.step("tags split anywhere give the same segments", () => {
    const text = "<think>a < b</think>\n\nAnswer <b>bold</b>";
    const expected = [{ thinking: true, text: "a < b" }, {
      thinking: false,
      text: "Answer <b>bold</b>",
    }];
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        assert.deepEqual(
          split([text.slice(0, i), text.slice(i, j), text.slice(j)]),
          expected,
          `${i},${j}`,
        );
      }
    }
  });
  await t.step("a dangling partial tag at the end is released as text", () => {
    assert.deepEqual(split(["x <th"]), [{ thinking: false, text: "x <th" }]);
  });
  await t.step("plain text passes straight through", () => {
    assert.deepEqual(new ThinkTagSplitter().push("no tags"), [{
      thinking: false,
      text: "no tags",
    }]);
  });
});

Deno.test("JSON completion scanner", async (t) => {
  await t.step("complete only when the top-level value closes, braces in strings ignored", () => {
    const s = new JsonCompletionScanner();
    for (const piece of ['{"a":"}', '\\"{"', ',"b":[1,{"c":2}]']) {
      s.feed(piece);
      assert.equal(s.complete, false);
    }
    s.feed("}");
    assert.equal(s.complete, true);
  });
  await t.step("whitespace and empty input are not complete", () => {
    const s = new JsonCompletionScanner();
    s.feed("  ");
    assert.equal(s.complete, false);
  });
});

Deno.test("upstream event parsing", async (t) => {
  await t.step("[DONE], chunks, malformed data, error objects and error events", () => {
    assert.deepEqual(toUpstreamEvent({ data: "[DONE]" }), { kind: "done" });
    assert.equal(toUpstreamEvent({ data: "" }), null);
    assert.equal(toUpstreamEvent({ data: '{"choices":[]}' })?.kind, "chunk");
    assert.equal(toUpstreamEvent({ data: "{oops" })?.kind, "malformed");
    assert.equal(toUpstreamEvent({ data: "[1,2]" })?.kind, "malformed");
    // `said`: the data as sent, whose words the guards read (a routed provider's 429).
    assert.deepEqual(toUpstreamEvent({ data: '{"error":{"message":"m","code":429}}' }), {
      kind: "error",
      message: "m",
      code: 429,
      said: '{"error":{"message":"m","code":429}}',
    });
    assert.deepEqual(toUpstreamEvent({ event: "error", data: '{"error":{"message":"boom"}}' }), {
      kind: "error",
      message: "boom",
      said: '{"error":{"message":"boom"}}',
    });
    assert.deepEqual(toUpstreamEvent({ event: "error", data: "plain" }), {
      kind: "error",
      message: "plain",
    });
  });
});

Deno.test("usage mapping", async (t) => {
  await t.step(
    "cached tokens leave input_tokens and become cache reads; DeepSeek's field too",
    () => {
      const up = readUsage({
        prompt_tokens: 100,
        completion_tokens: 7,
        prompt_tokens_details: { cached_tokens: 60 },
      });
      const u = deltaUsage({
        localInputTokens: 90,
        upstream: up,
        estimatedOutputTokens: 1,
        reasoningTokensSeparate: false,
        preferLocalInputTokens: false,
      });
      assert.equal(u.input_tokens, 40);
      assert.equal(u.cache_read_input_tokens, 60);
      assert.equal(readUsage({ prompt_tokens: 5, prompt_cache_hit_tokens: 3 })?.cached, 3);
      // Moonshot: cache hits at the top level of usage
      assert.equal(readUsage({ prompt_tokens: 5, cached_tokens: 2 })?.cached, 2);
    },
  );
  await t.step("a prompt read whole from the cache keeps one token as input", () => {
    // Claude Code keeps message_start's estimate when the final input is 0 and adds the cache read.
    const u = deltaUsage({
      localInputTokens: 90,
      upstream: readUsage({ prompt_tokens: 100, prompt_tokens_details: { cached_tokens: 100 } }),
      estimatedOutputTokens: 1,
      reasoningTokensSeparate: false,
      preferLocalInputTokens: false,
    });
    assert.deepEqual([u.input_tokens, u.cache_read_input_tokens], [1, 99]);
  });
  await t.step("reasoning tokens count in output where the provider reports them apart", () => {
    const upstream = readUsage({
      prompt_tokens: 1,
      completion_tokens: 10,
      completion_tokens_details: { reasoning_tokens: 30 },
    });
    const base = {
      localInputTokens: 1,
      upstream,
      estimatedOutputTokens: 0,
      preferLocalInputTokens: false,
    };
    assert.equal(deltaUsage({ ...base, reasoningTokensSeparate: true }).output_tokens, 40);
    assert.equal(deltaUsage({ ...base, reasoningTokensSeparate: false }).output_tokens, 10);
    assert.deepEqual(
      deltaUsage({ ...base, reasoningTokensSeparate: false }).output_tokens_details,
      { thinking_tokens: 30 },
    );
  });
  await t.step("local count when asked or when the upstream is silent", () => {
    const base = { estimatedOutputTokens: 3, reasoningTokensSeparate: false };
    assert.equal(
      deltaUsage({ ...base, localInputTokens: 50, preferLocalInputTokens: false }).input_tokens,
      50,
    );
    assert.equal(
      deltaUsage({ ...base, localInputTokens: 50, preferLocalInputTokens: false }).output_tokens,
      3,
    );
    const upstream = readUsage({ prompt_tokens: 70, completion_tokens: 1 });
    assert.equal(
      deltaUsage({ ...base, upstream, localInputTokens: 50, preferLocalInputTokens: true })
        .input_tokens,
      50,
    );
  });
});

Deno.test("dialect lookup and model patches", async (t) => {
  await t.step("model patches apply by substring, later patches win", () => {
    assert.equal(
      dialectForModel(OPENAI_DIALECTS.groq, "openai/gpt-oss-120b").maxOutputTokens,
      65536,
    );
    assert.equal(dialectForModel(OPENAI_DIALECTS.groq, "some-new-model").maxOutputTokens, 8192);
    const grok43 = dialectForModel(OPENAI_DIALECTS.xai, "grok-4.3");
    assert.deepEqual(grok43.quirks, ["drop_stop"]);
    assert.equal(grok43.reasoningSwitch.kind, "reasoning_effort");
  });
  await t.step("Mistral ids: 9 alphanumerics, stable, valid ids kept", () => {
    assert.match(nineCharToolId("toolu_01XYZ"), /^[A-Za-z0-9]{9}$/);
    assert.equal(nineCharToolId("toolu_01XYZ"), nineCharToolId("toolu_01XYZ"));
    assert.notEqual(nineCharToolId("toolu_a"), nineCharToolId("toolu_b"));
    assert.equal(nineCharToolId("abcDEF123"), "abcDEF123");
  });
});
