/**
 * The usage ledger in PostgreSQL (`shared.postgres`), for several ccp instances sharing one
 * ledger: the same records as the embedded store, a table created at start, indexes for the
 * reports, and the same queries answered with SQL aggregates.
 */

import postgres from "postgres";
import { redactUrlSecrets } from "../core/secrets.ts";
import type { LedgerEntry } from "./entry.ts";
import type { PassedNote } from "../resilience/passed_over.ts";
import type { SeriesPoint, SessionUsage, UsageFilter, UsageStore } from "./store.ts";
import { type Counters, NONE, type UsageGroup, zeroCounters } from "./totals.ts";
import { NO_ROUTE } from "../pipeline/record.ts";

// Run once at start; each statement is safe to repeat.
// The advisory lock the table's creation is done under ("ccpu" in ASCII).
const MIGRATION_LOCK = 0x63637075;

const MIGRATION = [
  `CREATE TABLE IF NOT EXISTS ccp_usage (
    id text PRIMARY KEY,
    at bigint NOT NULL,
    session text,
    client text NOT NULL,
    client_model text,
    route text,
    provider text,
    model text,
    key_label text,
    status integer NOT NULL,
    error boolean NOT NULL,
    stream boolean NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    cost_nano_usd bigint,
    duration_ms real NOT NULL,
    ttft_ms real
  )`,
  // Added after the table's first release: a table made before lacks it.
  `ALTER TABLE ccp_usage ADD COLUMN IF NOT EXISTS passed text`,
  `CREATE INDEX IF NOT EXISTS ccp_usage_at ON ccp_usage (at)`,
  `CREATE INDEX IF NOT EXISTS ccp_usage_session ON ccp_usage (session, at) WHERE session IS NOT NULL`,
];

type Sql = ReturnType<typeof postgres>;

/** Rows per INSERT: 20 columns each, well within PostgreSQL's 65535 parameters a statement. */
const ROWS_PER_INSERT = 1000;

const SUMS = `count(*)::bigint AS requests,
  count(*) FILTER (WHERE error)::bigint AS errors,
  coalesce(sum(input_tokens), 0)::bigint AS input,
  coalesce(sum(output_tokens), 0)::bigint AS output,
  coalesce(sum(cache_read_tokens), 0)::bigint AS cache_read,
  coalesce(sum(cache_write_tokens), 0)::bigint AS cache_write,
  coalesce(sum(cost_nano_usd), 0)::bigint AS cost,
  count(cost_nano_usd)::bigint AS priced,
  count(*) FILTER (WHERE cost_nano_usd IS NULL AND provider IS NOT NULL AND
    input_tokens + output_tokens + cache_read_tokens + cache_write_tokens > 0)::bigint AS unpriced`;

type SumRow = Record<
  | "requests"
  | "errors"
  | "input"
  | "output"
  | "cache_read"
  | "cache_write"
  | "cost"
  | "priced"
  | "unpriced",
  string
>;

function countersOf(row: SumRow | undefined): Counters {
  if (!row) return zeroCounters();
  return {
    requests: Number(row.requests),
    errors: Number(row.errors),
    inputTokens: Number(row.input),
    outputTokens: Number(row.output),
    cacheReadTokens: Number(row.cache_read),
    cacheWriteTokens: Number(row.cache_write),
    costNanoUsd: Number(row.cost),
    priced: Number(row.priced),
    unpriced: Number(row.unpriced),
  };
}

