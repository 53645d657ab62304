/**
 * A real `ccp serve` on a machine with HTTP_PROXY / HTTPS_PROXY set (with a user and password),
 * against a mock proxy: a loopback model server is reached directly, a hosted one through the
 * proxy; what the proxy refuses comes back as an Anthropic error that names the proxy and never
 * its password; the connect timeout covers the proxy's tunnel; a provider's own `proxy` is used
 * whatever NO_PROXY says; `ccp health` reaches ccp itself directly.
 */

import assert from "node:assert/strict";
import { childEnv, inTempDir, runCcp, servingConfig } from "../cli/helpers.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { startMockProxy } from "../mocks/http_proxy.ts";
import { closedPort } from "../helpers/ports.ts";
import { startScriptedOpenAI, startWebMock, trailingToolResults } from "../webtools/mocks.ts";
import { post, QUESTION, SEARCH_TOOL } from "../webtools/_loop_env.ts";
import { postMessages } from "../helpers/ccp.ts";

const COMPLETION = {
  id: "chatcmpl-1",
  object: "chat.completion",
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
};

function config(upstreamUrl: string, proxyUrl: string, deadProxyPort: number): string {
  return `providers:
  home:
    type: openai
    base_url: ${upstreamUrl}
    api_key: sk-home-0123456789
  plain:
    type: openai
    base_url: http://plain.test/v1
    api_key: sk-plain-0123456789
  gated:
    type: openai
    base_url: https://gated.test/v1
    api_key: sk-gated-0123456789
    max_retries: 0
  hung:
    type: openai
    base_url: https://hung.test/v1
    api_key: sk-hung-0123456789
    max_retries: 0
    timeouts: { connect: 300ms, first_byte: 20s }
  down:
    type: openai
    base_url: https://down.test/v1
    api_key: sk-down-0123456789
    proxy: http://bob:hunter2@127.0.0.1:${deadProxyPort}
    max_retries: 0
  walled:
    type: openai
    base_url: http://walled.test/v1
    api_key: sk-walled-0123456789
    max_retries: 0
  own:
    type: openai
    base_url: http://own.test/v1
    api_key: sk-own-0123456789
    proxy: ${proxyUrl}
routes:
  default: home/m
`;
}

