/** `ccp check` says which providers go through a proxy from the environment, and which do not. */

import assert from "node:assert/strict";
import { runCheck } from "../../src/cli/check.ts";
import { inTempDir, testContext } from "./helpers.ts";

const CONFIG = `providers:
  home: { type: openai, base_url: "http://127.0.0.1:8000/v1", api_key: sk-home-0123456789 }
  lan: { preset: ollama, base_url: "http://192.168.1.20:11434/v1" }
  nim: { preset: nvidia_nim, api_key: nvapi-0123456789abcdef }
  intra: { type: openai, base_url: "https://llm.corp.test/v1", api_key: sk-intra-0123456789 }
  own: { type: openai, base_url: "https://api.own.test/v1", api_key: sk-own-0123456789, proxy: "http://other:8080" }
routes:
  default: home/m
`;

Deno.test("ccp check: the environment's proxy, its source without password, and who goes through it", async () => {
  await inTempDir("ccp_check_proxy_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, CONFIG);
    const ctx = testContext(dir, {
      env: {
        XDG_CONFIG_HOME: `${dir}/xdg`,
        HTTPS_PROXY: "http://alice:s3cret@proxy.corp.test:3128",
        no_proxy: ".corp.test",
      },
    });
    assert.equal(await runCheck(ctx, { config: "c.yaml" }), 0);
    const out = ctx.io.stdout.join("\n");
    assert.match(
      out,
      /Proxy from the environment: http:\/\/proxy\.corp\.test:3128 \(from HTTPS_PROXY\); NO_PROXY \.corp\.test\n {2}through it: nim; directly \(loopback, local preset or NO_PROXY\): home, lan, intra; own proxy: own/,
    );
    assert.doesNotMatch(out, /s3cret|alice/);

    const plain = testContext(dir);
    assert.equal(await runCheck(plain, { config: "c.yaml" }), 0);
    assert.doesNotMatch(plain.io.stdout.join("\n"), /Proxy from the environment/);
  });
});
