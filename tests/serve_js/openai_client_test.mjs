// The official `openai` npm client against a running `swift deploy` (BASE_URL, API_KEY,
// GOLDENS = the e2e fixture's e2e_golden.jsonl, ADAPTER = a served adapter name or ""): chat
// whole and streamed, completions, n, logprobs, tools, the adapter, and the errors the client
// raises for 400 / 401 / 404. Exits non-zero naming the first failed check.
import fs from "node:fs";
import OpenAI from "openai";

const baseURL = process.env.BASE_URL;
const apiKey = process.env.API_KEY || "none";
const goldens = fs
  .readFileSync(process.env.GOLDENS, "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));
const adapter = process.env.ADAPTER || "";
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60000 });

let failures = 0;
function check(ok, what, detail = "") {
  if (ok) {
    console.log(`ok   ${what}`);
  } else {
    failures++;
    console.log(`FAIL ${what} ${detail}`);
  }
}

async function expectStatus(promise, status, what) {
  try {
    await promise;
    check(false, what, "(no error raised)");
  } catch (e) {
    check(e instanceof OpenAI.APIError && e.status === status, what, `(got ${e.status} ${e.message})`);
    check(typeof e.error?.message === "string", `${what}: error body has a message`);
  }
}

const models = await client.models.list();
const ids = models.data.map((m) => m.id);
check(ids[0] === "qwen3_e2e", "models.list names the served model", JSON.stringify(ids));
if (adapter) check(ids.includes(adapter), "models.list names the adapter");

for (const [i, g] of goldens.entries()) {
  const r = await client.chat.completions.create({
    model: "qwen3_e2e",
    messages: g.messages,
    max_tokens: 16,
    temperature: 0,
  });
  check(r.choices[0].message.content === g.response, `chat ${i} equals the golden`,
    JSON.stringify([r.choices[0].message.content, g.response]));
  check(r.usage.completion_tokens === 16, `chat ${i} usage`);

  const stream = await client.chat.completions.create({
    model: "qwen3_e2e",
    messages: g.messages,
    max_tokens: 16,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let usage = null;
  let finish = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta?.content ?? "";
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  check(text === g.response, `stream ${i} equals the golden`, JSON.stringify([text, g.response]));
  check(usage?.completion_tokens === 16 && finish === "length", `stream ${i} usage and finish`);
}

const cmpl = await client.completions.create({
  model: "qwen3_e2e",
  prompt: goldens[0].messages.at(-1).content,
  max_tokens: 16,
  temperature: 0,
});
check(goldens[0].messages.length === 1 ? cmpl.choices[0].text === goldens[0].response : true,
  "completions: the prompt as one user turn", JSON.stringify(cmpl.choices[0].text));

const n = await client.chat.completions.create({
  model: "qwen3_e2e",
  messages: goldens[0].messages,
  max_tokens: 16,
  temperature: 0,
  n: 3,
  logprobs: true,
  top_logprobs: 2,
});
check(n.choices.length === 3 && n.choices.every((c) => c.message.content === goldens[0].response),
  "n = 3 greedy choices");
check(n.choices[0].logprobs.content.length === 16 &&
  n.choices[0].logprobs.content[0].top_logprobs.length === 2, "logprobs and top_logprobs");

const tools = await client.chat.completions.create({
  model: "qwen3_e2e",
  messages: [{ role: "user", content: "What is the weather in Paris?" }],
  tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
  max_tokens: 8,
  temperature: 0,
});
check(["stop", "length", "tool_calls"].includes(tools.choices[0].finish_reason),
  "a request with tools is answered");

if (adapter) {
  const a = await client.chat.completions.create({
    model: adapter, messages: goldens[0].messages, max_tokens: 16, temperature: 0,
  });
  check(a.model === adapter && typeof a.choices[0].message.content === "string",
    "the adapter is served by name");
}

await expectStatus(client.chat.completions.create({ model: "nope", messages: goldens[0].messages }),
  404, "unknown model is a 404");
await expectStatus(client.chat.completions.create({ model: "qwen3_e2e", messages: [] }),
  400, "empty messages is a 400");
await expectStatus(client.chat.completions.create({ model: "qwen3_e2e", messages: goldens[0].messages, max_tokens: 100000000 }),
  400, "absurd max_tokens is a 400");
const bad = new OpenAI({ baseURL, apiKey: "wrong-key", maxRetries: 0 });
await expectStatus(bad.models.list(), 401, "a wrong key is a 401");

console.log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);
