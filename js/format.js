// @ts-check
/** What the header shows, as plain strings: no DOM, so node tests can check it. */

/**
 * @typedef {{ attempt?: number, max_attempts?: number | null, delay_s?: number }} ReconnectInfo
 * @typedef {{ ttfb_s?: number | null, ttft_s?: number | null, tokens?: number, events?: number,
 *             bytes?: number, elapsed_s?: number, tokens_per_s?: number | null,
 *             reconnects?: number, usage?: Record<string, unknown> | null,
 *             reasoning_tokens?: number }} Stats
 *   `reasoning_tokens`: pieces of reasoning so far (`tokens` counts the answer's)
 * @typedef {{ type?: string, message?: string, status_code?: number, body?: string }} ErrorInfo
 */

export const ACTIVE = ["connecting", "streaming", "reconnecting"];

/**
 * The status pill's words.
 * @param {string} status
 * @param {ReconnectInfo} [reconnect]
 */
export function statusLabel(status, reconnect = {}) {
  if (status === "reconnecting" && reconnect.attempt) {
    const max = reconnect.max_attempts;
    return `reconnecting ${reconnect.attempt}${max ? `/${max}` : ""}`;
  }
  return status;
}

/**
 * Seconds, short: "0.42 s", "12.3 s", "2 min 05 s".
 * @param {number} seconds
 */
