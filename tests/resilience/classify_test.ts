import assert from "node:assert/strict";
import { UpstreamError } from "../../src/core/errors.ts";
import {
  type Action,
  type Cause,
  classify,
  type Failure,
  rateLimitScope,
} from "../../src/resilience/classify.ts";
import { UpstreamTimeoutError } from "../../src/resilience/timeout_error.ts";
import { midStreamTypeOfStatus } from "../../src/core/upstream_status.ts";

const NOW = Date.UTC(2026, 0, 1);
const refused = new TypeError("fetch failed", {
  cause: new Error(
    "error sending request for url (http://127.0.0.1:45999/): client error (Connect): tcp connect error: Connection refused (os error 111)",
  ),
});
const dns = new TypeError("fetch failed", {
  cause: new Error("client error (Connect): dns error: failed to lookup address information"),
});
const reset = new TypeError("fetch failed", {
  cause: new Error("client error (SendRequest): connection closed before message completed"),
});

interface Row {
  name: string;
  failure: Failure;
  fallbackOn?: number[];
  passthrough?: boolean;
  action: Action;
  cause: Cause;
  retryAfterMs?: number;
  /** The wait is a moment the upstream stated (a day's reset), past the usual cap. */
  stated?: boolean;
}

const ROWS: Row[] = [
  { name: "401", failure: { status: 401 }, action: "rotate_key", cause: "auth" },
  { name: "403", failure: { status: 403 }, action: "rotate_key", cause: "auth" },
  { name: "402 out of credits", failure: { status: 402 }, action: "rotate_key", cause: "auth" },
  {
    name: "429 with Retry-After",
    failure: { status: 429, headers: new Headers({ "retry-after": "12" }) },
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 12_000,
  },
  {
    name: "Gemini 429: the wait is in the body's RetryInfo, there is no header",
    failure: {
      status: 429,
      bodyText: JSON.stringify({
        error: {
          code: 429,
          message: "You exceeded your current quota. Please retry in 33.527391s.",
          status: "RESOURCE_EXHAUSTED",
          details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "33s" }],
        },
      }),
    },
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 33_000,
  },
  {
    name: "OpenRouter's spent free-models-per-day: the reset its body relays, hours away",
    failure: {
      status: 429,
      bodyText: JSON.stringify({
        error: {
          message:
            "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
          code: 429,
          metadata: {
            headers: {
              "X-RateLimit-Limit": "50",
              "X-RateLimit-Remaining": "0",
              "X-RateLimit-Reset": String(NOW + 5 * 3_600_000),
            },
            provider_name: null,
          },
        },
      }),
    },
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 5 * 3_600_000,
    stated: true,
  },
  {
    name: "429 whose message alone says when to retry",
    failure: { status: 429, bodyText: '{"error":{"message":"Please retry in 1.5s."}}' },
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 1500,
  },
  {
    name: "Moonshot's 429 says the wait in words only",
    failure: {
      status: 429,
      bodyText: JSON.stringify({
        error: {
          message:
            "Your account org-1<ak-1> request reached organization max RPM: 3, please try again after 20 seconds",
          type: "rate_limit_reached_error",
        },
      }),
    },
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 20_000,
  },
  {
    name: "429: a Retry-After header wins over the body's hint",
    failure: {
      status: 429,
      headers: new Headers({ "retry-after": "4" }),
      bodyText: '{"error":{"details":[{"retryDelay":"60s"}]}}',
    },
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 4000,
  },
  {
    name: "429 even when listed in fallback_on (rotate first)",
    failure: { status: 429 },
    fallbackOn: [429],
    action: "rotate_key",
    cause: "rate_limit",
  },
  {
    name: "429 'overloaded' is provider capacity, not the key",
    failure: { status: 429, bodyText: '{"error":{"message":"Model is overloaded"}}' },
    action: "retry_same",
    cause: "overloaded",
  },
  {
    name: "429 'try again later' with no word of a limit is capacity too",
    failure: {
      status: 429,
      bodyText: '{"error":{"message":"Server busy. Please try again later."}}',
    },
    action: "retry_same",
    cause: "overloaded",
  },
  {
    name: "Anthropic's rate_limit_error is the key's limit, though it says 'try again later'",
    failure: {
      status: 429,
      headers: new Headers({ "retry-after": "25", "anthropic-ratelimit-requests-remaining": "0" }),
      bodyText: JSON.stringify({
        type: "error",
        error: {
          type: "rate_limit_error",
          message: "This request would exceed the rate limit for your organization (0f3c) of " +
            "50 requests per minute. For details, refer to: " +
            "https://docs.claude.com/en/api/rate-limits. You can see the response headers for " +
            "current usage. Please reduce the prompt length or the maximum tokens requested, or " +
            "try again later. You may also contact sales at https://www.anthropic.com/contact-" +
            "sales to discuss your options for a rate limit increase.",
        },
      }),
    },
    fallbackOn: [429],
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 25_000,
  },
  {
    name: "a gateway's 'Too many requests, please try again later' is a rate limit",
    failure: { status: 429, bodyText: "Too many requests, please try again later." },
    action: "rotate_key",
    cause: "rate_limit",
  },
  { name: "529", failure: { status: 529 }, action: "retry_same", cause: "overloaded" },
  { name: "500", failure: { status: 500 }, action: "retry_same", cause: "server" },
  {
    name: "503 with hint",
    failure: { status: 503, headers: new Headers({ "retry-after-ms": "1500" }) },
    action: "retry_same",
    cause: "server",
    retryAfterMs: 1500,
  },
  {
    name: "503: rate-limit windows are no wait hint (only a 429's)",
    failure: {
      status: 503,
      headers: new Headers({
        "x-ratelimit-reset-tokens": "7.66s",
        "x-ratelimit-reset-requests": "2m",
      }),
    },
    action: "retry_same",
    cause: "server",
  },
  {
    name: "429 whose rate-limit window says when it lifts",
    failure: {
      status: 429,
      headers: new Headers({
        "x-ratelimit-reset-tokens": "7.66s",
        "x-ratelimit-remaining-tokens": "0",
      }),
    },
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 7660,
  },
  { name: "408", failure: { status: 408 }, action: "retry_same", cause: "server" },
  {
    name: "503 in fallback_on",
    failure: { status: 503 },
    fallbackOn: [503],
    action: "next_target",
    cause: "server",
  },
  {
    name: "529 in fallback_on",
    failure: { status: 529 },
    fallbackOn: [529],
    action: "next_target",
    cause: "overloaded",
  },
  { name: "400", failure: { status: 400 }, action: "fatal", cause: "client" },
  {
    name: "404: the model or address is unknown to this target, the next may serve it",
    failure: { status: 404, bodyText: '{"error":{"message":"model \'qwen3\' not found"}}' },
    action: "next_target",
    cause: "target",
  },
  {
    name: "400 naming the model unknown (OpenRouter)",
    failure: { status: 400, bodyText: '{"error":{"message":"foo/bar is not a valid model ID"}}' },
    action: "next_target",
    cause: "target",
  },
  {
    name: "400 naming the model unknown (Mistral)",
    failure: {
      status: 400,
      bodyText: '{"message":"Invalid model: mistral-larg","type":"invalid_model"}',
    },
    action: "next_target",
    cause: "target",
  },
  {
    name: "400 naming the model unknown (DeepSeek)",
    failure: { status: 400, bodyText: '{"error":{"message":"Model Not Exist"}}' },
    action: "next_target",
    cause: "target",
  },
  {
    name: "400 about the request that mentions the model stays the request's",
    failure: {
      status: 400,
      bodyText: '{"error":{"message":"max_tokens: 64000 > 8192, the maximum for model glm-4.7"}}',
    },
    action: "fatal",
    cause: "client",
  },
  {
    name: "400 bad JSON stays the request's",
    failure: { status: 400, bodyText: '{"error":{"message":"Invalid JSON payload received."}}' },
    action: "fatal",
    cause: "client",
  },
  { name: "413", failure: { status: 413 }, action: "fatal", cause: "client" },
  { name: "422", failure: { status: 422 }, action: "fatal", cause: "client" },
  {
    name: "404 in fallback_on: as without",
    failure: { status: 404 },
    fallbackOn: [404],
    action: "next_target",
    cause: "target",
  },
  {
    name: "422 in fallback_on",
    failure: { status: 422 },
    fallbackOn: [422],
    action: "next_target",
    cause: "client",
  },
  {
    name: "connection refused",
    failure: { error: refused },
    action: "next_target",
    cause: "connect",
  },
  { name: "DNS failure", failure: { error: dns }, action: "next_target", cause: "connect" },
  {
    name: "a port fetch blocks (never requested, whatever the try)",
    failure: { error: new TypeError("Fetch failed: Requests to port 1 are blocked") },
    action: "next_target",
    cause: "connect",
  },
  {
    name: "reset before first byte",
    failure: { error: reset },
    action: "retry_same",
    cause: "network",
  },
  {
    name: "connect timeout",
    failure: { error: new UpstreamTimeoutError("connect", 10_000, "p") },
    action: "next_target",
    cause: "connect",
  },
  {
    name: "first-byte timeout",
    failure: { error: new UpstreamTimeoutError("first_byte", 600_000, "p") },
    action: "next_target",
    cause: "timeout",
  },
  {
    name: "AbortSignal.timeout",
    failure: { error: new DOMException("timed out", "TimeoutError") },
    action: "next_target",
    cause: "timeout",
  },
  {
    name: "a transport's UpstreamError wrapping a refused connection",
    failure: {
      error: new UpstreamError("api_error", "Cannot reach", { status: 502, cause: refused }),
    },
    action: "next_target",
    cause: "connect",
  },
  {
    name: "a ccp-made error with nothing underneath (no transport)",
    failure: { error: new UpstreamError("api_error", "no transport", { status: 501 }) },
    action: "next_target",
    cause: "local",
  },
  {
    name: "passthrough 401: the client's own credentials; the next target may serve",
    failure: { status: 401 },
    passthrough: true,
    action: "next_target",
    cause: "auth",
  },
  {
    name: "passthrough 429 moves on without cooling the shared slot",
    failure: { status: 429 },
    passthrough: true,
    action: "next_target",
    cause: "rate_limit",
  },
];

