import assert from "node:assert/strict";
import { newMessageId, newRequestId, randomBase62 } from "../../src/translate/anthropic/ids.ts";

Deno.test("random ids: base62 of the asked length, one after another of any length", () => {
  for (const length of [24, 3, 0, 40, 24]) {
    const id = randomBase62(length);
    assert.match(id, new RegExp(`^[0-9A-Za-z]{${length}}$`));
  }
  assert.match(newRequestId(), /^req_[0-9A-Za-z]{24}$/);
  assert.match(newMessageId(), /^msg_[0-9A-Za-z]{24}$/);
  // Over many ids (past the 4 KiB pool of random bytes), no two alike and every character used.
  const ids = new Set(Array.from({ length: 2000 }, () => randomBase62(24)));
  assert.equal(ids.size, 2000);
  assert.equal(new Set([...ids].join("")).size, 62);
});
