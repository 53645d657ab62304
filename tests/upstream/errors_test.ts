import assert from "node:assert/strict";
import { proxyName, upstreamHttpError, upstreamNetworkError } from "../../src/upstream/errors.ts";

Deno.test("a configured key echoed across the 500-character cut of an upstream error is not shown", () => {
  const key = "plainkey0123456789abcdef"; // no known key shape: only the configured list finds it
  for (const before of [480, 490, 499]) {
    const error = upstreamHttpError({
      provider: "p",
      model: "m",
      status: 401,
      headers: new Headers(),
      bodyText: `${"x".repeat(before)} bad key ${key}`,
      keys: [key],
    });
    // Any 4 leading characters of the key are already more than the client may see.
    assert.ok(!error.message.includes(key.slice(0, 4)), `${before}: ${error.message.slice(-60)}`);
  }
});

Deno.test("OpenRouter's 'Provider returned error' is told with the provider's own words", () => {
  const raw = JSON.stringify({
    error: {
      message: "Web search options not supported with this model.",
      type: "invalid_request_error",
    },
  });
  const error = upstreamHttpError({
    provider: "or",
    model: "m",
    status: 400,
    headers: new Headers(),
    bodyText: JSON.stringify({
      error: {
        message: "Provider returned error",
        code: 400,
        metadata: { raw, provider_name: "Azure", is_byok: false },
      },
    }),
    keys: [],
  });
  assert.equal(
    error.message,
    'Provider "or" (model m) answered HTTP 400: Provider returned error (Azure: Web search ' +
      "options not supported with this model.)",
  );
});

Deno.test("a 401/403 of an auth: passthrough provider blames the client's credential, not ccp's key", () => {
  for (const status of [401, 403]) {
    const error = upstreamHttpError({
      provider: "claude",
      model: "m",
      status,
      headers: new Headers(),
      bodyText: '{"type":"error","error":{"type":"authentication_error","message":"Invalid"}}',
      keys: [],
      passthrough: true,
    });
    assert.ok(!error.message.includes("ccp's API key"), error.message);
    assert.match(error.message, /refused the client's own credential \(auth: passthrough\)/);
  }
});

Deno.test("upstreamNetworkError through a proxy: the proxy is named, without its credentials", () => {
  const fetchFailed = (cause: string) =>
    new TypeError("fetch failed", {
      cause: new Error(
        `error sending request for url (https://api.test/v1/messages): client error (Connect): ${cause}`,
      ),
    });
  const proxy = proxyName("http://alice:s3cret@proxy.corp:3128", "HTTPS_PROXY");
  assert.equal(proxy, "proxy http://proxy.corp:3128 (from HTTPS_PROXY)");
  assert.equal(proxyName("http://proxy.corp:3128", "proxy"), "proxy http://proxy.corp:3128");
  const cases: Array<[string, RegExp]> = [
    ["unsuccessful tunnel", /the proxy refused to open a tunnel \(CONNECT\) to the upstream$/],
    ["proxy authentication required", /the proxy asks for a user and password \(407\)$/],
    ["tcp connect error: Connection refused (os error 111)", /the proxy refused the connection/],
  ];
  for (const [cause, expected] of cases) {
    const error = upstreamNetworkError({
      provider: "p",
      model: "m",
      url: "https://api.test/v1/messages",
      error: fetchFailed(cause),
      proxy,
    });
    assert.equal(error.status, 502);
    assert.ok(
      error.message.startsWith(
        'Cannot reach provider "p" (model m) at https://api.test/v1/messages through proxy ' +
          "http://proxy.corp:3128 (from HTTPS_PROXY): ",
      ),
      error.message,
    );
    assert.match(error.message, expected);
    assert.ok(!error.message.includes("s3cret") && !error.message.includes("alice"));
  }
});

Deno.test("upstreamNetworkError never quotes credentials written into the base_url", () => {
  const url = "https://tok3n@gw.example/v1/chat/completions?api-key=SECRETQ";
  const error = upstreamNetworkError({
    provider: "gw",
    model: "m",
    url,
    // An unknown cause keeps fetch's own words, which may quote the URL it was asked for.
    error: new TypeError(`error sending request for url (${url}): something odd happened`),
  });
  assert.doesNotMatch(error.message, /tok3n|SECRETQ/);
  assert.match(error.message, /gw\.example\/v1\/chat\/completions/);
});
