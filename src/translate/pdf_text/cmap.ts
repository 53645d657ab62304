/**
 * A ToUnicode CMap: character codes (one to four bytes long, as its code space says) -> text,
 * from its `bfchar` and `bfrange` sections. What the codes of a Type0 (Identity-H) font mean is
 * only written here.
 */

import type { Budget } from "./budget.ts";
import { Lexer, PdfOp } from "./objects.ts";

/** A code -> text map and the byte lengths its codes take. */
export interface ToUnicode {
  readonly map: Map<number, string>;
  /** Byte lengths of the code space, shortest first; [2] when the CMap names none. */
  readonly lengths: number[];
}

// A bfrange wider than this is no real font's: it is read in part, the rest ignored.
const MAX_RANGE = 65_536;
// A CMap mapping more codes than this is no real font's either (a full two-byte code space is
// 65536): past it, later mappings are ignored, so thousands of wide ranges cost neither minutes
// nor a gigabyte. The file's fonts together map at most the budget's `codesLeft`.
const MAX_CODES = 262_144;

const utf16 = new TextDecoder("utf-16be");
const code = (b: Uint8Array) => b.reduce((v, x) => v * 256 + x, 0);

/** The CMap's mappings; malformed parts are skipped. */
export function parseToUnicode(data: Uint8Array, budget: Budget): ToUnicode {
  const map = new Map<number, string>();
  const lengths = new Set<number>();
  const lexer = new Lexer(data, budget);
  const stack: unknown[] = [];
  let section = "";
  while (true) {
    const tok = lexer.next();
    if (tok === undefined) break;
    if (!(tok instanceof PdfOp)) {
      if (section) stack.push(tok);
      continue;
    }
    if (tok.op.startsWith("begin")) {
      section = tok.op;
      stack.length = 0;
      continue;
    }
    if (tok.op === "endcodespacerange") {
      for (let i = 0; i + 1 < stack.length; i += 2) {
        const lo = stack[i];
        if (lo instanceof Uint8Array && lo.length >= 1 && lo.length <= 4) lengths.add(lo.length);
      }
    } else if (tok.op === "endbfchar") {
      for (let i = 0; i + 1 < stack.length; i += 2) {
        const [src, dst] = [stack[i], stack[i + 1]];
        if (src instanceof Uint8Array && dst instanceof Uint8Array && room(map, budget, 1)) {
          map.set(code(src), utf16.decode(dst));
        }
      }
    } else if (tok.op === "endbfrange") readRanges(stack, map, budget);
    section = "";
    stack.length = 0;
  }
  return { map, lengths: lengths.size > 0 ? [...lengths].sort() : [2] };
}

/** Takes room for `n` more codes: each is work, as a token read is, and counts to the caps. */
function room(map: Map<number, string>, budget: Budget, n: number): boolean {
  if (map.size + n > MAX_CODES || n > budget.codesLeft || !budget.spend(n)) return false;
  budget.codesLeft -= n;
  return true;
}

function readRanges(stack: unknown[], map: Map<number, string>, budget: Budget): void {
  for (let i = 0; i + 2 < stack.length; i += 3) {
    const [lo, hi, dst] = [stack[i], stack[i + 1], stack[i + 2]];
    if (!(lo instanceof Uint8Array) || !(hi instanceof Uint8Array)) continue;
    const from = code(lo);
    const to = Math.min(code(hi), from + MAX_RANGE);
    if (to < from) continue;
    if (!room(map, budget, to - from + 1)) return;
    if (Array.isArray(dst)) {
      dst.forEach((d, k) => {
        if (d instanceof Uint8Array && from + k <= to) map.set(from + k, utf16.decode(d));
      });
    } else if (dst instanceof Uint8Array && dst.length >= 2) {
      // The last UTF-16 unit counts up along the range; the units before it (a surrogate pair's
      // first half) are decoded with it, as one text.
      const units = dst.slice();
      const last = code(dst.subarray(dst.length - 2));
      for (let c = from; c <= to; c++) {
        const unit = last + (c - from);
        units[units.length - 2] = (unit >> 8) & 255;
        units[units.length - 1] = unit & 255;
        map.set(c, utf16.decode(units));
      }
    }
  }
}
