/**
 * What one refused attempt teaches a learning post (post.ts): the change that answers the
 * refusal -- a beta left out, images or documents replaced by notes, deferred tools resolved, a
 * parameter dropped, an output limit applied -- remembered for that provider and model, and what to send next; or, for
 * a refusal of the output tokens asked for that this key could afford fewer of, what fits.
 */

import type { Logger } from "../../core/log.ts";
import { upstreamMessage } from "../../core/upstream_message.ts";
import type { LearnedParams, LearningProvider } from "../../resilience/learned_params.ts";
import type { OutgoingHeaders } from "./headers.ts";
import { fewerOutputTokens } from "./affordable_output.ts";
import { refusedOutputLimit, withOutputLimits } from "./output_limit.ts";
import {
  betaEntry,
  betasBehindParts,
  learnedBetas,
  refusedBetas,
  withoutBetas,
} from "./refused_betas.ts";
import {
  entryKeysNeeding,
  fieldsNeeding,
  toolsNeeding,
  withoutBetaParts,
} from "../cleaning/beta_parts.ts";
import { NO_DOCUMENTS, refusesDocuments, withoutDocuments } from "./refused_documents.ts";
import { NO_IMAGES, refusesImages, withoutImages } from "./refused_images.ts";
import { NO_DEFERRAL, refusesDeferral, withoutDeferral } from "./refused_deferral.ts";
import { refusedParameter, withoutParams } from "./refused_params.ts";

type Json = Record<string, unknown>;

/** One attempt's body and headers. */
export interface Sent {
  readonly body: Json;
  readonly headers: OutgoingHeaders;
}

/** What to send next, and what to learn for every later request once the retry's answer is in. */
export interface Lesson extends Sent {
  /**
   * Learns what was refused (a beta, a parameter, images, an output limit), unless the answer to
   * the retry without it still reads as its refusal: then the words were the client's own, quoted
   * back by the upstream (a validation error repeating a tool type or a prompt), and one client's
   * request must not change what every other client sends. True when it logged what it learned:
   * that line then stands for the re-send (see {@link resentLine}).
   */
  readonly settle?: (retry: Retried) => boolean;
  /** What was refused and what the next try changes, for the refused try's span and the log. */
  readonly why: string;
}

/** The retry's answer, as a lesson's `settle` reads it. */
export interface Retried {
  readonly ok: boolean;
  readonly status?: number;
  readonly bodyText?: string;
}

/** Where lessons are kept, and for which target. */
export interface Pupil {
  /** The provider: its name for the log, its server for what is learned. */
  readonly provider: LearningProvider;
  readonly model: string;
  readonly learned: LearnedParams;
  readonly log?: Logger;
}

/** Content a model may refuse, replaced once it has: what to look for and what to say. */
const REFUSABLE_CONTENT = [
  {
    entry: NO_IMAGES,
    refuses: refusesImages,
    without: withoutImages,
    why: "images refused: sent again with each replaced by a note",
    said: "does not accept images: sent again with each image replaced by a note, and so from " +
      "now on (or set supports: { images: false })",
  },
  {
    entry: NO_DOCUMENTS,
    refuses: refusesDocuments,
    without: withoutDocuments,
    why: "PDF documents refused: sent again with each replaced by a note",
    said: "does not accept PDF documents: sent again with each document replaced by a note, " +
      "and so from now on (or set supports: { documents: false })",
  },
  {
    entry: NO_DEFERRAL,
    refuses: refusesDeferral,
    without: withoutDeferral,
    why: "deferred tools refused: sent again with them as plain tools",
    said: "does not accept deferred tools: sent again with the tools the history loaded offered " +
      "as plain tools, and so from now on",
  },
] as const;

/** `sent` with everything `known` applied: the first attempt already does without it. */
export function applyLearned(sent: Sent, known: ReadonlySet<string>): Sent {
  let body = withOutputLimits(withoutParams(sent.body, known), known);
  for (const content of REFUSABLE_CONTENT) {
    if (known.has(content.entry)) body = content.without(body);
  }
  // Tools and history blocks that need a refused beta (its fields were learned by name).
  if (known.size > 0) body = withoutBetaParts(body, learnedBetas(known));
  return { body, headers: withoutBetas(sent.headers, known) };
}

/**
 * The betas of `sent` a 400 refuses: those its `anthropic-beta` refusal names, else those behind
 * a part of the body it names (a field, a tool type).
 */
function betasRefused(message: string, bodyText: string | undefined, sent: Sent): string[] {
  const named = refusedBetas(message, sent.headers);
  return named.length > 0 ? named : betasBehindParts(message, bodyText, sent);
}