Deno.test("behind HTTP_PROXY/HTTPS_PROXY: loopback direct, hosted through the proxy, its failures named", async (t) => {
  const upstream = startOpenAIMock({ json: COMPLETION });
  const upstreamPort = Number(new URL(upstream.url).port);
  const proxy = startMockProxy({
    forwardTo: upstreamPort,
    connect: (authority) => authority.startsWith("hung.test") ? "hang" : 407,
    refuse: (url) => url.startsWith("http://walled.test/") ? 407 : undefined,
  });
  const withCredentials = `http://alice:s3cret@127.0.0.1:${proxy.port}`;
  try {
    await inTempDir("ccp_env_proxy_", async (dir) => {
      const env = childEnv(dir, {
        HTTP_PROXY: withCredentials,
        https_proxy: withCredentials,
        NO_PROXY: "own.test",
        // Deno's own upgrade check would go through the proxy too (a `deno run` matter, not ccp's).
        DENO_NO_UPDATE_CHECK: "1",
      });
      await servingConfig(
        dir,
        config(upstream.url, proxy.url, closedPort()),
        env,
        async (url, ccp) => {
          const send = async (model: string) => {
            const res = await postMessages(url, {
              model,
              max_tokens: 50,
              messages: [{ role: "user", content: "hi" }],
            }, { "anthropic-version": "2023-06-01" });
            return { status: res.status, body: await res.json() };
          };
          const proxied = () => proxy.seen.filter((line) => !line.includes("127.0.0.1"));

          await t.step(
            "a model server on 127.0.0.1 is reached directly, not through HTTP_PROXY",
            async () => {
              const answer = await send("home/m");
              assert.equal(answer.status, 200, JSON.stringify(answer.body));
              assert.equal(answer.body.content[0].text, "hello");
              assert.deepEqual(proxy.seen, [], "the proxy saw nothing");
            },
          );

          await t.step(
            "a hosted http upstream goes through HTTP_PROXY, with its credentials",
            async () => {
              const answer = await send("plain/m");
              assert.equal(answer.status, 200, JSON.stringify(answer.body));
              assert.deepEqual(proxied(), ["POST http://plain.test/v1/chat/completions HTTP/1.1"]);
              assert.equal(proxy.authorizations.at(-1), `Basic ${btoa("alice:s3cret")}`);
            },
          );

          await t.step(
            "a 407 to CONNECT is an Anthropic error naming the proxy and its variable",
            async () => {
              const answer = await send("gated/m");
              assert.equal(answer.status, 502);
              assert.equal(answer.body.type, "error");
              assert.equal(answer.body.error.type, "api_error");
              const message: string = answer.body.error.message;
              assert.match(message, /https:\/\/gated\.test\/v1\/chat\/completions/);
              assert.ok(
                message.includes(`through proxy http://127.0.0.1:${proxy.port} (from https_proxy)`),
                message,
              );
              assert.match(message, /asks for a user and password \(407\)/);
              assert.ok(proxy.seen.includes("CONNECT gated.test:443 HTTP/1.1"));
            },
          );

          await t.step(
            "the connect timeout covers a tunnel the environment's proxy never opens",
            async () => {
              const started = Date.now();
              const answer = await send("hung/m");
              const took = Date.now() - started;
              assert.equal(answer.status, 502, JSON.stringify(answer.body));
              const message: string = answer.body.error.message;
              assert.match(message, /connect timeout/);
              assert.ok(message.includes(`through proxy http://127.0.0.1:${proxy.port}`), message);
              assert.ok(took < 10_000, `left after ${took} ms, not after first_byte`);
            },
          );

          await t.step(
            "a 407 to an http upstream's request is the proxy's, not the upstream's",
            async () => {
              const answer = await send("walled/m");
              assert.equal(answer.status, 502, JSON.stringify(answer.body));
              const message: string = answer.body.error.message;
              assert.ok(
                message.includes(`through proxy http://127.0.0.1:${proxy.port} (from HTTP_PROXY)`),
                message,
              );
              assert.match(message, /asks for a user and password \(407\)/);
            },
          );

          await t.step("a provider's proxy that is down is named as the one refusing", async () => {
            const answer = await send("down/m");
            assert.equal(answer.status, 502);
            const message: string = answer.body.error.message;
            assert.match(message, /through proxy http:\/\/127\.0\.0\.1:\d+: the proxy refused/);
          });

          await t.step(
            "a provider's own proxy is used even where NO_PROXY names its host",
            async () => {
              const answer = await send("own/m");
              assert.equal(answer.status, 200, JSON.stringify(answer.body));
              assert.equal(proxy.seen.at(-1), "POST http://own.test/v1/chat/completions HTTP/1.1");
            },
          );

          await t.step("`ccp health` asks ccp at 127.0.0.1 directly", async () => {
            const port = new URL(url).port;
            const before = proxy.seen.length;
            const health = await runCcp(["health", "--config", "c.yaml", "--port", port], {
              cwd: dir,
              env,
            });
            assert.equal(health.code, 0, health.stderr);
            const second = await runCcp(["serve", "--config", "c.yaml", "--port", port], {
              cwd: dir,
              env,
            });
            assert.match(
              second.stderr,
              /a ccp .*is already running/,
              "the port's holder is asked directly",
            );
            assert.equal(proxy.seen.length, before, "the proxy saw nothing");
          });

          await t.step("no proxy password anywhere ccp writes", () => {
            for (const secret of ["s3cret", "hunter2"]) {
              assert.ok(!ccp.stderr().includes(secret), ccp.stderr());
              assert.ok(!ccp.stdout().includes(secret));
            }
          });
        },
      );
    });
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

Deno.test("behind HTTP_PROXY: web search on a SearXNG at 127.0.0.1 is asked directly", async () => {
  const web = startWebMock();
  const model = startScriptedOpenAI((messages) =>
    trailingToolResults(messages).length === 0
      ? { calls: [{ name: "web_search", args: { query: "moon distance" } }] }
      : { text: "done" }
  );
  const proxy = startMockProxy();
  try {
    await inTempDir("ccp_env_proxy_web_", async (dir) => {
      const yaml = `providers:
  up: { type: openai, base_url: "${model.url}", api_key: sk-up-0123456789 }
routes:
  default: up/m
web_tools:
  search: { provider: searxng, base_url: "${web.url}" }
`;
      const env = childEnv(dir, { HTTP_PROXY: proxy.url, DENO_NO_UPDATE_CHECK: "1" });
      await servingConfig(dir, yaml, env, async (url) => {
        const res = await post(url, { messages: QUESTION, tools: [SEARCH_TOOL] });
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.ok(web.paths.some((p) => p.startsWith("/search?")), "SearXNG was asked");
        assert.deepEqual(proxy.seen, [], "the proxy saw nothing");
      });
    });
  } finally {
    await proxy.close();
    await model.close();
    await web.close();
  }
});

/** A CA and a certificate for api.tls.test signed by it, made with openssl. */
async function testCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const run = async (args: string[]) => {
    const out = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    })
      .output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=ccp-test-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]);
  await run(["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=api.tls.test"]);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=DNS:api.tls.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  await run([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  ]);
  return {
    ca: `${dir}/ca.pem`,
    cert: await Deno.readTextFile(`${dir}/leaf.pem`),
    key: await Deno.readTextFile(`${dir}/leaf.key`),
  };
}