Deno.test("classify", async (t) => {
  for (const row of ROWS) {
    await t.step(row.name, () => {
      const verdict = classify(row.failure, {
        fallbackOn: row.fallbackOn ?? [],
        passthroughAuth: row.passthrough,
        now: NOW,
      });
      const { scope: _scope, reason: _reason, ...rest } = verdict;
      const expected = {
        action: row.action,
        cause: row.cause,
        ...(row.retryAfterMs === undefined ? {} : { retryAfterMs: row.retryAfterMs }),
        ...(row.stated ? { stated: true } : {}),
      };
      assert.deepEqual(rest, expected);
    });
  }
});

Deno.test("a 429 limits the model that answered unless it says the whole key is spent", async (t) => {
  const rows: Array<[string, string, "model" | "key"]> = [
    [
      "OpenAI per-model TPM",
      "Rate limit reached for gpt-4.1 in organization org-x on tokens per min (TPM): Limit 30000",
      "model",
    ],
    ["NIM per-model", '{"status":429,"title":"Too Many Requests"}', "model"],
    ["a day's limit of the key", "You have used the daily limit for this key.", "key"],
    [
      "Gemini free tier names its model",
      "You exceeded your current quota. Quota exceeded for metric: generate_content_free_tier_requests, limit: 10, model: gemini-2.5-pro",
      "model",
    ],
    [
      "quota text naming the requested model",
      "Daily limit of your account for z-ai/glm4.7 reached: exceeded your current quota",
      "model",
    ],
    ["OpenRouter credits", "Insufficient credits: credit balance too low", "key"],
  ];
  for (const [name, body, scope] of rows) {
    await t.step(name, () => {
      const verdict = classify({ status: 429, bodyText: body }, {
        fallbackOn: [],
        now: NOW,
        model: "z-ai/glm4.7",
      });
      assert.equal(verdict.scope, scope);
      assert.equal(rateLimitScope(body, "z-ai/glm4.7"), scope);
    });
  }
});

