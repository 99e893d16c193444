// A stand-in for the `swift app` server (node, no dependencies), so the page and its browser test
// can be worked on without the C++ server: serves web/app/ at "/" and the three routes the page
// uses — GET /app/config.json, GET /v1/models, POST /v1/chat/completions (SSE: one
// reasoning_content chunk, then a fixed answer word by word, then usage and [DONE]).
//   node tests/app/mock_server.mjs [port]     (port 0 or none: a free one; prints "listening PORT")
// A user message containing "error" gets a 400 error body; "midstream" an SSE error event.
// Env APP_LANG (config.lang, default en), APP_STREAM=0 (config.stream false).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/app');
const MODEL = 'mock-model';
const ANSWER = 'Hello! I am a mock model.\nHere is some code:\n```js\nconsole.log("<b>hi</b>");\n```\nDone.';
const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
};
const CONFIG = {
  studio_title: 'Mock Studio', lang: process.env.APP_LANG || 'en', model: MODEL,
  stream: process.env.APP_STREAM !== '0',
  defaults: { temperature: 0.7, top_p: 0.9, top_k: 20, max_tokens: 256, repetition_penalty: 1.05 },
  system: 'You are a helpful assistant.',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function apiError(res, status, message, param = null) {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', param, code: status } });
}

async function chat(req, res) {
  let raw = '';
  for await (const part of req) raw += part;
  let body;
  try { body = JSON.parse(raw); } catch (e) { return apiError(res, 400, 'body is not JSON'); }
  const ids = [MODEL, 'mock-lora'];
  if (!ids.includes(body.model)) return apiError(res, 404, `model '${body.model}' not found`, 'model');
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages.length ? String(messages[messages.length - 1].content) : '';
  if (last.includes('error')) return apiError(res, 400, 'mock error: the request was refused', 'messages');
  const id = `chatcmpl-mock${Date.now()}`;
  const chunk = (delta, finish = null) => ({
    id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const words = ANSWER.split(/(?<=\s)/);
  const usage = { prompt_tokens: 12 * messages.length, completion_tokens: words.length + 4 };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  if (!body.stream) {
    return sendJson(res, 200, {
      id, object: 'chat.completion', model: body.model, usage,
      choices: [{ index: 0, finish_reason: 'stop',
        message: { role: 'assistant', content: ANSWER, reasoning_content: 'Thinking about it.' } }],
    });
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  let closed = false;
  res.on('close', () => { closed = true; });
  const send = (obj) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
  send(chunk({ role: 'assistant', content: '' }));
  send(chunk({ reasoning_content: 'The user greets me; I answer briefly. 1 < 2 & <b>no markup</b>.' }));
  for (const [i, w] of words.entries()) {
    await sleep(40);
    if (closed) return;  // the page pressed Stop
    if (i === 3 && last.includes('midstream')) {
      send({ error: { message: 'mock error in the middle of the stream', type: 'internal_error', param: null, code: 500 } });
      res.end('data: [DONE]\n\n');
      return;
    }
    send(chunk({ content: w }));
  }
  send(chunk({}, 'stop'));
  if (body.stream_options && body.stream_options.include_usage) {
    send({ id, object: 'chat.completion.chunk', model: body.model, choices: [], usage });
  }
  res.end('data: [DONE]\n\n');
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const file = FILES[url.pathname];
  if (req.method === 'GET' && file) {
    res.writeHead(200, { 'Content-Type': file[1], 'Cache-Control': 'no-cache' });
    return res.end(fs.readFileSync(path.join(WEB_DIR, file[0])));
  }
  if (req.method === 'GET' && url.pathname === '/app/config.json') return sendJson(res, 200, CONFIG);
  if (req.method === 'GET' && url.pathname === '/v1/models') {
    return sendJson(res, 200, {
      object: 'list',
      data: [MODEL, 'mock-lora'].map((id) => ({ id, object: 'model', created: 0, owned_by: 'swift' })),
    });
  }
  if (req.method === 'POST' && url.pathname === '/v1/chat/completions') {
    return chat(req, res).catch((e) => { console.error(e); res.destroy(); });
  }
  apiError(res, 404, `no route ${req.method} ${url.pathname}`);
});

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
