/**
 * The Hono application: every route in one list, behind the request gate (gate.ts, the token and
 * closed mode), with the answers no route gives (fallback_answers.ts); before Hono, the routing
 * prefix, the browser checks and who the client is.
 */

// The npm package gives the types; the code is its ES-module build bundled into one file
// (scripts/vendor_npm.ts), so a start resolves no npm package.
// @ts-types="hono"
import { Hono } from "./vendor/hono.js";
import { authRequired } from "./clients.ts";
import { logObserver } from "../pipeline/log_observer.ts";
import { Pipeline } from "../pipeline/pipeline.ts";
import { PEER_HEADER } from "./guard_head.ts";
import { DepartureWatcher, type Peer } from "./departures.ts";
import type { AppDeps, AppEnv, ServerDeps } from "./deps.ts";
import { splitRoutingPrefix } from "./url_prefix.ts";
import { notAProxy } from "./misplaced_path.ts";
import { errorResponse } from "./responses.ts";
import { errorHandler, notFoundHandler } from "./fallback_answers.ts";
import { requestGate } from "./gate.ts";
import { countTokensHandler } from "./routes/count_tokens.ts";
import { healthHandler } from "./routes/health.ts";
import { messagesHandler } from "./routes/messages.ts";
import { metricsHandler } from "./routes/metrics.ts";
import { modelHandler, modelsHandler } from "./routes/models.ts";
import { sessionUsageHandler, usageHandler } from "./routes/usage.ts";
import { Metrics } from "../observe/metrics.ts";
import { requestCost } from "../usage/prices.ts";
import { RecentRequests } from "../observe/recent.ts";
import { addUiRoutes, UiSessions } from "./routes/ui.ts";
import { isForeignOrigin, isPreflight, preflight, refuseOrigin, withCors } from "./cors.ts";
import { reboundHost, refuseRebound } from "./rebinding.ts";

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
        ...appDeps.traces ? [appDeps.traces] : [],
        ...appDeps.observers ?? [],
      ],
      ...(appDeps.ledger ? { budgets: appDeps.ledger } : {}),
    }),
  };
  const app = new Hono<AppEnv>();
  app.use(requestGate(deps, sessions));
  const status = () => ({ status: "ok", name: "ccp", version: deps.version });
  app.get("/", (c) => c.json(status()));
  app.get("/health", healthHandler(deps));
  app.post("/v1/messages", messagesHandler(deps));
  app.post("/v1/messages/count_tokens", countTokensHandler(deps));
  app.get("/v1/models", modelsHandler(deps.config, deps.startedAt));
  app.get("/v1/models/:id{.+}", modelHandler(deps.config, deps.startedAt));
  app.get("/v1/ccp/usage", usageHandler(deps.ledger));
  app.get(
    "/v1/ccp/usage/session/:id",
    sessionUsageHandler(deps.ledger, () => deps.config().server, deps.shortContexts),
  );
  addUiRoutes(app, deps, recent, sessions);
  app.get("/metrics", metricsHandler(deps, metrics));
  app.notFound(notFoundHandler(deps));
  app.onError(errorHandler(deps));

  const serve = async (request: Request, info?: ConnectionInfo): Promise<Response> => {
    const url = new URL(request.url);
    // Before auth: a client sent here as to a proxy carries no token, and should learn why.
    if (request.method === "CONNECT") return errorResponse(notAProxy(url.host));
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