/** What to send after the refusal `failure` of `sent`; undefined when it teaches nothing. */
export function lessonOf(
  failure: { readonly status?: number; readonly bodyText?: string },
  sent: Sent,
  pupil: Pupil,
): Lesson | undefined {
  const message = upstreamMessage(failure.bodyText);
  const { body, headers } = sent;
  const betas = failure.status === 400 ? betasRefused(message, failure.bodyText, sent) : [];
  if (betas.length > 0) {
    // What only works with the beta goes too, or the retry fails for it.
    const fields = fieldsNeeding(betas);
    const entries = betas.map(betaEntry);
    const settle = learnedUnlessRepeated(
      (retry) =>
        retry.status === 400 &&
        betasRefused(upstreamMessage(retry.bodyText), retry.bodyText, sent)
          .some((beta) => betas.includes(beta)),
      () => {
        if (!learnAll(pupil, [...entries, ...fields])) return false;
        // Named like the fields, or the log says a beta went and not what went with it (the
        // classifier's `classifier_tool_calls` in a safeguard kept for another beta).
        const parts = [
          ...fields,
          ...entryKeysNeeding(betas),
          ...toolsNeeding(betas).map((type) => `${type} tools`),
        ];
        const also = parts.length > 0 ? ` (and the body's ${parts.join(", ")}, which need it)` : "";
        return warn(
          pupil,
          `does not accept anthropic-beta ${betas.join(", ")}: sent again without it${also}, ` +
            "and left out from now on",
        );
      },
    );
    return {
      body: withoutBetaParts(body, betas),
      headers: withoutBetas(headers, entries),
      settle,
      why: `anthropic-beta ${betas.join(", ")} refused: sent again without it`,
    };
  }
  for (const content of REFUSABLE_CONTENT) {
    if (!content.refuses(failure.status, message, body)) continue;
    const settle = learnedUnlessRepeated(
      (retry) => content.refuses(retry.status, upstreamMessage(retry.bodyText), body),
      () => learnAll(pupil, [content.entry]) && warn(pupil, content.said),
    );
    return { body: content.without(body), headers, settle, why: content.why };
  }
  const fewer = fewerOutputTokens(failure.status, message, body);
  if (fewer) {
    // Not learned: the room depends on this prompt's size and the account's balance.
    return {
      body: withOutputLimits(body, [fewer]),
      headers,
      why: `the output asked for refused: sent again with ${fewer}`,
    };
  }
  if (failure.status !== 400) return undefined;
  const param = refusedParameter(failure.bodyText, body);
  if (param) {
    const [name, value] = param.split("=");
    const what = value === undefined ? `"${name}"` : `${name} "${value}"`;
    const settle = learnedUnlessRepeated(
      (retry) => retry.status === 400 && refusedParameter(retry.bodyText, body) === param,
      () =>
        learnAll(pupil, [param]) &&
        warn(pupil, `does not accept ${what}: sent again without it, and left out from now on`),
    );
    return {
      body: withoutParams(body, [param]),
      headers,
      settle,
      why: `${what} refused: sent again without it`,
    };
  }
  const limit = refusedOutputLimit(message, body);
  if (!limit) return undefined;
  const settle = learnedUnlessRepeated(
    (retry) => refusedOutputLimit(upstreamMessage(retry.bodyText), body) === limit,
    () =>
      learnAll(pupil, [limit]) &&
      warn(pupil, `accepts at most ${limit}: sent again within it, and kept within it from now on`),
  );
  return {
    body: withOutputLimits(body, [limit]),
    headers,
    settle,
    why: `at most ${limit} accepted: sent again within it`,
  };
}

/**
 * A lesson's `settle`: learns, unless the retry's answer is refused in the same words for the
 * same thing, read against what was first sent. Then the words were the client's own, quoted back
 * by the upstream, and one client's request must not change what every other client sends.
 */
function learnedUnlessRepeated(
  repeated: (retry: Retried) => boolean,
  learn: () => boolean | undefined,
): (retry: Retried) => boolean {
  return (retry) => {
    if (!retry.ok && repeated(retry)) return false;
    return learn() === true;
  };
}

/** Learns every entry; true when one of them was new (then it is said once, in the log). */
function learnAll(pupil: Pupil, entries: readonly string[]): boolean {
  return entries.map((e) => pupil.learned.learn(pupil.provider, pupil.model, e)).some(Boolean);
}

function warn(pupil: Pupil, what: string): true {
  pupil.log?.warn(`${pupilName(pupil)} ${what}`);
  return true;
}

function pupilName(pupil: Pick<Pupil, "provider" | "model">): string {
  return `provider "${pupil.provider.id}" model "${pupil.model}"`;
}

/**
 * The log line of a re-send whose lesson logged nothing (not learned: the room a balance leaves,
 * a refusal the retry met again, or one known already), so that each re-send is in the log once.
 */
export function resentLine(
  pupil: Pick<Pupil, "provider" | "model">,
  status: number | undefined,
  lesson: Pick<Lesson, "why">,
): string {
  return `${pupilName(pupil)} answered ${status ?? "an error"}: ${lesson.why}`;
}

// What differs between two answers that refuse alike: a request's or a response's id, a UUID, a
// gateway's long numeric request id ("(request id: 2026120801020312345678)").
const VOLATILE =
  /\b(?:req|msg|chatcmpl|gen|resp|request)[-_][\w-]{6,}|\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b|\b\d{12,}\w*/gi;

/** An error body as two refusals alike compare: without ids, whitespace collapsed. */
function refusalWords(bodyText: string | undefined): string {
  return (bodyText ?? "").replace(VOLATILE, "").replace(/\s+/g, " ").trim();
}

/**
 * Whether `retry` is refused as `refused` was, the same status and body but for ids: the change
 * made for it did not address it, so its words named nothing a remedy changes (or quoted the
 * client's own back), and no other remedy is tried on them either. The whole body is compared,
 * not only its first message: a validation error listing several fields may open alike.
 */
export function sameRefusal(
  refused: { readonly status?: number; readonly bodyText?: string },
  retry: { readonly ok: boolean; readonly status?: number; readonly bodyText?: string },
): boolean {
  return !retry.ok && retry.status === refused.status &&
    refusalWords(retry.bodyText) === refusalWords(refused.bodyText);
}
