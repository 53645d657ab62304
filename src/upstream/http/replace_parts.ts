/**
 * Replacing content parts of a built upstream body, whatever its protocol: the walk that
 * refused_images.ts and refused_documents.ts share. Only the history is walked, and never tool
 * arguments below it: those are the model's data, whatever shape they have.
 */

type Json = Record<string, unknown>;

/** What replaces one part: its note, or undefined to keep it (and look inside it). */
export type NoteFor = (part: Json) => Json | undefined;

// Keys whose values hold messages (Anthropic and Chat `messages`, Gemini `contents`, Responses
// `input`), and keys below them that hold tool arguments.
const HISTORY_KEYS = ["messages", "contents", "input"];
const ARGUMENT_KEYS = new Set(["input", "arguments", "args", "functionCall", "function"]);

export const isRecord = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** `value` with every part `noteFor` names replaced; the same value when none is. */
function replace(value: unknown, noteFor: NoteFor): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = replace(item, noteFor);
      if (next !== item) (out ??= [...value])[i] = next;
    });
    return out ?? value;
  }
  if (!isRecord(value)) return value;
  const note = noteFor(value);
  if (note) return note;
  let out: Json | undefined;
  for (const [key, item] of Object.entries(value)) {
    if (ARGUMENT_KEYS.has(key)) continue;
    const next = replace(item, noteFor);
    if (next !== item) (out ??= { ...value })[key] = next;
  }
  return out ?? value;
}

/** `body` with the parts `noteFor` names replaced in its history; the input is not changed. */
export function withPartsReplaced(body: Json, noteFor: NoteFor): Json {
  let out = body;
  for (const key of HISTORY_KEYS) {
    if (!Array.isArray(body[key])) continue;
    const next = replace(body[key], noteFor);
    if (next !== body[key]) out = { ...out, [key]: next };
  }
  return out;
}
