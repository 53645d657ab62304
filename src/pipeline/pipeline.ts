/**
 * The one way a request goes: the route's chain through the dispatcher (failover, retries, keys,
 * limits, breakers), the chosen transport, the answer opened for the client, and the request's
 * record filled in and handed to the observers. Route handlers only parse, resolve, call this
 * and respond.
 */

import type { Config, ModelSettings } from "../config/types.ts";
import { messageOf, type ProxyError, toProxyError, UpstreamError } from "../core/errors.ts";
import { configuredKeys, scrubSecrets } from "../core/secrets.ts";
import { RequestText } from "../core/request_text.ts";
import { type Dispatched, Dispatcher, type DispatchTarget } from "../resilience/dispatcher.ts";
import { transformsFor } from "./transforms.ts";
import { recordedAttempt } from "./attempt.ts";
import { answerHooks, linkedAbort } from "./answer_hooks.ts";
import type { Answer, AttemptSuccess, ChainRequest } from "../upstream/transport.ts";
import { planWebTools } from "../webtools/plan.ts";
import { balance, follow } from "./balance.ts";
import type { KeyAffinity } from "../resilience/key_choice.ts";
import { type CountRecord, NO_PROVIDER } from "./record.ts";
import { Recorder, type RecordStart } from "./recorder.ts";
import { routeHeaders } from "./route_headers.ts";
import { lazyImport } from "../core/lazy_modules.ts";
import type { Count, CountCall, Delivery, MessagesCall, PipelineDeps } from "./calls.ts";
import { credentialRef } from "../upstream/http/headers.ts";
import type { CredentialRef } from "../resilience/credential_holds.ts";
import { priceAttempt } from "../usage/prices.ts";
import { traceStart } from "../observe/tracing/trace_context.ts";
import { START_OLLAMA } from "../upstream/ollama/context.ts";
import { chainOf, chainWindows } from "./chain.ts";
import type { DispatcherOptions } from "../resilience/dispatcher_options.ts";
import { pdfsAsText } from "./pdf_texts.ts";
import { passedTarget } from "../resilience/passed_over.ts";

/** Who a request is sent as: the client's own credential (passthrough), the session's keys. */
interface Sender {
  readonly credential: CredentialRef | undefined;
  readonly keys: KeyAffinity | undefined;
}

/** What each round of ccp's web tools is sent through: the rest of the route. */
interface WebRounds {
  readonly chain: readonly DispatchTarget[];
  readonly variants: ReadonlyMap<DispatchTarget, ModelSettings>;
  readonly dispatcher: (
    sent: ChainRequest,
    text: RequestText,
    options?: DispatchOptions,
  ) => Dispatcher<AttemptSuccess>;
}

/** The chain's windows; `lastResort: false` for the head of a route whose rest is served apart. */
type DispatchOptions = Pick<DispatcherOptions<AttemptSuccess>, "windows" | "lastResort">;