Deno.test("a 429 saying the credits or spending cap are spent refuses the key like a 402", async (t) => {
  const spent: Array<[string, string]> = [
    [
      "OpenAI insufficient_quota",
      '{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}',
    ],
    [
      "OpenAI credit_balance_exhausted",
      '{"error":{"message":"Your organization has no prepaid credits remaining.","type":"insufficient_quota","code":"credit_balance_exhausted"}}',
    ],
    [
      "OpenAI hard spend limit",
      '{"error":{"message":"Your project reached its spend limit.","type":"insufficient_quota","code":"project_spend_limit_exceeded"}}',
    ],
    [
      "Moonshot",
      '{"error":{"message":"You exceeded your current quota, please check your plan and billing details","type":"exceeded_current_quota_error"}}',
    ],
    [
      "xAI",
      '"Your team 16f2151a has either used all available credits or reached its monthly spending limit. To continue making API requests, please purchase more credits or raise your spending limit."',
    ],
    [
      "Z.AI 1113",
      '{"error":{"code":"1113","message":"Insufficient balance or no resource package. Please recharge."}}',
    ],
    [
      "Z.AI 1113 in Chinese",
      '{"error":{"code":"1113","message":"余额不足或无可用资源包,请充值。"}}',
    ],
    [
      "Z.AI 1309, the GLM Coding Plan expired (Chinese, as documented)",
      '{"error":{"code":"1309","message":"您的 GLM Coding Plan 套餐已到期,暂无法使用,前往官方续订后即可恢复 https://bigmodel.cn/claude-code"}}',
    ],
    [
      "Z.AI 1309 on the Anthropic-style endpoint, its words in English",
      '{"type":"error","error":{"type":"1309","message":"Your GLM Coding Plan has expired."}}',
    ],
    [
      "Anthropic's monthly cap of its tier",
      '{"type":"error","error":{"type":"rate_limit_error","message":"Your organization has reached its monthly spend limit.","details":{"error_code":"enforced_spend_limit_reached"}}}',
    ],
    [
      "Gemini prepaid credits",
      '{"error":{"code":429,"message":"Your prepayment credits are depleted. Please go to AI Studio to manage your project and billing.","status":"RESOURCE_EXHAUSTED"}}',
    ],
  ];
  for (const [name, body] of spent) {
    await t.step(name, () => {
      const verdict = classify({ status: 429, bodyText: body }, {
        fallbackOn: [],
        now: NOW,
        model: "gpt-4.1",
      });
      assert.deepEqual(verdict, { action: "rotate_key", cause: "auth" });
    });
  }
  const limits: Array<[string, Failure]> = [
    [
      "Gemini's per-minute free tier says quota too, but names its model and a wait",
      {
        status: 429,
        bodyText:
          '{"error":{"message":"You exceeded your current quota, please check your plan and billing details. Quota exceeded for metric: generate_content_free_tier_requests, limit: 10, model: gemini-2.5-pro. Please retry in 33.5s.","status":"RESOURCE_EXHAUSTED"}}',
      },
    ],
    [
      "spent words with a Retry-After: the upstream says it lifts by then",
      {
        status: 429,
        headers: new Headers({ "retry-after": "20" }),
        bodyText: '{"error":{"type":"insufficient_quota","message":"quota"}}',
      },
    ],
    ["a plain rate limit", { status: 429, bodyText: '{"error":{"type":"rate_limit_exceeded"}}' }],
    [
      "a per-minute limit partly used (Groq's 429): a later request is served",
      {
        status: 429,
        bodyText:
          '{"error":{"message":"Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01x` on tokens per minute (TPM): Limit 12000, Used 9000, Requested 8000. Please try again in 25s.","type":"tokens","code":"rate_limit_exceeded"}}',
      },
    ],
  ];
  for (const [name, failure] of limits) {
    await t.step(name, () => {
      const verdict = classify(failure, { fallbackOn: [], now: NOW, model: "gpt-4.1" });
      assert.equal(verdict.cause, "rate_limit");
    });
  }
});

