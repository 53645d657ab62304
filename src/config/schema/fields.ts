/** Config scalars as converters, each with a message that says what was expected. */

import { describeValue } from "../issues.ts";
import { didYouMean } from "../suggest.ts";
import { parseByteSize, parseDuration, parsePeriod, parseTokenSize } from "../units.ts";
import { field, Rejection, type Schema } from "./kit.ts";

// Every converter takes any input: `${VAR}` expansion makes every scalar a possible string.

/** A number, or a string that is one (after expansion `port: ${PORT}` is the string "8082"). */
function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** A string; numbers are accepted too because YAML reads `api_key: 12345` as a number. */
export function text(): Schema<string> {
  return field((value) => {
    if (typeof value === "string") return value;
    if (typeof value === "number" && Number.isFinite(value)) return String(value);
    return new Rejection(`expected a string, got ${describeValue(value)}`);
  });
}

/** A whole number within [min, max]. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): Schema<number> {
  return field((value) => {
    const n = asNumber(value);
    if (n === undefined) return new Rejection(`expected a number, got ${describeValue(value)}`);
    if (!Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
      return new Rejection(`expected a whole number ${range}, got ${describeValue(value)}`);
    }
    return n;
  });
}

/** true/false; after expansion also "true", "false", "yes", "no", "on", "off", "1", "0". */
export function flag(): Schema<boolean> {
  const words: Readonly<Record<string, boolean>> = {
    true: true,
    yes: true,
    on: true,
    "1": true,
    false: false,
    no: false,
    off: false,
    "0": false,
  };
  return field((value) => {
    if (typeof value === "boolean") return value;
    const word = typeof value === "string" ? words[value.trim().toLowerCase()] : undefined;
    return word ?? new Rejection(`expected true or false, got ${describeValue(value)}`);
  });
}

/** One of a fixed set of words; `noun` names the setting in the message. */
export function oneOf<const T extends string>(values: readonly T[], noun: string): Schema<T> {
  return field((value): T | Rejection => {
    const found = values.find((v) => v === value);
    if (found !== undefined) return found;
    const hint = typeof value === "string" ? didYouMean(value, values) : undefined;
    const use = `use ${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`;
    return new Rejection(
      `unknown ${noun} ${describeValue(value)} (${hint ? `${hint}; ` : ""}${use})`,
    );
  });
}

/** A duration (`500ms`, `10s`, `5m`, `1h`, plain seconds) in milliseconds. */
export function duration(): Schema<number> {
  return field((value) => {
    if (typeof value !== "string" && typeof value !== "number") {
      return new Rejection(`expected a duration such as 10s, got ${describeValue(value)}`);
    }
    try {
      return parseDuration(value);
    } catch (err) {
      return new Rejection((err as Error).message);
    }
  });
}

/** A period (`90d`, `12w`, or any duration) in milliseconds. */
export function period(): Schema<number> {
  return field((value) => {
    if (typeof value !== "string" && typeof value !== "number") {
      return new Rejection(`expected a period such as 90d, got ${describeValue(value)}`);
    }
    try {
      return parsePeriod(value);
    } catch (err) {
      return new Rejection((err as Error).message);
    }
  });
}

/** A byte size (`32MiB`, `10MB`, plain bytes) in bytes. */
export function byteSize(): Schema<number> {
  return field((value) => {
    if (typeof value !== "string" && typeof value !== "number") {
      return new Rejection(`expected a size such as 32MiB, got ${describeValue(value)}`);
    }
    try {
      return parseByteSize(value);
    } catch (err) {
      return new Rejection((err as Error).message);
    }
  });
}

/** A token count (`8k`, `128K`, `1M`, plain numbers; k = 1000) of at least 1. */
export function tokenSize(): Schema<number> {
  return field((value) => {
    if (typeof value !== "string" && typeof value !== "number") {
      return new Rejection(`expected a token size such as 128k, got ${describeValue(value)}`);
    }
    try {
      const tokens = parseTokenSize(value);
      return tokens >= 1 ? tokens : new Rejection(`must be 1 or more, got ${describeValue(value)}`);
    } catch (err) {
      return new Rejection((err as Error).message);
    }
  });
}

