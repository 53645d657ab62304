/**
 * Shared setup for end-to-end resilience tests: ccp in-process against fault-injecting upstreams
 * on real sockets, and checks that every error the client sees is a well-formed Anthropic error.
 */

import assert from "node:assert/strict";
import type { Config, ProviderConfig, Timeouts } from "../../src/config/types.ts";
import { type RegistryOptions, ResilienceRegistry } from "../../src/resilience/registry.ts";
import { ERROR_STATUSES, type ErrorFields, errorFields } from "../helpers/anthropic_error.ts";
import { parseSse, postMessages, type RunningCcp, startCcp } from "../helpers/ccp.ts";
import { provider } from "../helpers/config.ts";
import type { Fault, FaultMock } from "../mocks/fault_mock.ts";

/** Short timeouts, so a test that goes wrong fails in seconds. */
export const FAST: Timeouts = { connectMs: 1000, firstByteMs: 2000, idleMs: 2000, totalMs: 0 };
/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Asserts `body` is `{"type":"error","error":{"type":<known>,"message":<non-empty>,…}}`. */
export function assertErrorBody(body: unknown): ErrorFields {
  const fields = errorFields(body);
  assert.ok(typeof fields !== "string", `${fields}: ${JSON.stringify(body)}`);
  return fields;
}

/** Reads a JSON error answer and checks status, content type, shape and type/status pairing. */
export async function expectError(
  res: Response,
  status: number,
  type: string,
): Promise<ErrorFields> {
  assert.equal(res.status, status);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const error = assertErrorBody(await res.json());
  assert.equal(error.type, type);
  assert.ok(ERROR_STATUSES[type]!.includes(status), `${type} with status ${status}`);
  return error;
}

export type Events = ReturnType<typeof parseSse>;

/** Reads a 200 SSE answer whole. */
export async function readStream(res: Response): Promise<Events> {
  assert.equal(res.status, 200, res.status === 200 ? "" : await res.clone().text());
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  return parseSse(await res.text());
}

/** A complete answer: message_start first, message_stop last, no error in between. */
export function assertComplete(events: Events, clientModel: string): void {
  assert.equal(events[0]?.event, "message_start");
  const message = events[0]!.data.message as Record<string, unknown>;
  assert.equal(message.model, clientModel);
  assert.equal(events.at(-1)?.event, "message_stop");
  assert.ok(!events.some((e) => e.event === "error"), JSON.stringify(events));
}

/** The stream's last event is a well-formed `event: error`; returns its error fields. */
export function assertErrorFrame(events: Events): ErrorFields {
  const last = events.at(-1);
  assert.equal(last?.event, "error", JSON.stringify(events.map((e) => e.event)));
  return assertErrorBody(last!.data);
}

/** ccp and its upstreams, torn down together. */
export interface Env {
  ccp: RunningCcp;
  send(model?: string, init?: { stream?: boolean }): Promise<Response>;
  health(): Promise<Health>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface Health {
  resilience: {
    providers: Record<string, {
      keys: Array<
        {
          label: string;
          state: string;
          status?: number;
          models?: Record<string, unknown>;
          setAside?: Record<string, unknown>;
        }
      >;
      limiter: { active: number; queued: number };
    }>;
    targets: Record<string, { state: string; failures: number }>;
  };
}

export function setup(mocks: FaultMock[], config: Config, registry: RegistryOptions = {}): Env {
  const ccp = startCcp(config, { registry: new ResilienceRegistry(registry) });
  return {
    ccp,
    send: (model = "claude-opus-5-5", init = {}) =>
      postMessages(ccp.url, messageBody(model, init.stream ?? true), {
        "anthropic-version": "2023-06-01",
      }),
    health: async () => await (await fetch(`${ccp.url}/health`)).json(),
    async [Symbol.asyncDispose]() {
      await ccp.close();
      await Promise.all(mocks.map((m) => m.close()));
    },
  };
}

export function messageBody(model: string, stream: boolean): Record<string, unknown> {
  return { model, max_tokens: 64, messages: [{ role: "user", content: "hi" }], stream };
}

export function at(
  mock: FaultMock,
  id: string,
  over: Partial<ProviderConfig> = {},
): ProviderConfig {
  return provider(id, { baseUrl: mock.url, timeouts: FAST, ...over });
}

/** Waits (bounded) until `check` holds. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 1000,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export const status = (code: number, retryAfter?: number, message?: string): Fault => ({
  kind: "status",
  status: code,
  retryAfter,
  message,
});
