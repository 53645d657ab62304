/** The Hono application: every route, auth, routing prefixes and Anthropic-shaped errors. */

// The npm package gives the types; the code is its ES-module build bundled into one file
// (scripts/vendor_npm.ts), so a start resolves no npm package.
// @ts-types="hono"
import { Hono } from "./vendor/hono.js";
import { ProxyError } from "../core/errors.ts";
import { authRequired, identify } from "./clients.ts";
import { refusalLog } from "./refusal_log.ts";
import { FormerTokens } from "./former_tokens.ts";
import { logObserver } from "../pipeline/log_observer.ts";
import { Pipeline } from "../pipeline/pipeline.ts";
import { PEER_HEADER } from "./guard_head.ts";
import { DepartureWatcher, type Peer } from "./departures.ts";
import type { AppDeps, AppEnv, ServerDeps } from "./deps.ts";
import { errorResponse } from "./responses.ts";
import { newRequestId } from "../translate/anthropic/ids.ts";
import { splitRoutingPrefix } from "./url_prefix.ts";
import { misplacedPathAdvice, pageHint } from "./misplaced_path.ts";
import { countTokensHandler } from "./routes/count_tokens.ts";
import { messagesHandler } from "./routes/messages.ts";
import { NO_ROUTE } from "../pipeline/record.ts";
import { modelHandler, modelsHandler } from "./routes/models.ts";
import { sessionUsageHandler, usageHandler } from "./routes/usage.ts";
import { Metrics } from "../observe/metrics.ts";
import { requestCost } from "../usage/prices.ts";
import { RecentRequests } from "../observe/recent.ts";
import { configuredTargets } from "../observe/target_keys.ts";
import { addUiRoutes, isUiPath, uiAllows, UiSessions } from "./routes/ui.ts";
import { isForeignOrigin, isPreflight, preflight, refuseOrigin, withCors } from "./cors.ts";
import { reboundHost, refuseRebound } from "./rebinding.ts";

/** GET /health answers without a token (the HEAD probes never reach the router). */
function isPublic(path: string): boolean {
  return path === "/health";
}

/** What Deno.serve tells a handler about the connection. */
export interface ConnectionInfo {
  readonly remoteAddr?: Deno.Addr;
}

function peerOf(info: ConnectionInfo | undefined, request: Request, url: URL): Peer | undefined {
  const addr = info?.remoteAddr;
  const localPort = url.port ? Number(url.port) : undefined;
  const local = localPort ? { localPort } : {};
  if (addr?.transport === "tcp") return { hostname: addr.hostname, port: addr.port, ...local };
  // Behind the connection guard (a private Unix socket) the guard says who the client is.
  const guarded = addr?.transport === "unix" ? request.headers.get(PEER_HEADER) : null;
  if (!guarded) return undefined;
  // `host:port#n`, read from its end (an IPv6 host has colons of its own).
  const hash = guarded.lastIndexOf("#");
  const colon = hash < 0 ? -1 : guarded.lastIndexOf(":", hash);
  const port = guarded.slice(colon + 1, hash);
  const connection = guarded.slice(hash + 1);
  if (colon < 0 || !DIGITS.test(port) || !DIGITS.test(connection)) return undefined;
  return {
    hostname: guarded.slice(0, colon),
    port: Number(port),
    ...local,
    reported: true,
    connection: Number(connection),
  };
}

const DIGITS = /^\d+$/;

