/**
 * Which IP addresses `web_fetch` may connect to: public unicast only. Loopback, private,
 * link-local (which holds the cloud metadata address 169.254.169.254), CGNAT, multicast and
 * reserved ranges are refused, in IPv4 and in every IPv6 form that can carry or reach them.
 */

/** The reason an address is refused, or undefined when it is a public unicast address. */
export function blockedReason(address: string): string | undefined {
  const v4 = parseIpv4(address);
  if (v4) return ipv4Reason(v4);
  const v6 = parseIpv6(address);
  if (v6) return ipv6Reason(v6);
  return "not an IP address";
}

type Ipv4Range = readonly [first: number, second: number, prefix: number, reason: string];

// Ranges by their first two octets and prefix length.
const IPV4_BLOCKED: readonly Ipv4Range[] = [
  [0, 0, 8, "'this network' address"],
  [10, 0, 8, "private address"],
  [100, 64, 10, "carrier-grade NAT address"],
  [127, 0, 8, "loopback address"],
  [169, 254, 16, "link-local or cloud metadata address"],
  [172, 16, 12, "private address"],
  [192, 0, 24, "IETF protocol address"],
  [192, 168, 16, "private address"],
  [198, 18, 15, "benchmarking address"],
  [224, 0, 4, "multicast address"],
  [240, 0, 4, "reserved address"],
];

function ipv4Reason(octets: readonly number[]): string | undefined {
  const value = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  for (const [a, b, prefix, reason] of IPV4_BLOCKED) {
    const base = ((a << 24) | (b << 16)) >>> 0;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if (((value & mask) >>> 0) === base) return reason;
  }
  return undefined;
}

function ipv6Reason(h: readonly number[]): string | undefined {
  const zeroTo = (n: number) => h.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return "unspecified address";
  if (zeroTo(7) && h[7] === 1) return "loopback address";
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible) reach the IPv4 address.
  if (zeroTo(5) && (h[5] === 0xffff || h[5] === 0)) return ipv4Reason(embedded(h[6]!, h[7]!));
  // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) carry an IPv4 address that a gateway connects to.
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) {
    return ipv4Reason(embedded(h[6]!, h[7]!));
  }
  if (h[0] === 0x2002) return ipv4Reason(embedded(h[1]!, h[2]!));
  if ((h[0]! & 0xfe00) === 0xfc00) return "unique local (private) address";
  if ((h[0]! & 0xffc0) === 0xfe80) return "link-local address";
  if ((h[0]! & 0xffc0) === 0xfec0) return "site-local address";
  if ((h[0]! & 0xff00) === 0xff00) return "multicast address";
  return undefined;
}

function embedded(high: number, low: number): number[] {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}

/** Four octets of a dotted-quad IPv4 address, or undefined. */
export function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return octets.every((o) => o >= 0 && o <= 255) ? octets : undefined;
}

/** Eight 16-bit groups of an IPv6 address (brackets and a zone allowed), or undefined. */
export function parseIpv6(text: string): number[] | undefined {
  let s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  s = s.replace(/%.*$/, "");
  if (!s.includes(":")) return undefined;
  const lastColon = s.lastIndexOf(":");
  const last = s.slice(lastColon + 1);
  if (last.includes(".")) {
    // A trailing dotted quad is two groups written another way.
    const v4 = parseIpv4(last);
    if (!v4) return undefined;
    const word = (a: number, b: number) => ((a << 8) | b).toString(16);
    s = `${s.slice(0, lastColon + 1)}${word(v4[0]!, v4[1]!)}:${word(v4[2]!, v4[3]!)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const group = (part: string) => (part === "" ? [] : part.split(":"));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const words = [...head, ...rest];
  if (!words.every((w) => /^[0-9a-fA-F]{1,4}$/.test(w))) return undefined;
  const explicit = words.length;
  if (halves.length === 1 && explicit !== 8) return undefined;
  if (halves.length === 2 && explicit > 7) return undefined;
  const fill = new Array(8 - explicit).fill(0);
  const hex = (w: string) => parseInt(w, 16);
  return halves.length === 2 ? [...head.map(hex), ...fill, ...rest.map(hex)] : head.map(hex);
}
