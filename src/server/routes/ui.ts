/**
 * The status page: GET /ui (the page; /ui/ leads there), /ui/state (its data), /ui/events (live updates as
 * server-sent events), /ui/uplot.js and /ui/uplot.css (the chart library, embedded in ccp).
 *
 * A browser cannot send ccp's token as a header, so `/ui?token=<token>` answers the page with a
 * session cookie (random, HttpOnly, SameSite=Strict, gone when the browser closes) that its own
 * requests then carry; the page takes the token out of the address bar and the history itself.
 * (A redirect to /ui did that too, but a client that follows redirects without keeping cookies
 * then got 401 instead of the page.) The page and its data live at /ui whatever routing prefix
 * the request came under: the prefix chooses a model, and the page has none to choose.
 *
 * The page names its parts by addresses relative to its own (`ui/state`), and its cookie has no
 * Path, so the browser keeps it for the page's directory: behind a reverse proxy that serves ccp
 * under a path (`/ccp/ui`) the page loads through that path, and the cookie goes to ccp's pages
 * only, not to every site the proxy serves on that host. A browser sends a host's cookies to all
 * its ports, so the cookie's name carries the port the page was reached at: two ccp on one machine
 * (8082 and 8083) keep their own sessions, and opening one page does not log the other out.
 */

import type { Hono } from "hono";
import { authRequired } from "../clients.ts";
import type { AppEnv, ServerDeps } from "../deps.ts";
import { RecentRequests } from "../../observe/recent.ts";
import { lazyImport } from "../../core/lazy_modules.ts";

// The page and its chart library (~60 KB of source) load with the first visit to the page.
const page = async () => (await lazyImport("observe/ui/page.ts")).UI_PAGE;
const uplot = () => lazyImport("observe/ui/vendor/uplot.ts");

const COOKIE = "ccp_ui";
/** Events queued for a page that stopped reading, before its stream is ended. */
const MAX_BACKLOG = 1000;

// Nothing but ccp itself: no CDN, no fonts, no other host, even if a value slipped into the page.
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": "default-src 'none'; script-src 'self' 'unsafe-inline'; " +
    "style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  // The address may still hold ?token= while the page loads its own scripts and data.
  "referrer-policy": "no-referrer",
};

/**
 * Browser sessions kept. Each visit of `/ui?token=` opens one (a script polling it would open one
 * per call), and a cookie lasts until its browser closes, which ccp never hears of: past this
 * many, the oldest session is forgotten, and its page asks for the token again.
 */
export const MAX_UI_SESSIONS = 256;

/** Browser sessions opened with the token; they last as long as this process, bounded. */
export class UiSessions {
  readonly #ids = new Set<string>();

