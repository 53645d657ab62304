/** The variables of the LiteLLM-based claude-code-proxy (1rgs) that select its routing style. */

/** Any of these set (and no MODEL* variable) selects LiteLLM-style environment mode. */
export const LITELLM_VARIABLES = ["PREFERRED_PROVIDER", "BIG_MODEL", "SMALL_MODEL"] as const;