// The SQL expression a report groups on (only these fixed strings reach the query text).
const GROUP_SQL: Readonly<Record<UsageGroup, string>> = {
  day: `to_char(to_timestamp(at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  route: `coalesce(route, '${NO_ROUTE}')`,
  provider: `coalesce(provider, '${NONE}')`,
  model:
    `CASE WHEN provider IS NULL THEN '${NONE}' ELSE provider || '/' || coalesce(model, '${NONE}') END`,
  client: `client`,
};

/**
 * The store for `url`. Nothing is sent yet: the table is created on first use, so a database that
 * is down at start delays the ledger's writes (kept in memory meanwhile) instead of stopping ccp.
 */
export function openPgStore(url: string): PgUsageStore {
  const sql = postgres(url, {
    max: 4,
    connect_timeout: 3,
    idle_timeout: 60,
    // The client's wait between failed connections grows to 20 s by default; a database that is
    // back must be found by the next ping (every 2 s), so it stays at half a second.
    backoff: 0.5,
    onnotice: () => {},
  });
  return new PgUsageStore(sql, url);
}

/** {@link UsageStore} on PostgreSQL. */
class PgUsageStore implements UsageStore {
  readonly description: string;
  /** Several instances write it: budgets re-read it instead of trusting local counts alone. */
  readonly shared = true;
  readonly #sql: Sql;
  #migrated: Promise<void> | undefined;

  constructor(sql: Sql, url: string) {
    this.#sql = sql;
    // The address without its password (in the user part, or as `?password=`).
    this.description = `PostgreSQL at ${redactUrlSecrets(url)}`;
  }

  // Creates the table once; a failure is retried on the next use.
  #ready(): Promise<void> {
    this.#migrated ??= this.#sql.begin(async (tx) => {
      // Instances that start together would race on CREATE ... IF NOT EXISTS, which PostgreSQL
      // does not make safe under concurrency (a unique violation in its catalog): they take
      // turns, and the later ones find everything there.
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      for (const statement of MIGRATION) await tx.unsafe(statement);
    }).then(() => {}).catch((err) => {
      this.#migrated = undefined;
      throw err;
    });
    return this.#migrated;
  }

  /** True when the database answers now (and has the table). */
  async ping(): Promise<boolean> {
    try {
      await this.#ready();
      await this.#sql`SELECT 1`;
      return true;
    } catch {
      return false;
    }
  }

  async append(entries: readonly LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#ready();
    const rows = entries.map((e) => ({
      id: e.id,
      at: e.at,
      session: e.session ?? null,
      client: e.client,
      client_model: e.clientModel ?? null,
      route: e.route ?? null,
      provider: e.provider ?? null,
      model: e.model ?? null,
      key_label: e.keyLabel ?? null,
      status: e.status,
      error: e.error,
      stream: e.stream,
      input_tokens: e.inputTokens,
      output_tokens: e.outputTokens,
      cache_read_tokens: e.cacheReadTokens,
      cache_write_tokens: e.cacheWriteTokens,
      cost_nano_usd: e.costUsd === undefined ? null : Math.round(e.costUsd * 1e9),
      duration_ms: e.durationMs,
      ttft_ms: e.ttftMs ?? null,
      passed: e.passed === undefined ? null : JSON.stringify(e.passed),
    }));
    // A statement per ROWS_PER_INSERT rows: PostgreSQL takes at most 65535 parameters in one,
    // and the batch kept through an outage holds thousands. A retried batch does not count twice.
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const part = rows.slice(i, i + ROWS_PER_INSERT);
      await this.#sql`INSERT INTO ccp_usage ${this.#sql(part)} ON CONFLICT (id) DO NOTHING`;
    }
  }

  async grouped(since: number, by: UsageGroup): Promise<Map<string, Counters>> {
    await this.#ready();
    const rows = await this.#sql.unsafe<(SumRow & { key: unknown })[]>(
      `SELECT ${GROUP_SQL[by]} AS key, ${SUMS} FROM ccp_usage WHERE at >= $1 GROUP BY 1`,
      [since],
    );
    return new Map(rows.map((r) => [String(r.key), countersOf(r)]));
  }

  async totals(since: number, filter: UsageFilter): Promise<Counters> {
    await this.#ready();
    const rows = await this.#sql.unsafe<SumRow[]>(
      `SELECT ${SUMS} FROM ccp_usage WHERE at >= $1
        AND ($2::text IS NULL OR provider = $2) AND ($3::text IS NULL OR model = $3)
        AND ($4::text IS NULL OR client = $4)`,
      [since, filter.provider ?? null, filter.model ?? null, filter.client ?? null],
    );
    return countersOf(rows[0]);
  }

  async series(since: number, bucket: "hour" | "day"): Promise<SeriesPoint[]> {
    await this.#ready();
    const size = bucket === "hour" ? 3600_000 : 86_400_000;
    const from = since - (since % size);
    const rows = await this.#sql.unsafe<(SumRow & { start: unknown })[]>(
      `SELECT (at / $2) * $2 AS start, ${SUMS} FROM ccp_usage WHERE at >= $1 GROUP BY 1 ORDER BY 1`,
      [from, size],
    );
    return rows.map((r) => ({
      start: Number(r.start),
      counters: countersOf(r),
    }));
  }

  async session(id: string): Promise<SessionUsage> {
    await this.#ready();
    const [latest, sums] = await Promise.all([
      this.#sql`SELECT * FROM ccp_usage WHERE session = ${id} ORDER BY at DESC LIMIT 1`,
      this.#sql.unsafe<SumRow[]>(`SELECT ${SUMS} FROM ccp_usage WHERE session = $1`, [id]),
    ]);
    const row = latest[0];
    return {
      ...(row ? { latest: entryOfRow(row) } : {}),
      totals: countersOf(sums[0]),
    };
  }

  async prune(before: number): Promise<number> {
    await this.#ready();
    const result = await this.#sql`DELETE FROM ccp_usage WHERE at < ${before}`;
    return result.count;
  }

  close(): void {
    void this.#sql.end({ timeout: 2 }).catch(() => {});
  }
}

function entryOfRow(r: Record<string, unknown>): LedgerEntry {
  const text = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
  const cost = r.cost_nano_usd === null ? undefined : Number(r.cost_nano_usd) / 1e9;
  const opt = (key: string, v: unknown) => (v === undefined ? {} : { [key]: v });
  return {
    id: String(r.id),
    at: Number(r.at),
    ...opt("session", text(r.session)),
    client: String(r.client),
    ...opt("clientModel", text(r.client_model)),
    ...opt("route", text(r.route)),
    ...opt("provider", text(r.provider)),
    ...opt("model", text(r.model)),
    ...opt("keyLabel", text(r.key_label)),
    status: Number(r.status),
    error: Boolean(r.error),
    stream: Boolean(r.stream),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    ...opt("costUsd", cost),
    durationMs: Number(r.duration_ms),
    ...opt("ttftMs", r.ttft_ms === null ? undefined : Number(r.ttft_ms)),
    ...opt("passed", passedOfColumn(r.passed)),
  } as LedgerEntry;
}

/** The `passed` column as the entry holds it; a value that does not read is left out. */
function passedOfColumn(value: unknown): PassedNote | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const note: unknown = JSON.parse(value);
    const ok = typeof note === "object" && note !== null &&
      typeof Reflect.get(note, "target") === "string" &&
      typeof Reflect.get(note, "why") === "string";
    return ok ? note as PassedNote : undefined;
  } catch {
    return undefined;
  }
}