const HAS_OPENSSL = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((out) => out.success, () => false);

Deno.test({
  name: "behind HTTPS_PROXY: a hosted https upstream answers through the tunnel, connect probe too",
  ignore: !HAS_OPENSSL,
  fn: async () => {
    await inTempDir("ccp_env_proxy_tls_", async (dir) => {
      const tls = await testCertificates(dir);
      const upstream = Deno.serve(
        { hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key, onListen: () => {} },
        () => Response.json(COMPLETION),
      );
      const proxy = startMockProxy({ connect: () => ({ tunnelTo: upstream.addr.port }) });
      try {
        const yaml = `providers:
  hosted: { type: openai, base_url: "https://api.tls.test/v1", api_key: sk-tls-0123456789 }
routes:
  default: hosted/m
`;
        const env = childEnv(dir, {
          HTTPS_PROXY: `http://carol:pa55@127.0.0.1:${proxy.port}`,
          // Deno adds this CA to the ones it trusts, for every client ccp makes.
          DENO_CERT: tls.ca,
          DENO_NO_UPDATE_CHECK: "1",
        });
        await servingConfig(dir, yaml, env, async (url) => {
          const res = await postMessages(url, {
            model: "hosted/m",
            max_tokens: 50,
            messages: [{ role: "user", content: "hi" }],
          });
          const body = await res.json();
          assert.equal(res.status, 200, JSON.stringify(body));
          assert.equal(body.content[0].text, "hello");
          // fetch's tunnel, and the connect probe's (which closes it unused).
          assert.deepEqual(proxy.seen, [
            "CONNECT api.tls.test:443 HTTP/1.1",
            "CONNECT api.tls.test:443 HTTP/1.1",
          ]);
          for (const auth of proxy.authorizations) {
            assert.equal(auth, `Basic ${btoa("carol:pa55")}`);
          }
        });
      } finally {
        await proxy.close();
        await upstream.shutdown();
      }
    });
  },
});