export function formatSeconds(seconds) {
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, "0")} s`;
}

/** @param {number} n */
export function formatCount(n) {
  return n.toLocaleString("en-US");
}

/**
 * The line over a bounded stream's text: how much earlier text the kernel no longer
 * keeps (`max_chars`); empty when none was dropped.
 * @param {number} dropped UTF-16 code units, which is what the kernel and JS count
 * @param {string | null} [setting] the setting that bounds it, named in brackets
 */
export function droppedNotice(dropped, setting = "max_chars") {
  if (!(dropped > 0)) return "";
  const noun = dropped === 1 ? "character" : "characters";
  return `${formatCount(dropped)} earlier ${noun} not kept${setting ? ` (${setting})` : ""}`;
}

/**
 * The thinking section's summary: "Thinking · 1,234 tokens" while the model thinks,
 * "Thought for 1,234 tokens" once it ended.
 * @param {number | null} tokens its own count; null when unknown
 * @param {boolean} ended
 */
export function thinkingLabel(tokens, ended) {
  const count = tokens ? `${formatCount(tokens)} ${tokens === 1 ? "token" : "tokens"}` : "";
  if (ended) return count ? `Thought for ${count}` : "Thought";
  return count ? `Thinking · ${count}` : "Thinking";
}

/** Finish reasons that mean the model ended as it meant to (lower case). */
const NORMAL_FINISH = new Set(["stop", "end_turn", "stop_sequence", "completed", "finish"]);
/** ... or ended to have a tool called. */
const TOOL_FINISH = new Set(["tool_calls", "tool_use", "function_call", "tool-calls"]);
/** ... or was cut: the answer reached the output token limit (or the context window). */
const CUT_FINISH = new Set([
  "length", "max_tokens", "max_output_tokens", "model_context_window_exceeded",
]);

/**
 * The header's badge for a finish reason, or null for a normal stop (nothing to say).
 * Providers spell reasons in their own case (`STOP`, `MAX_TOKENS`): compared in lower case.
 * - `cut`: the answer was cut at the token limit (a warning);
 * - `tool`: the model stopped to call a tool (a quiet hint: the answer waits for it);
 * - `other`: anything else, in the provider's word (`content_filter`, `SAFETY`, ...).
 * @param {string | null | undefined} reason
 * @returns {{ kind: "cut" | "tool" | "other", text: string, title: string } | null}
 */
export function finishBadge(reason) {
  if (!reason) return null;
  const word = reason.toLowerCase();
  if (NORMAL_FINISH.has(word)) return null;
  if (TOOL_FINISH.has(word)) {
    return { kind: "tool", text: "tool call", title: `The model stopped to call a tool (finish reason "${reason}")` };
  }
  if (CUT_FINISH.has(word)) {
    return {
      kind: "cut",
      text: `cut off: ${reason}`,
      title: `The answer was cut at the token limit (finish reason "${reason}"): `
        + "raise the request's output token limit to get the rest",
    };
  }
  return { kind: "other", text: reason, title: `The model stopped with finish reason "${reason}"` };
}

/**
 * A finished tool call's arguments for reading: JSON pretty-printed; text that does not
 * parse as it came, with the parser's complaint. No arguments at all read as `{}`, as
 * the kernel's `ToolCall.json()` has them.
 * @param {string} args
 * @returns {{ text: string, valid: boolean, error: string }}
 */
export function formatArguments(args) {
  if (!args.trim()) return { text: "{}", valid: true, error: "" };
  try {
    return { text: JSON.stringify(JSON.parse(args), null, 2), valid: true, error: "" };
  } catch (error) {
    return { text: args, valid: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The provider's own token counts (OpenAI's or Anthropic's names), as "12 in · 340 out".
 * @param {Record<string, unknown> | null | undefined} usage
 */
export function formatUsage(usage) {
  if (!usage) return null;
  const input = usage.prompt_tokens ?? usage.input_tokens;
  const output = usage.completion_tokens ?? usage.output_tokens;
  const parts = [];
  if (typeof input === "number") parts.push(`${formatCount(input)} in`);
  if (typeof output === "number") parts.push(`${formatCount(output)} out`);
  return parts.length ? parts.join(" · ") : null;
}

/**
 * The live figures, as [name, value] pairs in display order; absent figures are left out.
 * @param {Stats} stats
 * @returns {[string, string][]}
 */
export function statsEntries(stats) {
  /** @type {[string, string][]} */
  const entries = [];
  if (typeof stats.tokens === "number") entries.push(["tokens", formatCount(stats.tokens)]);
  if (typeof stats.tokens_per_s === "number") {
    entries.push(["tok/s", stats.tokens_per_s.toFixed(stats.tokens_per_s < 10 ? 1 : 0)]);
  }
  if (typeof stats.ttft_s === "number") entries.push(["first token", formatSeconds(stats.ttft_s)]);
  if (typeof stats.elapsed_s === "number") entries.push(["elapsed", formatSeconds(stats.elapsed_s)]);
  if (stats.reconnects) entries.push(["reconnects", formatCount(stats.reconnects)]);
  const usage = formatUsage(stats.usage);
  if (usage) entries.push(["usage", usage]);
  return entries;
}

/**
 * The error panel's title line: "HTTP 401 · HTTPStatusError".
 * @param {ErrorInfo} error
 */
export function errorTitle(error) {
  const parts = [];
  if (error.status_code) parts.push(`HTTP ${error.status_code}`);
  if (error.type) parts.push(error.type);
  return parts.join(" · ") || "Error";
}

/**
 * The error's message without the response body it quotes (the panel shows the body
 * on its own, formatted).
 * @param {ErrorInfo} error
 */
export function errorMessage(error) {
  const message = error.message ?? "";
  const quoted = error.body ? message.indexOf(error.body.slice(0, 80)) : -1;
  return quoted > 0 ? message.slice(0, quoted).replace(/[\s:]+$/, "") : message;
}

/** Characters of a response body the error panel shows. */
export const BODY_EXCERPT = 4000;

/**
 * A response body for reading: JSON pretty-printed, everything cut to `BODY_EXCERPT`.
 * @param {string | undefined} body
 */
export function formatBody(body) {
  if (!body) return "";
  let shown = body;
  try {
    shown = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // not JSON: shown as sent
  }
  return shown.length > BODY_EXCERPT ? `${shown.slice(0, BODY_EXCERPT)}\n…` : shown;
}
