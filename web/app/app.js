// The chat logic of `swift app`: reads /app/config.json and /v1/models, keeps the conversation,
// streams /v1/chat/completions (server-sent events) into the last assistant bubble. Model text is
// only ever put into the page as text nodes (never innerHTML); thinking (`reasoning_content`, or
// <think>...</think> inside the content) goes to a collapsible block of its own.
'use strict';

const STRINGS = {
  en: {
    send: 'Send', stop: 'Stop', regenerate: 'Regenerate', clear: 'Clear', model: 'Model',
    system: 'System prompt', input_placeholder: 'Type a message (Enter to send, Shift+Enter for a new line)',
    seed_random: 'random', thinking: 'Thinking', stopped: '[stopped]', generating: 'generating…',
    usage: (u) => `tokens: prompt ${u.prompt_tokens}, completion ${u.completion_tokens}, total ${u.total_tokens}`,
    error: 'Error', no_models: 'no model served',
  },
  zh: {
    send: '发送', stop: '停止', regenerate: '重新生成', clear: '清空', model: '模型',
    system: '系统提示词', input_placeholder: '输入消息（Enter 发送，Shift+Enter 换行）',
    seed_random: '随机', thinking: '思考过程', stopped: '[已停止]', generating: '生成中…',
    usage: (u) => `tokens：输入 ${u.prompt_tokens}，输出 ${u.completion_tokens}，合计 ${u.total_tokens}`,
    error: '错误', no_models: '没有可用模型',
  },
};
const PARAMS = ['temperature', 'top_p', 'top_k', 'max_tokens', 'repetition_penalty', 'seed'];
const INTEGER_PARAMS = new Set(['top_k', 'max_tokens', 'seed']);

const $ = (id) => document.getElementById(id);
let T = STRINGS.en;
let config = { stream: true };
let history = [];       // [{role, content}] as sent to the model (answers without their thinking)
let controller = null;  // the AbortController of the request in flight
let epoch = 0;          // bumped by Clear: a request from before it must not touch the history

function applyLanguage(lang) {
  T = STRINGS[lang] || STRINGS.en;
  document.documentElement.lang = lang === 'zh' ? 'zh' : 'en';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = T[el.dataset.i18n];
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = T[el.dataset.i18nPlaceholder];
  }
}

