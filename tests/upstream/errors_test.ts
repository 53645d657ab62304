import assert from "node:assert/strict";
import { upstreamHttpError } from "../../src/upstream/errors.ts";

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
