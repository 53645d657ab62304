/**
 * Proxy variables written only in a `.env` file that ccp reads count like the process
 * environment's (which wins over them, as for every other variable): a real `ccp check` shows
 * them and a real `ccp serve` sends hosted upstreams through them, loopback directly.
 */

import assert from "node:assert/strict";
import { childEnv, inTempDir, runCcp, spawnCcp } from "../cli/helpers.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { startMockProxy } from "../mocks/http_proxy.ts";
import { postMessages } from "../helpers/ccp.ts";

const COMPLETION = {
  id: "chatcmpl-1",
  object: "chat.completion",
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
};

function config(upstreamUrl: string): string {
  return `providers:
  home: { type: openai, base_url: "${upstreamUrl}", api_key: sk-home-0123456789 }
  plain: { type: openai, base_url: "http://plain.test/v1", api_key: sk-plain-0123456789 }
  skipped: { type: openai, base_url: "http://skip.test/v1", api_key: sk-skip-0123456789 }
routes:
  default: home/m
`;
}

async function send(
  url: string,
  model: string,
): Promise<{ status: number; body: { content?: { text: string }[] } }> {
  const res = await postMessages(url, {
    model,
    max_tokens: 50,
    messages: [{ role: "user", content: "hi" }],
  });
  return { status: res.status, body: await res.json() };
}

Deno.test("proxy variables in .env: shown by ccp check, used by ccp serve, the process environment's win", async (t) => {
  const upstream = startOpenAIMock({ json: COMPLETION });
  const upstreamPort = Number(new URL(upstream.url).port);
  const fromFile = startMockProxy({ forwardTo: upstreamPort });
  const fromProcess = startMockProxy({ forwardTo: upstreamPort });
  try {
    await inTempDir("ccp_dotenv_proxy_", async (dir) => {
      await Deno.writeTextFile(`${dir}/c.yaml`, config(upstream.url));
      await Deno.writeTextFile(
        `${dir}/.env`,
        `HTTP_PROXY=http://alice:s3cret@127.0.0.1:${fromFile.port}\nNO_PROXY=skip.test\n`,
      );
      // Deno's own upgrade check would go through a proxy (a `deno run` matter, not ccp's).
      const env = childEnv(dir, { DENO_NO_UPDATE_CHECK: "1" });

      await t.step("ccp check shows the proxy from .env, without its password", async () => {
        const check = await runCcp(["check", "--config", "c.yaml"], { cwd: dir, env });
        assert.equal(check.code, 0, check.stderr);
        assert.ok(
          check.stdout.includes(
            `Proxy from the environment: http://127.0.0.1:${fromFile.port} (from HTTP_PROXY in .env); NO_PROXY skip.test\n` +
              "  through it: plain; directly (loopback, local preset or NO_PROXY): home, skipped",
          ),
          check.stdout,
        );
        assert.ok(!check.stdout.includes("s3cret"), check.stdout);
      });

      await t.step("ccp serve sends a hosted upstream through it, loopback directly", async () => {
        const ccp = await spawnCcp(["serve", "--config", "c.yaml", "--port", "0"], {
          cwd: dir,
          env,
        });
        try {
          const [, url] = await ccp.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
          const home = await send(url!, "home/m");
          assert.equal(home.status, 200, JSON.stringify(home.body));
          assert.deepEqual(fromFile.seen, [], "loopback went directly");
          const plain = await send(url!, "plain/m");
          assert.equal(plain.status, 200, JSON.stringify(plain.body));
          assert.deepEqual(fromFile.seen, ["POST http://plain.test/v1/chat/completions HTTP/1.1"]);
          assert.equal(fromFile.authorizations.at(-1), `Basic ${btoa("alice:s3cret")}`);
        } finally {
          await ccp.kill();
        }
      });

      await t.step("a proxy the process environment names wins over the .env file's", async () => {
        const ccp = await spawnCcp(["serve", "--config", "c.yaml", "--port", "0"], {
          cwd: dir,
          // Lower case: the process's own setting wins whatever the spelling of the file's.
          env: { ...env, http_proxy: fromProcess.url },
        });
        try {
          const [, url] = await ccp.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
          const before = fromFile.seen.length;
          const plain = await send(url!, "plain/m");
          assert.equal(plain.status, 200, JSON.stringify(plain.body));
          assert.deepEqual(fromProcess.seen, [
            "POST http://plain.test/v1/chat/completions HTTP/1.1",
          ]);
          assert.equal(fromFile.seen.length, before, "the .env file's proxy saw nothing");
        } finally {
          await ccp.kill();
        }
      });
    });
  } finally {
    await fromFile.close();
    await fromProcess.close();
    await upstream.close();
  }
});
