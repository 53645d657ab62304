/**
 * The Anthropic SDK pieces the tests parse ccp's answers with, and its client. Test-only packages
 * are named here with their versions rather than in deno.json, so the program's own lockfile
 * (deno.lock) holds only what ccp runs with: Deno installs every package of the lockfile in use on
 * first start.
 */

export { default as Anthropic } from "npm:@anthropic-ai/sdk@1.17.0";
export { APIError } from "npm:@anthropic-ai/sdk@1.17.0";
export { Stream } from "npm:@anthropic-ai/sdk@1.17.0/core/streaming";
export { MessageStream } from "npm:@anthropic-ai/sdk@1.17.0/lib/MessageStream";
export type { Message, MessageStreamEvent } from "npm:@anthropic-ai/sdk@1.17.0/resources/messages";