  /** A new session id for a browser that presented the token. */
  open(): string {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    const id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    this.#ids.add(id);
    if (this.#ids.size > MAX_UI_SESSIONS) this.#ids.delete(this.#ids.values().next().value!);
    return id;
  }

  /** Sessions held (for tests and bounds). */
  get size(): number {
    return this.#ids.size;
  }

  /** True when the request carries a session cookie (named `named`) this process issued. */
  holds(headers: Headers, named: string): boolean {
    const cookie = headers.get("cookie") ?? "";
    for (const part of cookie.split(";")) {
      const [name, value] = part.trim().split("=", 2);
      if (name === named && value !== undefined && this.#ids.has(value)) return true;
    }
    return false;
  }
}

/** The session cookie's name for a page reached at `url` (its port, when the address has one). */
function uiCookieName(url: URL): string {
  return url.port === "" ? COOKIE : `${COOKIE}_${url.port}`;
}

/** True for the status page's paths. */
export function isUiPath(path: string): boolean {
  return path === "/ui" || path.startsWith("/ui/");
}

/** True when a /ui request carries a session cookie this process issued for the page. */
export function uiSession(sessions: UiSessions, request: Request): boolean {
  return sessions.holds(request.headers, uiCookieName(new URL(request.url)));
}

/** The token a browser brings to the page itself as `/ui?token=`, if any. */
export function uiQueryToken(request: Request, path: string): string | undefined {
  if (path !== "/ui" && path !== "/ui/") return undefined;
  return new URL(request.url).searchParams.get("token") ?? undefined;
}

/** Adds the status page's routes. */
export function addUiRoutes(
  app: Hono<AppEnv>,
  deps: ServerDeps,
  recent: RecentRequests,
  sessions: UiSessions,
): void {
  app.get("/ui", async (c) => {
    // A token the gate let through (the operator's) and ?token= open a browser session.
    const url = new URL(c.req.url);
    const opened = c.env.identity !== undefined && url.searchParams.has("token");
    if (authRequired(deps.config().server) && opened) {
      const cookie = `${uiCookieName(url)}=${sessions.open()}; HttpOnly; SameSite=Strict`;
      return new Response(await page(), { headers: { ...PAGE_HEADERS, "set-cookie": cookie } });
    }
    return new Response(await page(), { headers: PAGE_HEADERS });
  });
  // `/ui/` is the same page, but the page's relative addresses would resolve under it
  // (`/ui/ui/state`): the browser goes to `/ui` instead, token and all. The address is relative so
  // that a routing prefix or a reverse proxy's path stays in it.
  app.get("/ui/", (c) => c.redirect(`../ui${new URL(c.req.url).search}`));
  app.get("/ui/uplot.js", async () =>
    new Response((await uplot()).UPLOT_JS, {
      headers: {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "max-age=86400",
      },
    }));
  app.get("/ui/uplot.css", async () =>
    new Response((await uplot()).UPLOT_CSS, {
      headers: { "content-type": "text/css; charset=utf-8", "cache-control": "max-age=86400" },
    }));
  app.get("/ui/state", async (c) =>
    c.json(
      await (await lazyImport("observe/ui/state.ts")).uiState({
        config: deps.config(),
        snapshot: deps.registry.snapshot(deps.config().providers),
        inflight: deps.metrics.inflight,
        recent,
        version: deps.version,
        ...(deps.ledger ? { ledger: deps.ledger } : {}),
        ...(deps.shortContexts ? { shortContexts: deps.shortContexts } : {}),
      }),
    ));
  app.get("/ui/events", (c) => {
    const encoder = new TextEncoder();
    let stop = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        let ended = false;
        const send = (event: string, data: string) => {
          if (ended) return;
          // A page that stopped reading (a stalled proxy, a frozen tab) would otherwise hold an
          // event per request forever; ended, its EventSource reconnects and reloads the state.
          if ((controller.desiredSize ?? 0) < -MAX_BACKLOG) {
            ended = true;
            stop();
            controller.close();
            return;
          }
          controller.enqueue(encoder.encode(`event: ${event}\ndata: ${data}\n\n`));
        };
        send("inflight", String(deps.metrics.inflight));
        const unsubscribe = recent.subscribe((e) => {
          send("inflight", String(deps.metrics.inflight));
          if (e.kind === "ended") send("request", JSON.stringify(e.request));
        });
        // A comment now and then keeps proxies from closing a quiet stream.
        const ping = setInterval(() => controller.enqueue(encoder.encode(": ping\n\n")), 15_000);
        const end = () => {
          stop();
          try {
            controller.close();
          } catch {
            // Already closed.
          }
        };
        stop = () => {
          ended = true;
          unsubscribe();
          clearInterval(ping);
          deps.draining?.removeEventListener("abort", end);
        };
        c.req.raw.signal.addEventListener("abort", end);
        // ccp is stopping: the page reconnects to the next one by itself.
        if (deps.draining?.aborted) end();
        else deps.draining?.addEventListener("abort", end);
      },
      cancel: () => stop(),
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
    });
  });
}
