/**
 * Which client session a request belongs to, for session affinity: Claude Code's
 * `x-claude-code-session-id` header, else the session inside `metadata.user_id` (older versions
 * write `user_<hash>_account_<uuid>_session_<uuid>`, newer ones a JSON string with
 * `session_id`), else that whole user id (one user's requests stay together). Pure.
 */

import type { HeaderReader } from "../core/headers.ts";

/** Longer ids are no session handle a client sends, and are not kept. */
export const MAX_SESSION_CHARS = 256;

function usable(id: string | undefined): string | undefined {
  const trimmed = id?.trim();
  return trimmed && trimmed.length <= MAX_SESSION_CHARS ? trimmed : undefined;
}

function fromUserId(userId: string): string | undefined {
  if (userId.trimStart().startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(userId);
      const id = (parsed as { session_id?: unknown } | null)?.session_id;
      if (typeof id === "string") return usable(id);
    } catch {
      // Not JSON after all: the text itself is the id.
    }
  }
  const marker = userId.lastIndexOf("_session_");
  if (marker >= 0) return usable(userId.slice(marker + "_session_".length));
  return usable(userId);
}

/**
 * Claude Code's `x-claude-code-session-id`, when it is one. The request's record keeps it too:
 * the ledger keys a session's totals by it, and a store refuses a key past a couple of KiB.
 */
export function sessionHeader(headers: HeaderReader): string | undefined {
  return usable(headers.get("x-claude-code-session-id") ?? undefined);
}

/** The request's session id, or undefined when it names none. */
export function sessionIdOf(
  headers: HeaderReader,
  body: Record<string, unknown>,
): string | undefined {
  const header = sessionHeader(headers);
  if (header) return header;
  const metadata = body.metadata;
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const userId = (metadata as { user_id?: unknown }).user_id;
  return typeof userId === "string" ? fromUserId(userId) : undefined;
}
