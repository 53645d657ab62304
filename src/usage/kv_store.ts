/**
 * The usage ledger in Deno KV, a file in the data dir. Each entry is kept as it is (for exact
 * partial hours and sessions) and also summed into per-hour counters per route × provider × model
 * × client, so a report over months reads a few thousand counters instead of every entry.
 * Counters are sums the store applies atomically, so several processes may write one file.
 */

import type { LedgerEntry } from "./entry.ts";
import { openPrivateKv } from "./private_kv.ts";
import {
  HOUR_MS,
  hourOf,
  matchesFilter,
  type SeriesPoint,
  type SessionUsage,
  type UsageFilter,
  type UsageStore,
} from "./store.ts";
import {
  addCounters,
  type Counters,
  countersOf,
  type Dimensions,
  dimensionsOf,
  groupKey,
  NONE,
  OLD_NONE,
  type UsageGroup,
  zeroCounters,
} from "./totals.ts";
import { NO_ROUTE } from "../pipeline/record.ts";

const FIELDS = [
  "requests",
  "errors",
  "inputTokens",
  "outputTokens",
  "cacheReadTokens",
  "cacheWriteTokens",
  "costNanoUsd",
  "priced",
  "unpriced",
] as const satisfies readonly (keyof Counters)[];

type Field = (typeof FIELDS)[number];

// Deno KV refuses an atomic operation of more than 1000 mutations or 100 checks.
const MUTATIONS_PER_COMMIT = 1000;
const CHECKS_PER_COMMIT = 100;

const DAY_MS = 24 * HOUR_MS;

/** Opens (or creates) the ledger at `path`; throws when the file is unreadable or not a store. */
export async function openKvStore(
  path: string,
  options: { retentionMs: number },
): Promise<KvUsageStore> {
  const kv = await openPrivateKv(path);
  // A file that is not a store fails here rather than on the first request.
  await kv.get(["meta", "version"]);
  return new KvUsageStore(kv, path, options.retentionMs);
}

/** {@link UsageStore} on Deno KV. */
class KvUsageStore implements UsageStore {
  readonly description: string;
  readonly #kv: Deno.Kv;
  readonly #retentionMs: number;

  constructor(kv: Deno.Kv, path: string, retentionMs: number) {
    this.#kv = kv;
    this.description = `Deno KV at ${path}`;
    this.#retentionMs = retentionMs;
  }

  /**
   * Adds a batch in commits of whole entries: each commit holds some entries and the sums they
   * add, and writes only if none of its entries is stored yet. A batch that failed part-way is
   * tried again by the ledger, and its commits that did go through must not add their sums twice.
   */
  async append(entries: readonly LedgerEntry[]): Promise<void> {
    let chunk: LedgerEntry[] = [];
    let mutations = 0;
    const hours = new Set<string>();
    const sessions = new Set<string>();
    // At most what an entry adds to a commit: itself, its hour's sums, its session's sums.
    const cost = (e: LedgerEntry) =>
      1 + (hours.has(hourId(e)) ? 0 : FIELDS.length) +
      (e.session === undefined || sessions.has(e.session) ? 0 : FIELDS.length + 1);
    for (const e of entries) {
      if (chunk.length === CHECKS_PER_COMMIT || mutations + cost(e) > MUTATIONS_PER_COMMIT) {
        await this.#commitNew(chunk);
        chunk = [];
        mutations = 0;
        hours.clear();
        sessions.clear();
      }
      mutations += cost(e);
      chunk.push(e);
      hours.add(hourId(e));
      if (e.session !== undefined) sessions.add(e.session);
    }
    if (chunk.length > 0) await this.#commitNew(chunk);
  }

