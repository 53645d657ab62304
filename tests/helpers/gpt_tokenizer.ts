/**
 * The reference o200k tokenizer ccp's own BPE is checked against (and its table built from).
 * Named here with its version rather than in deno.json: see anthropic_sdk.ts.
 */

export { countTokens } from "npm:gpt-tokenizer@4.0.0/encoding/o200k_base";
export { default as ranks } from "npm:gpt-tokenizer@4.0.0/esm/bpeRanks/o200k_base";
export { O200K_TOKEN_SPLIT_REGEX } from "npm:gpt-tokenizer@4.0.0/esm/encodingParams/constants";
