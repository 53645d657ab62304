/** Request cleaning for Anthropic-compatible upstreams: named pure rules and their resolution. */

export { dropBetas, keepOnlyBetas, parseBetas } from "./betas.ts";
export { dropBillingHeader } from "./billing_header.ts";
export { stripCacheControl } from "./cache_control.ts";
export { cleaningFor, ruleFor, stepsFor } from "./resolve.ts";
export { foldSystemMessages } from "./system_messages.ts";
export { disableAbsentThinking, dropRedactedThinking } from "./thinking.ts";
export { anthropicToolId, rewriteToolIds } from "./tool_ids.ts";
export { dropServerTools, dropToolFields } from "./tools.ts";
export { dropTopLevel, keepTopLevel } from "./top_level.ts";
export type { Body, BodyRule } from "./types.ts";
