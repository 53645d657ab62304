/** Parsers for the human-friendly sizes and durations written in config files. */

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
// Periods measured in days (how long usage records are kept) are written in days or weeks, as
// `ccp usage --since` takes them; timeouts keep the short units, where a `d` would be a typo.
const PERIOD_UNITS_MS: Readonly<Record<string, number>> = {
  ...DURATION_UNITS_MS,
  d: 86_400_000,
  w: 604_800_000,
};
const TOKEN_UNITS: Readonly<Record<string, number>> = { "": 1, k: 1_000, m: 1_000_000 };
// Decimal and binary units both appear in the wild (Docker, nginx, k8s); bare K/M/G are refused
// because they mean 1000 in some tools and 1024 in others.
const BYTE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1_024,
  mib: 1_048_576,
  gib: 1_073_741_824,
};

/** Shows a rejected input the way the user wrote it. */
function quote(v: string | number): string {
  return typeof v === "number" ? String(v) : JSON.stringify(v);
}

/** Splits "10s" into number and lower-case unit, or undefined when the text is not of that shape. */
function splitUnit(text: string): { value: number; unit: string } | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!match) return undefined;
  return { value: Number(match[1]), unit: (match[2] ?? "").toLowerCase() };
}

/** Applies a unit table to a number-or-string input; throws `RangeError(hint)` on anything else. */
function parseWithUnits(
  v: string | number,
  units: Readonly<Record<string, number>>,
  plainScale: number,
  hint: string,
): number {
  if (typeof v === "number") {
    if (Number.isFinite(v) && v >= 0) return Math.round(v * plainScale);
    throw new RangeError(`${quote(v)} ${hint}`);
  }
  const parts = splitUnit(v);
  const scale = parts ? (parts.unit === "" ? plainScale : units[parts.unit]) : undefined;
  if (!parts || scale === undefined) throw new RangeError(`${quote(v)} ${hint}`);
  return Math.round(parts.value * scale);
}

/** Parses `500ms`, `10s`, `5m`, `1h` or a plain number of seconds into milliseconds; 0 means none. */
export function parseDuration(v: string | number): number {
  return parseWithUnits(v, DURATION_UNITS_MS, 1_000, "is not a duration (use 500ms, 10s, 5m, 1h)");
}

/** Parses a period such as `90d` or `12w` (or any duration) into milliseconds. */
export function parsePeriod(v: string | number): number {
  return parseWithUnits(v, PERIOD_UNITS_MS, 1_000, "is not a period (use 90d, 12w, 24h)");
}

/** Parses `8k`, `128K`, `1M` or a plain number into a token count (k = 1000, M = 1,000,000). */
export function parseTokenSize(v: string | number): number {
  return parseWithUnits(v, TOKEN_UNITS, 1, "is not a token size (use 8k, 128K, 1M)");
}

/** Parses `32MiB`, `10MB`, `512KiB` or a plain number of bytes into bytes. */
export function parseByteSize(v: string | number): number {
  return parseWithUnits(v, BYTE_UNITS, 1, "is not a byte size (use 512KiB, 10MB, 32MiB)");
}

/** A byte count as a person reads it: `32 MiB`, `1.5 MiB`, `512 KiB`, `900 bytes`. */
export function describeByteSize(bytes: number): string {
  const [unit, size] = bytes >= 1048576 ? ["MiB", 1048576] : bytes >= 1024 ? ["KiB", 1024] : [];
  if (!unit || !size) return `${bytes} bytes`;
  const value = bytes / size;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}