// Z.AI's and Zhipu's GLM Coding Plan, a spent window: the moment it lifts is in the message only,
// in China Standard Time without a zone (NOW is 08:00 there). Code 1308 the 5-hour window, 1310 the
// weekly or monthly one; `code` on the OpenAI-style endpoint, `type` on the Anthropic-style one.
Deno.test("a GLM Coding Plan's spent window cools the whole key until the reset it states", async (t) => {
  const rows = [
    {
      name: "1308, English (api.z.ai)",
      body: {
        error: {
          code: "1308",
          message: "Usage limit reached for 5 hour. Your limit will reset at 2026-01-01 13:00:00",
        },
      },
      waitMs: 5 * 3_600_000,
    },
    {
      name: "1308, Chinese (open.bigmodel.cn)",
      body: {
        error: {
          code: "1308",
          message: "已达到 5 小时的使用上限。您的限额将在 2026-01-01 09:30:15 重置。",
        },
      },
      waitMs: 90 * 60_000 + 15_000,
    },
    {
      name: "1310 in Chinese, its words alone (no code)",
      body: {
        error: { message: "您已达到每周/每月使用上限,您的限额将在 2026-01-02 08:00:00 重置" },
      },
      waitMs: 24 * 3_600_000,
    },
    {
      name: "1310 on the Anthropic-style endpoint, days away",
      body: {
        type: "error",
        error: {
          type: "1310",
          message: "Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-01-04 08:00:00",
        },
      },
      waitMs: 3 * 24 * 3_600_000,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const verdict = classify(
        { status: 429, bodyText: JSON.stringify(row.body) },
        { fallbackOn: [], now: NOW, model: "glm-4.6" },
      );
      assert.deepEqual(verdict, {
        action: "rotate_key",
        cause: "rate_limit",
        retryAfterMs: row.waitMs,
        scope: "key",
        stated: true,
      });
    });
  }
  await t.step("a stated moment already past is an ordinary rate limit", () => {
    const body = JSON.stringify({
      error: {
        code: "1308",
        message: "Usage limit reached for 5 hour. Your limit will reset at 2026-01-01 07:59:00",
      },
    });
    const verdict = classify({ status: 429, bodyText: body }, { fallbackOn: [], now: NOW });
    assert.deepEqual(verdict, { action: "rotate_key", cause: "rate_limit", scope: "key" });
  });
  await t.step("the same words from another provider's code are not read as a plan", () => {
    const body = JSON.stringify({
      error: { code: "rate_limited", message: "Your limit will reset at 2026-01-01 13:00:00" },
    });
    const verdict = classify({ status: 429, bodyText: body }, { fallbackOn: [], now: NOW });
    assert.equal(verdict.stated, undefined);
    assert.equal(verdict.retryAfterMs, undefined);
  });
});