/** A switch written on/off, true/false, yes/no or enabled/disabled, as "on" or "off". */
export function onOff(): Schema<"on" | "off"> {
  const words: Readonly<Record<string, "on" | "off">> = {
    on: "on",
    true: "on",
    yes: "on",
    enabled: "on",
    "1": "on",
    off: "off",
    false: "off",
    no: "off",
    disabled: "off",
    "0": "off",
  };
  return field((value) => {
    if (typeof value === "boolean") return value ? "on" : "off";
    const word = typeof value === "string" || typeof value === "number"
      ? words[String(value).trim().toLowerCase()]
      : undefined;
    return word ?? new Rejection(`expected on or off, got ${describeValue(value)}`);
  });
}

/** Converts a list or a comma/space separated string (what `${VAR}` gives) to an item list. */
function listOf<T>(item: (value: unknown) => T | Rejection, noun: string): Schema<T[]> {
  return field((value): T[] | Rejection => {
    const items = typeof value === "string" ? value.split(/[\s,]+/).filter((s) => s !== "") : value;
    if (!Array.isArray(items)) {
      return new Rejection(`expected a list of ${noun}, got ${describeValue(value)}`);
    }
    const out: T[] = [];
    for (const [index, element] of items.entries()) {
      const converted = item(element);
      if (converted instanceof Rejection) return new Rejection(converted.message, [index]);
      out.push(converted);
    }
    return out;
  });
}

/** A list of strings, or one string of items separated by commas or whitespace. */
export function textList(noun = "strings"): Schema<string[]> {
  return listOf((value) => {
    if (typeof value === "string") return value;
    if (typeof value === "number" && Number.isFinite(value)) return String(value);
    return new Rejection(`expected a string, got ${describeValue(value)}`);
  }, noun);
}

/**
 * `server.cors.origins`: strings. YAML reads a bare `null` as no value, so the origin browsers send
 * as "null" must be quoted: the message says so rather than "got nothing".
 */
export function originList(): Schema<string[]> {
  return listOf((value) => {
    if (typeof value === "string") return value;
    if (value === null) {
      return new Rejection(
        'got nothing: write "null" in quotes for pages whose Origin is null (sandboxed frames, ' +
          "file:// pages)",
      );
    }
    return new Rejection(`expected a string, got ${describeValue(value)}`);
  }, "origins");
}

/** A list of HTTP status codes. */
export function statusList(): Schema<number[]> {
  return listOf((value) => {
    const n = asNumber(value);
    if (n === undefined || !Number.isInteger(n) || n < 100 || n > 599) {
      return new Rejection(`${describeValue(value)} is not an HTTP status (100-599)`);
    }
    return n;
  }, "HTTP statuses");
}

/** A number of zero or more (prices, amounts of money). */
export function amount(): Schema<number> {
  return field((value) => {
    const n = asNumber(value);
    if (n === undefined || !Number.isFinite(n) || n < 0) {
      return new Rejection(`expected a number of 0 or more, got ${describeValue(value)}`);
    }
    return n;
  });
}

/** `90%` or a fraction such as `0.9`, as a fraction in (0, 1]. */
export function percentage(): Schema<number> {
  return field((value) => {
    const match = typeof value === "string" ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value) : null;
    const n = match ? Number(match[1]) / 100 : asNumber(value);
    if (n === undefined || !(n > 0 && n <= 1)) {
      return new Rejection(`expected a percentage from 1% to 100%, got ${describeValue(value)}`);
    }
    return n;
  });
}

/** A fraction from 0 to 1, written as `0.25` or `25%` (a sampling ratio: 0 keeps none). */
export function ratio(): Schema<number> {
  return field((value) => {
    const match = typeof value === "string" ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value) : null;
    const n = match ? Number(match[1]) / 100 : asNumber(value);
    if (n === undefined || !(n >= 0 && n <= 1)) {
      return new Rejection(
        `expected a fraction from 0 to 1 (or 0% to 100%), got ${describeValue(value)}`,
      );
    }
    return n;
  });
}
