/** Offline token counting for Anthropic Messages requests (count_tokens and stream usage). */
export { type CountOptions, countRequestTokens, countRequestTokensAsync } from "./count.ts";
export { maxRequestTokens } from "./bound.ts";
export { type Calibration, DEFAULT_CALIBRATION } from "./calibration.ts";
export {
  type ImageSize,
  imageTokens,
  patchTokens,
  readImageSize,
  resizedImageSize,
} from "./image_size.ts";
export {
  HIGH_RES_TIER,
  type ImageTier,
  type ModelProfile,
  modelProfile,
  STANDARD_TIER,
  type TokenizerGeneration,
} from "./models.ts";
export { pdfPageCount } from "./pdf_pages.ts";
export { TokenCache } from "./lru.ts";
export { sharedTokenCache, TextCounter, type TextMode, warmUpTokenizer } from "./text_counter.ts";
export { loadO200k, o200kProblem } from "./bpe.ts";
