import assert from "node:assert/strict";
import {
  describeByteSize,
  parseByteSize,
  parseDuration,
  parsePeriod,
  parseTokenSize,
} from "../../src/config/units.ts";

Deno.test("parseDuration", async (t) => {
  await t.step("accepts ms, s, m, h and plain seconds", () => {
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("10s"), 10_000);
    assert.equal(parseDuration("5m"), 300_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    assert.equal(parseDuration("1.5s"), 1_500);
    assert.equal(parseDuration(" 30 "), 30_000);
    assert.equal(parseDuration(90), 90_000);
  });
  await t.step("0 means none", () => {
    assert.equal(parseDuration(0), 0);
    assert.equal(parseDuration("0"), 0);
    assert.equal(parseDuration("0s"), 0);
  });
  await t.step("rejects other text with a usable message", () => {
    assert.throws(() => parseDuration("10x"), {
      message: '"10x" is not a duration (use 500ms, 10s, 5m, 1h)',
    });
    assert.throws(() => parseDuration("ten"), RangeError);
    assert.throws(() => parseDuration(""), RangeError);
    assert.throws(() => parseDuration("1d"), RangeError);
    assert.throws(() => parseDuration(-1), { message: /^-1 is not a duration/ });
    assert.throws(() => parseDuration(Number.NaN), RangeError);
  });
});

Deno.test("parsePeriod: days and weeks beside the duration units", () => {
  assert.equal(parsePeriod("90d"), 90 * 86_400_000);
  assert.equal(parsePeriod("2w"), 14 * 86_400_000);
  assert.equal(parsePeriod("36h"), 36 * 3_600_000);
  assert.equal(parsePeriod(60), 60_000);
  assert.throws(() => parsePeriod("3y"), {
    message: '"3y" is not a period (use 90d, 12w, 24h)',
  });
});

Deno.test("parseTokenSize: k = 1000, M = 1,000,000", () => {
  assert.equal(parseTokenSize("8k"), 8_000);
  assert.equal(parseTokenSize("128K"), 128_000);
  assert.equal(parseTokenSize("1M"), 1_000_000);
  assert.equal(parseTokenSize("1.5k"), 1_500);
  assert.equal(parseTokenSize("4096"), 4_096);
  assert.equal(parseTokenSize(200_000), 200_000);
  assert.throws(() => parseTokenSize("8kb"), {
    message: '"8kb" is not a token size (use 8k, 128K, 1M)',
  });
  assert.throws(() => parseTokenSize("lots"), RangeError);
});

Deno.test("parseByteSize: decimal and binary units, plain bytes", () => {
  assert.equal(parseByteSize("32MiB"), 32 * 1024 * 1024);
  assert.equal(parseByteSize("10MB"), 10_000_000);
  assert.equal(parseByteSize("512KiB"), 512 * 1024);
  assert.equal(parseByteSize("1GiB"), 1024 ** 3);
  assert.equal(parseByteSize("2kb"), 2_000);
  assert.equal(parseByteSize("100B"), 100);
  assert.equal(parseByteSize("1024"), 1_024);
  assert.equal(parseByteSize(2048), 2_048);
  // Bare M is refused: it means 1000² in some tools and 1024² in others.
  assert.throws(() => parseByteSize("32M"), {
    message: '"32M" is not a byte size (use 512KiB, 10MB, 32MiB)',
  });
  assert.throws(() => parseByteSize("big"), RangeError);
});

Deno.test("describeByteSize: the unit a person reads, never 0.0 MiB", () => {
  assert.equal(describeByteSize(32 * 1048576), "32 MiB");
  assert.equal(describeByteSize(1.5 * 1048576), "1.5 MiB");
  assert.equal(describeByteSize(1024), "1 KiB");
  assert.equal(describeByteSize(1536), "1.5 KiB");
  assert.equal(describeByteSize(900), "900 bytes");
});
