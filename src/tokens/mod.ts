/** Offline token counting for Anthropic Messages requests (count_tokens and stream usage). */
export { countRequestTokens, countRequestTokensAsync } from "./count.ts";
export { maxRequestTokens } from "./bound.ts";
export { type Calibration, DEFAULT_CALIBRATION } from "./calibration.ts";
export { imageTokens, readImageSize, resizedImageSize } from "./image_size.ts";
export { HIGH_RES_TIER, modelProfile, STANDARD_TIER } from "./models.ts";
export { pdfPageCount } from "./pdf_pages.ts";
export { TokenCache } from "./lru.ts";
export { sharedTokenCache, TextCounter, warmUpTokenizer } from "./text_counter.ts";
export { loadO200k, o200kProblem } from "./bpe.ts";