  // Commits `entries` with their sums unless one is stored already; then only those that are not.
  async #commitNew(entries: readonly LedgerEntry[]): Promise<void> {
    const op = this.#kv.atomic();
    for (const e of entries) op.check({ key: ["r", e.at, e.id], versionstamp: null });
    for (const write of this.#writes(entries)) write(op);
    if ((await op.commit()).ok) return;
    const fresh: LedgerEntry[] = [];
    // getMany reads at most 10 keys at a time.
    for (let i = 0; i < entries.length; i += 10) {
      const group = entries.slice(i, i + 10);
      const stored = await this.#kv.getMany(group.map((e) => ["r", e.at, e.id]));
      group.forEach((e, j) => stored[j]?.versionstamp === null && fresh.push(e));
    }
    if (fresh.length === entries.length) throw new Error("the usage ledger refused a write");
    if (fresh.length > 0) await this.#commitNew(fresh);
  }

  /**
   * The writes of some entries: each entry as it is, one sum per counter per hour × dimensions
   * they touched, and per session its totals and latest entry -- far fewer writes than per entry.
   */
  #writes(entries: readonly LedgerEntry[]): ((op: Deno.AtomicOperation) => void)[] {
    const expireIn = this.#retentionMs;
    const hours = new Map<string, { key: Deno.KvKey; counters: Counters }>();
    const sessions = new Map<string, { totals: Counters; latest: LedgerEntry }>();
    const writes: ((op: Deno.AtomicOperation) => void)[] = [];
    for (const e of entries) {
      writes.push((op) => op.set(["r", e.at, e.id], e, { expireIn }));
      const key = hourKey(e);
      const id = JSON.stringify(key);
      const slot = hours.get(id) ?? { key, counters: zeroCounters() };
      addCounters(slot.counters, countersOf(e));
      hours.set(id, slot);
      if (e.session !== undefined) {
        const s = sessions.get(e.session) ?? { totals: zeroCounters(), latest: e };
        addCounters(s.totals, countersOf(e));
        if (e.at >= s.latest.at) s.latest = e;
        sessions.set(e.session, s);
      }
    }
    for (const { key, counters } of hours.values()) writes.push(...sums(key, counters));
    for (const [session, s] of sessions) {
      writes.push((op) => op.set(["s", session, "latest"], s.latest, { expireIn }));
      writes.push(...sums(["s", session], s.totals));
    }
    return writes;
  }

  async grouped(since: number, by: UsageGroup): Promise<Map<string, Counters>> {
    const groups = new Map<string, Counters>();
    const add = (key: string, c: Readonly<Counters>) => {
      const row = groups.get(key);
      if (row) addCounters(row, c);
      else groups.set(key, { ...c });
    };
    const firstHour = since % HOUR_MS === 0 ? since : hourOf(since) + HOUR_MS;
    // The hour `since` falls in is read entry by entry; whole hours come from their counters.
    for await (const e of this.#entries(since, firstHour)) {
      add(groupKey(by, dimensionsOf(e), e.at), countersOf(e));
    }
    await this.#hours(firstHour, (hour, d, c) => add(groupKey(by, d, hour), c));
    return groups;
  }

  async totals(since: number, filter: UsageFilter): Promise<Counters> {
    const total = zeroCounters();
    await this.#hours(hourOf(since), (_hour, d, c) => {
      if (matchesFilter(d, filter)) addCounters(total, c);
    });
    return total;
  }

  async series(since: number, bucket: "hour" | "day"): Promise<SeriesPoint[]> {
    const size = bucket === "hour" ? HOUR_MS : DAY_MS;
    const points = new Map<number, Counters>();
    await this.#hours(since - (since % size), (hour, _d, c) => {
      const start = hour - (hour % size);
      const point = points.get(start);
      if (point) addCounters(point, c);
      else points.set(start, { ...c });
    });
    return [...points.entries()].sort(([a], [b]) => a - b).map(([start, counters]) => ({
      start,
      counters,
    }));
  }

  async session(id: string): Promise<SessionUsage> {
    const [latest, totals] = await Promise.all([
      this.#kv.get<LedgerEntry>(["s", id, "latest"]),
      this.#counters(["s", id]),
    ]);
    return { ...(latest.value ? { latest: latest.value } : {}), totals };
  }

  async prune(before: number): Promise<number> {
    let removed = 0;
    let op = this.#kv.atomic();
    let pending = 0;
    const flush = async () => {
      if (pending > 0) await op.commit();
      op = this.#kv.atomic();
      pending = 0;
    };
    for await (const item of this.#kv.list({ start: ["r"], end: ["r", before] })) {
      op.delete(item.key);
      removed++;
      if (++pending >= 500) await flush();
    }
    for await (const item of this.#kv.list({ start: ["h"], end: ["h", hourOf(before)] })) {
      op.delete(item.key);
      if (++pending >= 500) await flush();
    }
    // A session's counters go with its latest entry (which expires with the retention).
    let session: { id: unknown; keys: Deno.KvKey[]; live: boolean } | undefined;
    const settle = async () => {
      if (!session || session.live) return;
      for (const key of session.keys) {
        op.delete(key);
        if (++pending >= 500) await flush();
      }
    };
    for await (const item of this.#kv.list({ prefix: ["s"] })) {
      const id = item.key[1];
      if (session?.id !== id) await settle();
      const current: { id: unknown; keys: Deno.KvKey[]; live: boolean } =
        session !== undefined && session.id === id ? session : { id, keys: [], live: false };
      session = current;
      current.keys.push(item.key);
      if (item.key[2] === "latest") current.live = (item.value as LedgerEntry).at >= before;
    }
    await settle();
    await flush();
    return removed;
  }

  close(): void {
    this.#kv.close();
  }

  async *#entries(from: number, to: number): AsyncGenerator<LedgerEntry> {
    if (to <= from) return;
    for await (const item of this.#kv.list<LedgerEntry>({ start: ["r", from], end: ["r", to] })) {
      yield item.value;
    }
  }

  /** Calls `visit` once per stored hour × dimensions from `from` on. */
  async #hours(
    from: number,
    visit: (hour: number, d: Dimensions, c: Readonly<Counters>) => void,
  ): Promise<void> {
    let current: { id: string; hour: number; d: Dimensions; c: Counters } | undefined;
    const emit = () => current && visit(current.hour, current.d, current.c);
    // Counters of one hour × dimensions are adjacent keys, one per field.
    for await (const item of this.#kv.list<Deno.KvU64>({ start: ["h", from], end: ["i"] })) {
      const [, hour, route, provider, model, client, field] = item.key as [
        string,
        number,
        string,
        string,
        string,
        string,
        Field,
      ];
      const id = `${hour}\u0000${route}\u0000${provider}\u0000${model}\u0000${client}`;
      if (current?.id !== id) {
        emit();
        // Hours summed before `none` spelled a missing route, provider or model say `-`.
        const d = {
          route: route === OLD_NONE ? NO_ROUTE : route,
          provider: provider === OLD_NONE ? NONE : provider,
          model: model === OLD_NONE ? NONE : model,
          client,
        };
        current = { id, hour, d, c: zeroCounters() };
      }
      current.c[field] = Number(item.value.value);
    }
    emit();
  }

  async #counters(prefix: Deno.KvKey): Promise<Counters> {
    const keys = FIELDS.map((f) => [...prefix, f]);
    const values = await this.#kv.getMany<Deno.KvU64[]>(keys);
    const c = zeroCounters();
    FIELDS.forEach((f, i) => (c[f] = Number(values[i]?.value?.value ?? 0n)));
    return c;
  }
}

// The key of the hour counters an entry adds to.
function hourKey(e: LedgerEntry): Deno.KvKey {
  const d = dimensionsOf(e);
  return ["h", hourOf(e.at), d.route, d.provider, d.model, d.client];
}

function hourId(e: LedgerEntry): string {
  return JSON.stringify(hourKey(e));
}

// Sums cannot expire: prune() removes old counters.
function sums(prefix: Deno.KvKey, c: Counters): ((op: Deno.AtomicOperation) => void)[] {
  return FIELDS.filter((f) => c[f] > 0).map((f) => (op) => op.sum([...prefix, f], BigInt(c[f])));
}