/** Builds the server; `fetch` is what `Deno.serve` calls. */
export function createApp(
  appDeps: AppDeps,
): { fetch: (request: Request, info?: ConnectionInfo) => Promise<Response> } {
  const metrics = new Metrics({ costOf: (record) => requestCost(appDeps.config(), record) });
  const recent = new RecentRequests();
  const sessions = new UiSessions();
  const deps: ServerDeps = {
    ...appDeps,
    metrics,
    departures: appDeps.departures ?? new DepartureWatcher(),
    pipeline: new Pipeline({
      ...appDeps,
      observers: [
        logObserver(appDeps.log),
        ...appDeps.ledger ? [appDeps.ledger] : [],
        metrics,
        recent,
        ...appDeps.observers ?? [],
      ],
      ...(appDeps.ledger ? { budgets: appDeps.ledger } : {}),
    }),
  };
  const app = new Hono<AppEnv>();
  const noteRefusal = refusalLog(appDeps.log);
  const formerTokens = new FormerTokens();

  app.use(async (c, next) => {
    const server = deps.config().server;
    const path = c.env.path;
    const tracking = formerTokens.track(server.clients);
    if (tracking) await tracking;
    const identity = identify(c.req.raw.headers, server);
    if (identity) c.env.identity = identity;
    if (
      !identity && !isPublic(path) &&
      !(isUiPath(path) && uiAllows(sessions, c.req.raw, path, server))
    ) {
      const requestId = newRequestId();
      noteRefusal({
        method: c.req.method,
        path,
        requestId,
        userAgent: c.req.header("user-agent"),
        headers: c.req.raw.headers,
        clients: (server.clients?.length ?? 0) > 0,
        former: await formerTokens.whose(c.req.raw.headers),
      });
      // A wrong token stays wrong: Claude Code would retry the 401 up to 10 times (minutes) and
      // then say "Not logged in · Please run /login", hiding this message. It obeys
      // `x-should-retry: false` and shows the message at once.
      // Refused before a request record exists, yet with a request id, as Anthropic's answers
      // all have one (the SDKs show it as the error's `requestID`).
      throw new ProxyError(
        "authentication_error",
        "Invalid or missing API key: send ccp's auth token as ANTHROPIC_AUTH_TOKEN " +
          "(Authorization: Bearer), x-api-key or anthropic-auth-token",
        { headers: { "x-should-retry": "false", "request-id": requestId } },
      );
    }
    // Closed mode: no request is served on local state while a shared engine is away. A Messages
    // request is refused by its handler, so the refusal is a request record like any other.
    const messages = path === "/v1/messages";
    const refusal = c.req.method === "POST" && !messages ? deps.shared?.refusal() : undefined;
    if (refusal) throw refusal;
    await next();
    // Every answer of the API has an id, as Anthropic's do (the SDKs' `_request_id`); the
    // Messages answers carry their record's.
    // (Reading an answer's headers builds a Headers object for it: skipped where the id is known.)
    if (path.startsWith("/v1/") && !c.env.answersWithId && !c.res.headers.has("request-id")) {
      try {
        c.res.headers.set("request-id", newRequestId());
      } catch {
        // A response whose headers are fixed (one relayed as it came) goes without.
      }
    }
  });

  const status = () => ({ status: "ok", name: "ccp", version: deps.version });
  app.get("/", (c) => c.json(status()));
  app.get("/health", (c) => {
    // Without the token, /health says that ccp is up (and that it is ccp, so `ccp code` can tell
    // it from another program on the port without sending that program the token) and whether
    // its shared engines are reachable, which a load balancer's check may want; provider ids,
    // models, key labels and upstream error text are for the operator.
    const state = deps.shared?.state() ?? {};
    const shared = deps.shared ? { shared: state } : {};
    // Closed mode with an engine away refuses every request: a load balancer's check says so too.
    const refusal = deps.shared?.refusal();
    // The refusal names the engine's host, user or file: without the token, only which is away.
    const away = Object.keys(state).filter((name) => !state[name]?.reachable);
    const reason = c.env.identity
      ? refusal?.message
      : `${away.map((name) => `shared.${name}`).join(", ")} unreachable (on_unavailable: closed)`;
    const health = refusal
      ? { status: "unavailable", reason, name: "ccp" }
      : { status: "ok", name: "ccp" };
    const answer = (body: Record<string, unknown>) =>
      refusal ? c.json(body, 503, { "Retry-After": "5" }) : c.json(body);
    if (!c.env.identity) return answer({ ...health, ...shared });
    return answer({
      ...health,
      version: deps.version,
      uptime_s: Math.round((Date.now() - deps.startedAt.getTime()) / 1000),
      config: deps.config().source.kind,
      // Key pools, limiters and circuit breakers: why a target is being skipped, if it is.
      resilience: deps.registry.snapshot(deps.config().providers),
      ...shared,
    });
  });
  app.post("/v1/messages", messagesHandler(deps));
  app.post("/v1/messages/count_tokens", countTokensHandler(deps));
  app.get("/v1/models", modelsHandler(deps.config, deps.startedAt));
  app.get("/v1/models/:id{.+}", modelHandler(deps.config, deps.startedAt));
  app.get("/v1/ccp/usage", usageHandler(deps.ledger));
  app.get("/v1/ccp/usage/session/:id", sessionUsageHandler(deps.ledger));
  addUiRoutes(app, deps, recent, sessions);
  app.get("/metrics", () =>
    new Response(
      metrics.render({
        resilience: () => deps.registry.snapshot(deps.config().providers),
        version: deps.version,
        startedAt: deps.startedAt,
        ...(deps.shared ? { shared: () => deps.shared!.state() } : {}),
        targets: () => configuredTargets(deps.config()),
        ...(deps.ledger
          ? {
            ledgerDropped: () => ({ ...deps.ledger!.dropped }),
            budgets: () =>
              deps.ledger!.budgets().states().map((b) => ({
                label: b.label,
                used: b.limit > 0 ? b.spent / b.limit : 0,
                exhausted: b.exhausted,
              })),
          }
          : {}),
      }),
      { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } },
    ));

  app.notFound((c) => {
    const what = `${c.req.method} ${c.env.path}`;
    // The Host header, not the request URL: behind the connection guard that is a socket's.
    const advice = misplacedPathAdvice(c.env.path, `http://${c.req.header("host") ?? "127.0.0.1"}`);
    if (!advice) {
      const page = pageHint(c.req.method, c.env.path);
      const hint = page === undefined ? "" : `; ${page}`;
      return errorResponse(new ProxyError("not_found_error", `Not found: ${what}${hint}`));
    }
    deps.log.warn(`Not found: ${what}: ${advice}`);
    // Claude Code shows any 404 as "an issue with the selected model" and hides the message; a
    // 400 it shows whole, and the fault is the client's base URL, which the message names.
    return errorResponse(new ProxyError("invalid_request_error", `Not found: ${what}; ${advice}`));
  });
  app.onError((err, c) => {
    if (!(err instanceof ProxyError)) deps.log.error(`Unhandled error: ${err.stack ?? err}`);
    // A Messages request refused before its handler ran (auth) was routed nowhere.
    const messages = c.req.method === "POST" && c.env.path === "/v1/messages";
    const answer = errorResponse(err, messages ? { "x-ccp-route": NO_ROUTE } : {});
    // Refused before a handler ran (closed mode), yet an API answer: it has an id, as all do.
    if (c.env.path.startsWith("/v1/") && !answer.headers.has("request-id")) {
      answer.headers.set("request-id", newRequestId());
    }
    return answer;
  });

  const serve = async (request: Request, info?: ConnectionInfo): Promise<Response> => {
    const url = new URL(request.url);
    const { path, prefix } = splitRoutingPrefix(url.pathname);
    // Connectivity probes: answered before routing, auth and everything else.
    if (request.method === "HEAD" && (path === "/" || path === "/api/hello")) {
      return new Response(null, { status: 200 });
    }
    let routed = request;
    if (path !== url.pathname) {
      url.pathname = path;
      routed = new Request(url, request);
    }
    // Hono matches on the request URL; the bindings carry what the routes need to know.
    return await app.fetch(routed, {
      path,
      routePrefix: prefix,
      peer: peerOf(info, request, url),
    });
  };
  return {
    fetch: async (request, info) => {
      // Browser clients: pages of other sites not listed are refused; for listed ones a preflight
      // is answered here, unasked for a token, and every answer says which page may read it.
      const server = deps.config().server;
      // Without a token, a browser's request under a name a DNS answer could point here.
      const rebound = authRequired(server) ? undefined : reboundHost(request.headers);
      if (rebound !== undefined) return refuseRebound(rebound);
      const cors = server.cors;
      const origin = request.headers.get("origin");
      if (origin !== null && isForeignOrigin(origin, new URL(request.url).host, cors)) {
        return refuseOrigin(origin);
      }
      if (!cors) return await serve(request, info);
      if (isPreflight(request)) return preflight(cors, request);
      return withCors(cors, request, await serve(request, info));
    },
  };
}
