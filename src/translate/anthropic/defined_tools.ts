/**
 * Tools Anthropic defines and the client runs: `bash_*`, `text_editor_*`, `memory_*` and
 * `computer_*` arrive as a type and a name, with no input schema, because Claude knows them. The
 * client executes the calls, so any model can use them once it is told their inputs: each one
 * becomes an ordinary tool with the schema Anthropic documents, under the name the client gave.
 */

import type { JsonObject } from "../../core/json.ts";
import type { ToolDefinition } from "../../protocols/anthropic.ts";

const STRING = { type: "string" } as const;
const INTEGER = { type: "integer" } as const;
const LINE_RANGE = {
  type: "array",
  items: INTEGER,
  description: "[start, end] line numbers, from 1; end -1 reads to the end of the file",
} as const;

function commands(names: readonly string[], properties: JsonObject, required: string[]) {
  return {
    type: "object",
    properties: { command: { type: "string", enum: [...names] }, ...properties },
    required: ["command", ...required],
  };
}

/** The text editor's inputs; `insert` takes `insert_text` from the 2025-07-28 version on. */
function textEditor(insertField: "new_str" | "insert_text", undo: boolean): JsonObject {
  const names = ["view", "create", "str_replace", "insert", ...(undo ? ["undo_edit"] : [])];
  return commands(names, {
    path: { ...STRING, description: "Absolute path of the file or directory" },
    file_text: { ...STRING, description: "create: the content of the new file" },
    old_str: { ...STRING, description: "str_replace: the exact text to replace" },
    new_str: { ...STRING, description: "str_replace: the text that replaces it" },
    insert_line: { ...INTEGER, description: "insert: the line to insert after (0: the start)" },
    ...(insertField === "insert_text"
      ? { insert_text: { ...STRING, description: "insert: the text to insert" } }
      : {}),
    view_range: LINE_RANGE,
  }, ["path"]);
}

const MEMORY = commands(["view", "create", "str_replace", "insert", "delete", "rename"], {
  path: { ...STRING, description: "A path under /memories" },
  file_text: { ...STRING, description: "create: the content of the new file" },
  old_str: { ...STRING, description: "str_replace: the exact text to replace" },
  new_str: { ...STRING, description: "str_replace: the text that replaces it" },
  insert_line: { ...INTEGER, description: "insert: the line to insert after (0: the start)" },
  insert_text: { ...STRING, description: "insert: the text to insert" },
  view_range: LINE_RANGE,
  old_path: { ...STRING, description: "rename: the current path" },
  new_path: { ...STRING, description: "rename: the new path" },
}, []);

const BASH: JsonObject = {
  type: "object",
  properties: {
    command: { ...STRING, description: "The bash command to run" },
    restart: { type: "boolean", description: "Restart the shell instead of running a command" },
  },
};

const POINT = { type: "array", items: INTEGER, description: "[x, y] in screen pixels" } as const;

const COMPUTER: JsonObject = {
  type: "object",
  properties: {
    action: {
      ...STRING,
      description: "screenshot, left_click, right_click, middle_click, double_click, " +
        "triple_click, mouse_move, left_click_drag, left_mouse_down, left_mouse_up, scroll, " +
        "type, key, hold_key, wait, cursor_position or zoom",
    },
    coordinate: POINT,
    start_coordinate: POINT,
    text: { ...STRING, description: "type: the text; key and hold_key: the keys (xdotool)" },
    scroll_direction: { type: "string", enum: ["up", "down", "left", "right"] },
    scroll_amount: INTEGER,
    duration: { type: "number", description: "wait and hold_key: seconds" },
    region: { type: "array", items: INTEGER, description: "zoom: [x0, y0, x1, y1]" },
  },
  required: ["action"],
};

/** Each defined tool by type prefix: its description and its input schema for a version. */
const DEFINED: ReadonlyArray<{
  prefix: string;
  description: string;
  schema: (version: string) => JsonObject;
}> = [
  {
    prefix: "bash_",
    description: "Run a command in a persistent bash shell and get its output.",
    schema: () => BASH,
  },
  {
    prefix: "text_editor_",
    description: "View, create and edit text files: view a file or list a directory, create a " +
      "file, replace one exact occurrence of a string, or insert text after a line.",
    schema: (version) =>
      textEditor(version >= "20250728" ? "insert_text" : "new_str", version < "20250429"),
  },
  {
    prefix: "memory_",
    description: "Read and write files in the /memories directory, which persists between " +
      "conversations: view, create, str_replace, insert, delete and rename.",
    schema: () => MEMORY,
  },
  {
    prefix: "computer_",
    description: "Use the computer's screen, mouse and keyboard; take a screenshot first to " +
      "see the screen.",
    schema: () => COMPUTER,
  },
];

/** The ordinary tool standing for an Anthropic-defined one, or undefined for any other tool. */
export function definedToolAsCustom(tool: ToolDefinition): ToolDefinition | undefined {
  const type = tool.type;
  if (typeof type !== "string" || typeof tool.name !== "string") return undefined;
  const defined = DEFINED.find((d) => type.startsWith(d.prefix));
  if (!defined) return undefined;
  const version = type.slice(defined.prefix.length);
  const size = typeof tool.display_width_px === "number"
    ? ` The screen is ${tool.display_width_px}x${String(tool.display_height_px)} pixels.`
    : "";
  return {
    name: tool.name,
    description: defined.description + size,
    input_schema: defined.schema(version),
  };
}

/** `tools` with every Anthropic-defined tool as an ordinary one; the same array when none is. */
export function withDefinedTools(
  tools: ToolDefinition[] | undefined,
): ToolDefinition[] | undefined {
  if (!tools?.some((tool) => definedToolAsCustom(tool) !== undefined)) return tools;
  return tools.map((tool) => definedToolAsCustom(tool) ?? tool);
}
