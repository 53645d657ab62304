/**
 * The variables of free-claude-code's environment mode, apart from that mode's code: a config
 * file's check for them stays light.
 */

/** The model variables, and the route each one fills (MODEL is the default route). */
export const MODEL_VARIABLES: Readonly<Record<string, string>> = {
  MODEL: "default",
  MODEL_OPUS: "opus",
  MODEL_SONNET: "sonnet",
  MODEL_HAIKU: "haiku",
  // Claude Code's fable family; free-claude-code names it so too.
  MODEL_FABLE: "fable",
};