Deno.test("a Claude plan's stated reset is read as a GLM Coding Plan's is", async (t) => {
  const DAY = 24 * 3_600_000;
  const plan = (resetAt: number, claim: string, more: Record<string, string> = {}) =>
    new Headers({
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-reset": String(resetAt / 1000),
      "anthropic-ratelimit-unified-representative-claim": claim,
      ...more,
    });
  const bodyText = '{"type":"error","error":{"type":"rate_limit_error","message":"rate limited"}}';
  const judge = (headers: Headers) =>
    classify({ status: 429, headers, bodyText }, { fallbackOn: [], now: NOW, model: "m" });
  await t.step("the weekly limit, days away: the whole key, until then", () => {
    assert.deepEqual(judge(plan(NOW + 3 * DAY, "seven_day")), {
      action: "rotate_key",
      cause: "rate_limit",
      retryAfterMs: 3 * DAY,
      scope: "key",
      stated: true,
    });
  });
  await t.step("one model family's weekly limit: that model only", () => {
    const verdict = judge(plan(NOW + 2 * DAY, "seven_day_opus"));
    assert.equal(verdict.scope, "model");
    assert.equal(verdict.stated, true);
    assert.equal(verdict.retryAfterMs, 2 * DAY);
  });
  await t.step("a Retry-After beside it is the wait asked for, not a stated moment", () => {
    const verdict = judge(plan(NOW + DAY, "five_hour", { "retry-after": "60" }));
    assert.equal(verdict.stated, undefined);
    assert.equal(verdict.retryAfterMs, 60_000);
  });
  await t.step("a reset already past, or a plan not refusing, states nothing", () => {
    assert.equal(judge(plan(NOW - 60_000, "five_hour")).stated, undefined);
    const allowed = plan(NOW + DAY, "five_hour", {
      "anthropic-ratelimit-unified-status": "allowed",
    });
    assert.equal(judge(allowed).stated, undefined);
  });
});

Deno.test("a 429 reads as out of capacity before the stream exactly when it does mid-stream", () => {
  const bodies = [
    "The engine is currently overloaded, please try again later",
    '{"error":{"message":"no capacity available for this model"}}',
    "Server is busy",
    "The service is temporarily unavailable",
    "Rate limit reached for requests per min. Please try again in 20s.",
    "You exceeded your current quota, please check your plan and billing details.",
    "Too many requests",
  ];
  for (const body of bodies) {
    const before = classify({ status: 429, bodyText: body }, { fallbackOn: [], now: NOW });
    const overloadedBefore = before.cause === "overloaded";
    const overloadedMidStream = midStreamTypeOfStatus(429, body) === "overloaded_error";
    assert.equal(overloadedMidStream, overloadedBefore, body);
  }
});