async function init() {
  try {
    const r = await fetch('app/config.json');
    if (r.ok) config = Object.assign(config, await r.json());
  } catch (e) { /* the page still works with the server's own defaults */ }
  applyLanguage(config.lang);
  const title = config.studio_title || config.model || 'swift app';
  $('title').textContent = title;
  document.title = title;
  $('system').value = config.system || '';
  for (const p of PARAMS) {
    const v = (config.defaults || {})[p];
    if (v !== undefined && v !== null) $(p).value = v;
  }
  await loadModels();
  $('send').onclick = send;
  $('stop').onclick = () => controller && controller.abort();
  $('clear').onclick = clearChat;
  $('regenerate').onclick = regenerate;
  $('input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  $('input').focus();
}

async function loadModels() {
  const select = $('model');
  let ids = [];
  try {
    const r = await fetch('v1/models');
    if (!r.ok) throw new Error(await errorMessage(r));
    ids = ((await r.json()).data || []).map((m) => m.id);
  } catch (e) {
    showError(e.message);
  }
  if (!ids.length && config.model) ids = [config.model];
  select.replaceChildren(...ids.map((id) => new Option(id, id)));
  if (config.model && ids.includes(config.model)) select.value = config.model;
  if (!ids.length) $('status').textContent = T.no_models;
}

function requestBody() {
  const body = { model: $('model').value, messages: [], stream: config.stream !== false };
  if (body.stream) body.stream_options = { include_usage: true };
  const system = $('system').value.trim();
  if (system) body.messages.push({ role: 'system', content: system });
  body.messages.push(...history);
  for (const p of PARAMS) {
    const raw = $(p).value.trim();
    if (raw === '') continue;  // e.g. an empty seed: the server picks
    const v = INTEGER_PARAMS.has(p) ? parseInt(raw, 10) : parseFloat(raw);
    if (!Number.isNaN(v)) body[p] = v;
  }
  return body;
}

function send() {
  const text = $('input').value;
  if (controller || !text.trim()) return;
  $('input').value = '';
  history.push({ role: 'user', content: text });
  addUserBubble(text);
  generate();
}

function regenerate() {
  if (controller) return;
  if (history.length && history[history.length - 1].role === 'assistant') {
    history.pop();
    const bubbles = $('messages').querySelectorAll('.msg.assistant');
    if (bubbles.length) bubbles[bubbles.length - 1].remove();
  }
  if (history.length) generate();
}

function clearChat() {
  epoch++;
  if (controller) controller.abort();
  history = [];
  $('messages').replaceChildren();
  $('usage').textContent = '';
  hideError();
}

function setBusy(busy) {
  $('send').disabled = busy;
  $('regenerate').disabled = busy;
  $('stop').disabled = !busy;
  $('status').textContent = busy ? T.generating : '';
}

function addUserBubble(text) {
  const div = document.createElement('div');
  div.className = 'msg user';
  div.appendChild(renderText(text));
  $('messages').appendChild(div);
  scrollDown();
}

// One assistant bubble: a collapsible thinking block and the answer, re-rendered as text arrives.
function addAssistantBubble() {
  const div = document.createElement('div');
  div.className = 'msg assistant streaming';
  const thinking = document.createElement('details');
  thinking.className = 'thinking';
  thinking.open = true;
  thinking.hidden = true;
  const summary = document.createElement('summary');
  summary.textContent = T.thinking;
  const thinkingText = document.createElement('div');
  thinkingText.className = 'thinking-text';
  thinking.append(summary, thinkingText);
  const content = document.createElement('div');
  content.className = 'content';
  div.append(thinking, content);
  $('messages').appendChild(div);
  return { div, thinking, thinkingText, content, reasoning: '', raw: '', epoch };
}

// Splits "<think>...</think>answer" (the closing tag may not have arrived yet).
function splitThink(raw) {
  const open = raw.indexOf('<think>');
  if (open < 0) return { think: '', answer: raw };
  const close = raw.indexOf('</think>', open);
  if (close < 0) return { think: raw.slice(open + 7), answer: raw.slice(0, open) };
  return { think: raw.slice(open + 7, close), answer: raw.slice(0, open) + raw.slice(close + 8) };
}

function updateBubble(b) {
  const { think, answer } = splitThink(b.raw);
  const thinking = (b.reasoning + think).trim();
  b.thinking.hidden = !thinking;
  b.thinkingText.textContent = thinking;
  b.content.replaceChildren(renderText(answer.replace(/^\s+/, '')));
  scrollDown();
}

// Text with ``` fenced code blocks; everything goes in as text nodes.
function renderText(text) {
  const frag = document.createDocumentFragment();
  const parts = text.split('```');
  parts.forEach((part, i) => {
    if (i % 2 === 0) {
      // The newlines around a fence are the block's own edges.
      if (i > 0) part = part.replace(/^\r?\n/, '');
      if (i < parts.length - 1) part = part.replace(/\r?\n$/, '');
      if (part) frag.appendChild(document.createTextNode(part));
      return;
    }
    const pre = document.createElement('pre');
    const code = document.createElement('code');
    // The fence's first line may name the language: ```python
    const nl = part.indexOf('\n');
    const lang = nl >= 0 ? part.slice(0, nl).trim() : null;
    if (lang !== null && /^[\w+#.-]*$/.test(lang)) {
      if (lang) code.dataset.lang = lang;
      code.textContent = part.slice(nl + 1);
    } else {
      code.textContent = part;
    }
    pre.appendChild(code);
    frag.appendChild(pre);
  });
  return frag;
}

async function generate() {
  hideError();
  $('usage').textContent = '';
  const b = addAssistantBubble();
  controller = new AbortController();
  setBusy(true);
  let failed = false;
  try {
    const body = requestBody();
    const r = await fetch('v1/chat/completions', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body), signal: controller.signal,
    });
    if (!r.ok) throw new Error(await errorMessage(r));
    if (body.stream) {
      await readEvents(r, (event) => onChunk(b, event));
    } else {
      onChunk(b, await r.json());
    }
  } catch (e) {
    if (e.name === 'AbortError') {
      b.stopped = true;
    } else {
      failed = true;
      showError(e.message);
    }
  }
  finish(b, failed);
}

function onChunk(b, chunk) {
  if (chunk.error) throw new Error(chunk.error.message || JSON.stringify(chunk.error));
  const choice = (chunk.choices || [])[0];
  if (choice) {
    const d = choice.delta || choice.message || {};
    if (d.reasoning_content) b.reasoning += d.reasoning_content;
    if (d.content) b.raw += d.content;
    updateBubble(b);
  }
  if (chunk.usage) $('usage').textContent = T.usage(chunk.usage);
}

// Server-sent events: `data:` lines until a blank line make one event; `[DONE]` ends the stream.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r?\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line.startsWith('data:')) {
          data.push(line.slice(line[5] === ' ' ? 6 : 5));
        } else if (line === '' && data.length) {
          const payload = data.join('\n');
          data = [];
          if (payload === '[DONE]') return;
          onEvent(JSON.parse(payload));
        }
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function finish(b, failed) {
  controller = null;
  setBusy(false);
  if (b.epoch !== epoch) return;  // cleared meanwhile
  const { answer } = splitThink(b.raw);
  b.div.classList.remove('streaming');
  if (!b.raw && !b.reasoning && (failed || b.stopped)) {
    b.div.remove();  // nothing came: the user's turn stays last, ready for Regenerate
    return;
  }
  if (b.stopped) {
    const note = document.createElement('div');
    note.className = 'note';
    note.textContent = T.stopped;
    b.div.appendChild(note);
  }
  b.div.classList.add(failed ? 'failed' : 'done');
  b.thinking.open = false;
  history.push({ role: 'assistant', content: answer.trim() });
}

async function errorMessage(r) {
  const text = await r.text();
  try {
    const e = JSON.parse(text).error;
    if (e && e.message) return e.message;
  } catch (_) { /* not JSON */ }
  return `HTTP ${r.status} ${r.statusText}${text ? ': ' + text.slice(0, 300) : ''}`;
}

function showError(message) {
  $('error').textContent = `${T.error}: ${message}`;
  $('error').hidden = false;
}

function hideError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

function scrollDown() {
  const m = $('messages');
  m.scrollTop = m.scrollHeight;
}

init();
