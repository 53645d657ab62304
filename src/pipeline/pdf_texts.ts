/**
 * Reading a request's PDFs before it goes to a target that cannot read documents: that target
 * is sent each PDF's text in its place (translate/pdf_reading.ts), and the text must be read
 * before the synchronous translation that puts it there.
 */

import { settingsFor } from "../config/settings_merge.ts";
import type { ModelSettings, ProviderConfig } from "../config/types.ts";
import type { LearnedParams } from "../resilience/learned_params.ts";
import { pdfSources, readPdfTexts } from "../translate/pdf_reading.ts";
import { dialectForModel } from "../translate/openai_chat/dialect.ts";
import { NO_DOCUMENTS, withoutDocuments } from "../upstream/http/refused_documents.ts";

/** One target, as an attempt or a count sees it. */
export interface DocumentTarget {
  readonly provider: ProviderConfig;
  readonly model: string;
  readonly settings?: ModelSettings;
}

/**
 * True when the target is sent notes instead of PDFs: its settings say it takes none, or its Chat
 * dialect does not, or it refused one before (learned).
 */
function readsNoDocuments(target: DocumentTarget, learned?: LearnedParams): boolean {
  const { provider, model } = target;
  if (learned?.for(provider, model).has(NO_DOCUMENTS)) return true;
  const said = settingsFor(provider, model, target.settings).supports?.documents;
  if (said !== undefined) return !said;
  return provider.type === "openai" && !dialectForModel(provider.dialect, model).supportsDocuments;
}

/** Reads the body's PDFs when `target` is to be sent their text; at once when it is not. */
export async function readPdfTextsFor(
  body: { readonly messages?: unknown },
  target: DocumentTarget,
  learned?: LearnedParams,
): Promise<void> {
  // The target first: a target that reads PDFs (most) needs no walk of the history.
  if (!readsNoDocuments(target, learned) || pdfSources(body).length === 0) return;
  await readPdfTexts(body);
}

/**
 * The body as `target` is sent it when that is with PDFs' text in their place (read first), to
 * count what is sent; undefined when its PDFs go as they are, or it has none.
 */
export async function pdfsAsText(
  body: Record<string, unknown>,
  target: DocumentTarget,
  learned?: LearnedParams,
): Promise<Record<string, unknown> | undefined> {
  if (!readsNoDocuments(target, learned) || pdfSources(body).length === 0) return undefined;
  await readPdfTexts(body);
  return withoutDocuments(body);
}
