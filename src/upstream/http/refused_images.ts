/**
 * Recognising an upstream model that does not take images, from its refusal.
 *
 * An image stays in Claude Code's history (a pasted screenshot, a Read of a picture), so a model
 * without vision refuses every later turn of the session, not just the one with the image. The
 * catalog marks the text-only APIs it knows (`supports: { images: false }`); for any other model
 * the refusal itself says so, in each server's words. Then the request is sent once more with
 * each image replaced by a note, and that provider and model get the note from then on, as
 * refused parameters are learned (refused_params.ts).
 */

import { IMAGE_PLACEHOLDER } from "../model_settings.ts";

type Json = Record<string, unknown>;

/** The learned entry that means "replace images" (no wire protocol has a top-level `images`). */
export const NO_IMAGES = "images";

// Wordings of a refused image, by server family.
const REFUSED: readonly RegExp[] = [
  /no endpoints found that support image input/i, // OpenRouter (a 404)
  /unknown variant [`'"]?image_url[`'"]?/i, // DeepSeek and other serde-based servers
  /image_url is only supported by certain models/i, // OpenAI
  /\b(?:does not|doesn't|do not) support (?:image|vision|multimodal)/i,
  /\bimage (?:input|content)s? (?:is|are) not supported|\bnot a multimodal model/i, // llama.cpp, vLLM
];

// Keys whose values hold messages (Anthropic and Chat `messages`, Gemini `contents`, Responses
// `input`), and keys below them that hold tool arguments: those are the model's data, never images.
const HISTORY_KEYS = ["messages", "contents", "input"];
const ARGUMENT_KEYS = new Set(["input", "arguments", "args", "functionCall", "function"]);

const isRecord = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The note that replaces `part` when it is an image in any protocol's shape; else undefined. */
function placeholderFor(part: Json): Json | undefined {
  if (part.type === "image" || part.type === "image_url") {
    return { type: "text", text: IMAGE_PLACEHOLDER };
  }
  if (part.type === "input_image") return { type: "input_text", text: IMAGE_PLACEHOLDER };
  const media = isRecord(part.inlineData) ? part.inlineData : part.fileData;
  if (isRecord(media) && String(media.mimeType ?? "").startsWith("image/")) {
    return { text: IMAGE_PLACEHOLDER };
  }
  return undefined;
}

/** `value` with every image replaced by a note; the same value when it holds none. */
function replaceImages(value: unknown): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = replaceImages(item);
      if (next !== item) (out ??= [...value])[i] = next;
    });
    return out ?? value;
  }
  if (!isRecord(value)) return value;
  const note = placeholderFor(value);
  if (note) return note;
  let out: Json | undefined;
  for (const [key, item] of Object.entries(value)) {
    if (ARGUMENT_KEYS.has(key)) continue;
    const next = replaceImages(item);
    if (next !== item) (out ??= { ...value })[key] = next;
  }
  return out ?? value;
}

/** `body` with every image of its history replaced by a note; the input is not changed. */
export function withoutImages(body: Json): Json {
  let out = body;
  for (const key of HISTORY_KEYS) {
    if (!Array.isArray(body[key])) continue;
    const next = replaceImages(body[key]);
    if (next !== body[key]) out = { ...out, [key]: next };
  }
  return out;
}

/** True when a refusal (`status`, the upstream's `message`) is of the images `sent` carries. */
export function refusesImages(status: number | undefined, message: string, sent: Json): boolean {
  if (status === undefined || status < 400 || status >= 500 || status === 429) return false;
  return REFUSED.some((re) => re.test(message)) && withoutImages(sent) !== sent;
}
