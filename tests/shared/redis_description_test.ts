/** The Redis URL shown in status, `ccp check` and warnings never carries its password. */

import assert from "node:assert/strict";
import { RedisGuards } from "../../src/shared/redis_guards.ts";
import { silentLogger } from "../../src/core/log.ts";

Deno.test("RedisGuards description hides a password before the @ and in ?password=", () => {
  const cases: [string, string][] = [
    ["redis://:s3cret@cache:6379/0", "Redis at redis://:***@cache:6379/0"],
    ["redis://ccp:s3cret@cache:6379", "Redis at redis://ccp:***@cache:6379"],
    ["redis://cache:6379/0?password=s3cret", "Redis at redis://cache:6379/0?password=***"],
    ["redis://cache:6379", "Redis at redis://cache:6379"],
  ];
  for (const [url, shown] of cases) {
    const guards = new RedisGuards(url, "ccp:", silentLogger);
    assert.equal(guards.description, shown);
    assert.doesNotMatch(guards.description, /s3cret/);
  }
});
