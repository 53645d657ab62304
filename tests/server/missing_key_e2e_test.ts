import assert from "node:assert/strict";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const request = {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 50,
    messages: [{ role: "user", content: "hi" }],
  }),
};

Deno.test("a hosted provider with no key configured: every answer says which variable to set", async () => {
  const mock = startOpenAIMock({
    status: 401,
    json: { status: 401, detail: "Authentication failed" },
  });
  const ccp = startCcp(testConfig({
    providers: [
      provider("nvidia_nim", { preset: "nvidia_nim", type: "openai", baseUrl: mock.url }),
    ],
    routes: { default: "nvidia_nim/moonshotai/kimi-k2.5" },
  }));
  try {
    // The first request meets the 401; the second finds the empty key set aside.
    for (const round of ["first", "second"]) {
      const res = await fetch(`${ccp.url}/v1/messages`, request);
      const error = (await res.json()).error;
      assert.notEqual(res.status, 401, round);
      assert.match(error.message, /no API key/, round);
      assert.doesNotMatch(error.message, /1 key set aside|Fix the key/, round);
      assert.match(error.message, /NVIDIA_NIM_API_KEY|ccp check/, round);
    }
    assert.ok(
      ccp.logs.some((l) => l.includes("answered HTTP 401") && l.includes("set NVIDIA_NIM_API_KEY")),
      ccp.logs.join(""),
    );
    assert.ok(!ccp.logs.some((l) => l.includes("rejected ccp's API key")), ccp.logs.join(""));
  } finally {
    await ccp.close();
    await mock.close();
  }
});
