/** The server's request gate: a well-formed body passes as is; a bad one gets the schema's words. */

import assert from "node:assert/strict";
import { ClientRequestError } from "../../src/core/errors.ts";
import {
  admitCountTokensRequest,
  admitMessagesRequest,
} from "../../src/protocols/anthropic_request_gate.ts";
import {
  parseCountTokensRequest,
  parseMessagesRequest,
} from "../../src/protocols/anthropic_request.ts";

const good = { model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] };

/** The message `parse` throws for `body`. */
function wording(parse: (body: unknown) => unknown, body: unknown): string {
  try {
    parse(body);
  } catch (err) {
    assert.ok(err instanceof ClientRequestError);
    return err.message;
  }
  throw new Error("the schema accepted the body");
}

Deno.test("the gate passes a well-formed request through as the very object sent", async () => {
  assert.equal(await admitMessagesRequest(good), good);
  const count = { model: "m", messages: good.messages };
  assert.equal(await admitCountTokensRequest(count), count);
});

Deno.test("the gate rejects a bad request with the schema's message", async () => {
  const bad: unknown[] = [
    [],
    { ...good, max_tokens: 0 },
    { ...good, messages: [{ role: "user", content: [{ type: "text" }] }] },
    { model: "m", max_tokens: 10 },
  ];
  for (const body of bad) {
    await assert.rejects(admitMessagesRequest(body), (err: Error) => {
      assert.ok(err instanceof ClientRequestError);
      assert.equal(err.message, wording(parseMessagesRequest, body));
      return true;
    });
  }
  const noModel = { messages: good.messages };
  await assert.rejects(admitCountTokensRequest(noModel), (err: Error) => {
    assert.equal(err.message, wording(parseCountTokensRequest, noModel));
    assert.equal(err.message, "model: Field required");
    return true;
  });
});

Deno.test("a number or system of the wrong kind is told what the field takes", async () => {
  const cases: Array<[unknown, string]> = [
    [{ ...good, max_tokens: -1e308 }, "max_tokens: Input should be a positive integer"],
    [{ ...good, max_tokens: 1e308 }, "max_tokens: Input should be a positive integer"],
    [{ ...good, max_tokens: 2.5 }, "max_tokens: Input should be a positive integer"],
    [{ ...good, max_tokens: -1 }, "max_tokens: Input should be a positive integer"],
    [{ ...good, system: 5 }, "system: Input should be a string or an array of text blocks"],
    [{ ...good, system: {} }, "system: Input should be a string or an array of text blocks"],
  ];
  for (const [body, message] of cases) {
    await assert.rejects(admitMessagesRequest(body), (err: Error) => {
      assert.ok(err instanceof ClientRequestError);
      assert.equal(err.message, message);
      return true;
    });
  }
  const count = { model: "m", messages: good.messages, system: 5 };
  assert.equal(
    wording(parseCountTokensRequest, count),
    "system: Input should be a string or an array of text blocks",
  );
});
