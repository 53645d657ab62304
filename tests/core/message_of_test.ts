import assert from "node:assert/strict";
import { messageOf, toProxyError } from "../../src/core/errors.ts";

Deno.test("messageOf: an Error's own message, without its name or cause", () => {
  assert.equal(messageOf(new TypeError("bad input", { cause: new Error("deeper") })), "bad input");
});

Deno.test("messageOf: anything else thrown reads as the string it makes", () => {
  assert.equal(messageOf("plain text"), "plain text");
  assert.equal(messageOf(42), "42");
  assert.equal(messageOf(undefined), "undefined");
  assert.equal(messageOf({ toString: () => "custom" }), "custom");
  // A symbol cannot go into a template literal; the words of a thrown one must not throw again.
  assert.equal(messageOf(Symbol("odd")), "Symbol(odd)");
});

Deno.test("toProxyError names what was thrown in its message", () => {
  assert.equal(toProxyError(new Error("boom")).message, "Internal error in ccp: boom");
  assert.equal(toProxyError("plain").message, "Internal error in ccp: plain");
});
