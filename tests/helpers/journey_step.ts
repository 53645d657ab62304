/**
 * The script the Gemini and Responses journeys play with Claude Code: write a file, run two tools
 * at once, read, answer; a prompt can ask to fail, to answer again, or (Claude Code's own words)
 * for the rest of an answer that broke off. Each mock reads its own wire format for the two
 * things the step depends on.
 */

/** What the scripted model does next. */
export type JourneyStep = "write" | "parallel" | "read" | "answer" | "again" | "fail" | "resume";

/**
 * The next step, from the names of the tools whose results end the request (oldest first) and
 * the text of its last user message.
 */
export function journeyStep(answered: readonly unknown[], text: string): JourneyStep {
  if (answered.includes("Write")) return "parallel";
  if (answered.includes("Bash")) return "read";
  if (answered.includes("Read")) return "answer";
  if (answered.length > 0) return "write"; // results of no call the script made
  // Claude Code's own words when it asks for the rest of an answer that broke off.
  if (text.includes("cut off mid-stream")) return "resume";
  if (text.includes("JOURNEY-FAIL")) return "fail";
  if (text.includes("JOURNEY-AGAIN")) return "again";
  return "write";
}