/** Runs requests from the route handlers through the chain to an answer. */
export class Pipeline {
  readonly #deps: PipelineDeps;

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
  }

  /** Starts the record of a request that just arrived. */
  begin(start: RecordStart): Recorder {
    return new Recorder(start, this.#deps.observers, this.#deps.log);
  }

  /** Sends a Messages request through its route's chain and opens the first answer. */
  async messages(call: MessagesCall): Promise<Delivery> {
    const { body, resolution, recorder } = call;
    const config = this.#deps.config();
    Object.assign(recorder.record, {
      clientModel: body.model,
      stream: body.stream === true,
      route: resolution.route,
      rule: resolution.rule,
      // Decided before the first attempt: each one carries the trace on to its upstream.
      ...(config.tracing ? { trace: traceStart(recorder.record.traceparent, config.tracing) } : {}),
    });
    const { signal, abort } = linkedAbort(call.signal);
    const request = this.#chainRequest(call, signal, config);
    // Kept out of what is logged of upstream errors; read only if one is.
    const text = new RequestText(body);
    recorder.leaveOut(text);
    const balanced = await balance(
      resolution,
      call,
      config,
      this.#deps.registry,
      this.#deps.sharedGuards?.affinity,
    );
    const { chain, variants } = chainOf(balanced.resolution, config, this.#deps.registry.windows);
    // A try refused for max_tokens and sent again fitted is no failed one in the record. The
    // recorder itself, not a closure over it: a closure made here per request cost ~45 us of
    // CPU per small request (+11 % in alternated bench rounds).
    variants.refits = recorder;
    // Hashed once per request, and only when a target is sent the client's own credential.
    const credential = chain.some((t) => t.provider.auth === "passthrough")
      ? await credentialRef(request.clientHeaders)
      : undefined;
    const who = { credential, keys: balanced.keys };
    const dispatcher = (sent: ChainRequest, sentText: RequestText, options?: DispatchOptions) =>
      this.#dispatcher(
        sent,
        variants,
        resolution.routeKey,
        recorder,
        who,
        config,
        sentText,
        options,
      );
    const relay = async (targets: readonly DispatchTarget[], lastResort: boolean) => {
      const windows = await chainWindows(targets, variants, request);
      if (windows) recorder.record.passed = windows.passed;
      const dispatched = await dispatcher(request, text, { windows, lastResort }).dispatch(
        targets,
        signal,
      );
      notePassed(recorder, dispatched);
      balanced.served(dispatched.target);
      const delivery = await this.#opened(dispatched, recorder, abort);
      // An open stream does not keep the request's history: its errors are not checked against it.
      text.release();
      return delivery;
    };
    // Web server tools that the route's upstreams do not run: ccp runs them, one round at a time
    // (the web tools' modules load on the first such request).
    const web = planWebTools(body, config, chain);
    if (!web) return await relay(chain, true);
    if (web.relayed > 0) {
      // The first targets run them upstream: the request goes there as it came, and only when
      // none of them answers does the rest of the route get ccp's handling.
      try {
        return await relay(chain.slice(0, web.relayed), false);
      } catch (err) {
        if (signal.aborted) throw err;
        // Each failed attempt was logged already, with what the upstream said.
        this.#deps.log.info(
          "web tools: no target that runs them upstream answered; the rest of the route serves " +
            "the request with ccp's web tools",
        );
      }
    }
    const rest = chain.slice(web.relayed);
    const round = { chain: rest, variants, dispatcher };
    const answer = await this.#webTools(web, request, round, recorder, abort);
    // Not released: the loop holds the body until its answer ends, and so may the record.
    return { answer, headers: routeHeaders(recorder) };
  }

  /** Opens the answer that arrived, with the headers that say who served it. */
  async #opened(
    dispatched: Dispatched<AttemptSuccess>,
    recorder: Recorder,
    abort: () => void,
  ): Promise<Delivery> {
    // What the upstream asked to show the client (a passthrough plan's usage), then ccp's own;
    // without the former, ccp's own as made (a fresh object, the handler's to add to).
    const relayed = dispatched.result.relayHeaders;
    const own = routeHeaders(recorder);
    const headers = relayed ? { ...relayed, ...own } : own;
    try {
      const hooks = answerHooks(recorder, abort, this.#deps.shutdown, dispatched.done);
      return { answer: await dispatched.result.open(hooks), headers };
    } catch (err) {
      // An answer that could not even be opened (e.g. unreadable JSON) still frees its slot; one
      // collected while ccp shut down tells the guards what broke it, as a stream's end would.
      dispatched.done(messageOf(err), err instanceof UpstreamError ? err.reported : undefined);
      throw err;
    }
  }

  /** What every attempt of a Messages request is sent from. */
  #chainRequest(call: MessagesCall, signal: AbortSignal, config: Config): ChainRequest {
    const body = call.body;
    let counted = call.inputTokens === undefined ? undefined : Promise.resolve(call.inputTokens);
    const declared = Number(call.headers.get("content-length") ?? NaN);
    const countTokens = this.#deps.countTokens;
    return {
      clientModel: body.model,
      body,
      ...(Number.isFinite(declared) ? { bodyBytes: declared } : {}),
      clientHeaders: call.headers,
      signal,
      fetch: this.#deps.fetch,
      unreachableHint: unreachableHint(config),
      inputTokens: () => (counted ??= countTokens(body)),
      ...(call.inputTokens !== undefined ? { countedInputTokens: call.inputTokens } : {}),
      maxResponseBytes: config.server.maxResponseBytes,
      learned: this.#deps.registry.learned,
      log: this.#deps.log,
    };
  }

  /** Runs the web tools ccp serves itself, each round through the route's chain. */
  async #webTools(
    web: NonNullable<ReturnType<typeof planWebTools>>,
    request: ChainRequest,
    { chain, variants, dispatcher }: WebRounds,
    recorder: Recorder,
    abort: () => void,
  ): Promise<Answer> {
    const { roundEvents, runWebTools } = await lazyImport("webtools/mod.ts");
    return await runWebTools(web, {
      send: (round) =>
        roundEvents(async () => {
          let counted: Promise<number> | undefined; // one count per round, as for a request
          const sent = {
            ...request,
            body: round,
            bodyBytes: undefined,
            inputTokens: () => (counted ??= this.#deps.countTokens(round)),
            // The routing count was of the first round's body, not this one.
            countedInputTokens: undefined,
          };
          // Each round meets the chain's context windows as a plain request does: a later round
          // carries the pages fetched and the results found, and may outgrow a window the first
          // fitted.
          const windows = await chainWindows(chain, variants, sent);
          try {
            // Each round's text is its own, and never released: the loop holds the round's body
            // until the round ends anyway.
            const dispatched = await dispatcher(sent, new RequestText(round), { windows })
              .dispatch(chain, request.signal);
            notePassed(recorder, dispatched);
            return dispatched;
          } finally {
            if (windows) addPassed(recorder, windows.passed);
          }
        }, this.#deps.shutdown),
      fetch: this.#deps.fetch,
      signal: request.signal,
      ...(this.#deps.resolveHost ? { resolve: this.#deps.resolveHost } : {}),
      hooks: answerHooks(recorder, abort, this.#deps.shutdown),
      log: this.#deps.log,
    });
  }

  /**
   * Counts a request's input tokens: the route's first target (the session's own, with its key,
   * under session affinity) when it is an Anthropic endpoint that counts (through its keys and
   * limits like any request), else locally.
   */
  async countTokens(call: CountCall): Promise<Count> {
    const config = this.#deps.config();
    const { target: first, keys } = follow(call.resolution, call, config, this.#deps.registry);
    const provider = first ? config.providers[first.provider] : undefined;
    const { countTokens: count, registry: { learned } } = this.#deps;
    const asText = first && provider && // PDFs sent as text count as text
      await pdfsAsText(call.body, { ...first, provider }, learned);
    if (first && provider?.type === "anthropic" && provider.countTokens) {
      // Forwarding a count loads with the first count forwarded.
      const { countUpstream } = await lazyImport("pipeline/count_upstream.ts");
      const counted = await countUpstream({
        target: { provider, model: first.model, settings: first.settings },
        body: call.body,
        headers: call.headers,
        signal: call.signal,
        fetch: this.#deps.fetch,
        registry: this.#deps.registry,
        log: this.#deps.log,
        ...(keys ? { keys } : {}),
      });
      if (counted !== undefined) {
        this.#counted({ provider: provider.id, model: first.model, via: "upstream" });
        return { inputTokens: counted, via: `${provider.id}/${first.model}` };
      }
    }
    const inputTokens = await (asText ? count(asText) : call.inputTokens ?? count(call.body));
    this.#counted({
      provider: first?.provider ?? NO_PROVIDER,
      model: first?.model ?? NO_PROVIDER,
      via: "local",
    });
    return { inputTokens, via: "local" };
  }

  // An observer that throws must not take the count (or the other observers) down with it.
  #counted(record: CountRecord): void {
    for (const observer of this.#deps.observers) {
      try {
        observer.counted?.(record);
      } catch (error) {
        this.#deps.log.error(`request observer failed: ${messageOf(error)}`);
      }
    }
  }

  /** Ends the record of a request that failed before its answer opened; returns what to send. */
  failed(recorder: Recorder, err: unknown, clientGone: boolean): ProxyError {
    const error = toProxyError(err);
    // The last check before text that may quote an upstream reaches the client or the log.
    error.message = scrubSecrets(error.message, configuredKeys(this.#deps.config()));
    // A refusal that tried no target but names one (a spent budget) is that target's record.
    if (error instanceof UpstreamError && error.target && recorder.record.provider === undefined) {
      recorder.record.provider = error.target.provider;
      recorder.record.model = error.target.model;
      if (error.target.budget !== undefined) recorder.record.budget = error.target.budget;
    }
    if (!recorder.ended) {
      recorder.end(
        clientGone ? { status: 499, outcome: "cancelled", error: "client disconnected" } : {
          status: error.status,
          outcome: "error",
          errorType: error.errorType,
          error: error.message,
        },
      );
    }
    return error;
  }

  #dispatcher(
    request: ChainRequest,
    variants: ReadonlyMap<DispatchTarget, ModelSettings>,
    routeKey: string | undefined,
    recorder: Recorder,
    { credential, keys }: Sender,
    // The config the request started with: a reload while it retries does not change its body.
    config: Config,
    text: RequestText,
    { windows, lastResort }: DispatchOptions = {},
  ): Dispatcher<AttemptSuccess> {
    const transports = this.#deps.transports;
    const budgets = this.#deps.budgets;
    const client = recorder.record.client ?? "default";
    return new Dispatcher<AttemptSuccess>({
      registry: this.#deps.registry,
      log: this.#deps.log,
      ...(budgets
        ? { overBudget: (ref) => budgets.spentBudget(client, ref.provider, ref.model) }
        : {}),
      ...(this.#deps.sharedGuards ? { shared: this.#deps.sharedGuards } : {}),
      ...(credential ? { credential } : {}),
      ...(keys ? { affinity: keys } : {}),
      ...(windows ? { windows } : {}),
      ...(lastResort === false ? { lastResort } : {}),
      text,
      ...(budgets?.sharedChecks
        ? { sharedBudgets: (ref) => budgets.sharedChecks!(client, ref.provider, ref.model) }
        : {}),
      attempt: (target, key, signal) => {
        priceAttempt(recorder.record, config, target, variants.get(target));
        return recordedAttempt({
          request,
          target,
          key,
          signal,
          transports,
          // Declared transforms apply here only, per attempt: a failover target may have its own.
          changes: transformsFor(config, routeKey, target.provider.id),
          settings: variants.get(target),
          text,
          ...(this.#deps.shutdown ? { shutdown: this.#deps.shutdown } : {}),
          ...(credential && target.provider.auth === "passthrough"
            ? { credentialLabel: credential.label }
            : {}),
        }, recorder);
      },
      // A success that arrives after the client left is opened and cancelled, freeing the upstream.
      discard: (result) =>
        void result.open({ onEnd: () => {}, onCancel: () => {} })
          .then((answer) => {
            if (answer.kind === "stream") answer.body.cancel().catch(() => {});
          })
          .catch(() => {}),
    });
  }
}

/** Advice for a connection error when ccp runs on its embedded default. */
function unreachableHint(config: Config): string | undefined {
  if (config.source.kind !== "default") return undefined;
  // From a source checkout there is no `ccp` on the PATH: the quick start runs deno task.
  const ccp = Deno.build.standalone ? "ccp" : "deno task start";
  // Kept short: the whole message is cut at 300 characters, and the command to start Ollama with
  // the context Claude Code needs is the part to keep.
  return "No config, so ccp uses its built-in default, a local Ollama: start it " +
    `(\`${START_OLLAMA}\`), or run \`${ccp} init\` / set MODEL=provider/model`;
}

/**
 * Adds the targets `dispatched` was not sent to, and why, to the record (the log line and
 * `x-ccp-passed`). A web tools answer dispatches once a round: a target passed again in a later
 * round is named once, with the reason it was first passed for.
 */
function notePassed(recorder: Recorder, dispatched: Dispatched<AttemptSuccess>): void {
  if (!dispatched.passed) return;
  addPassed(recorder, dispatched.passed);
  recorder.record.passedNote ??= dispatched.passedNote;
}

/** Adds the targets `passed` names that the record does not name yet. */
function addPassed(recorder: Recorder, passed: readonly string[]): void {
  const record = recorder.record;
  const named = new Set(record.passed?.map(passedTarget));
  const fresh = passed.filter((p) => !named.has(passedTarget(p)));
  if (fresh.length > 0) record.passed = [...(record.passed ?? []), ...fresh];
}
