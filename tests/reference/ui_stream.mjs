// The reference conversion: LanguageModelV4 stream parts -> UI message chunks -> SSE bytes.
//
// stdin: {cases: [{parts, tools?, toolChoice?, options?, throwAfter?}]}
// stdout: {results: [{chunks, sse, headers} | {error}]}
//
// Each case runs `streamText` over a MockLanguageModelV4 (from `ai/test`) whose
// doStream replays `parts`, then `result.toUIMessageStream(options)`; the SSE bytes
// come from the reference's own `createUIMessageStreamResponse`. With `throwAfter`
// the model stream errors after the parts and the UI stream is merged into
// `createUIMessageStream` (which turns a failing stream into an `error` chunk).
import {
  createUIMessageStream,
  createUIMessageStreamResponse,
  dynamicTool,
  jsonSchema,
  streamText,
  tool,
} from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));

export function toModelPart(part) {
  // JSON -> LanguageModelV4StreamPart: only the timestamp is not plain JSON.
  if (part.type === 'response-metadata' && part.timestamp != null) {
    return { ...part, timestamp: new Date(part.timestamp) };
  }
  return part;
}

function partStream(parts, throwAfter) {
  // One part per pull, so that every part is read before the stream errors
  // (erroring a ReadableStream discards the parts still queued).
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < parts.length) controller.enqueue(toModelPart(parts[i++]));
      else if (throwAfter) controller.error(new Error('upstream broke: secret-token-123'));
      else controller.close();
    },
  });
}

function makeTools(spec) {
  if (spec == null) return undefined;
  const tools = {};
  for (const [name, t] of Object.entries(spec)) {
    // A JSON Schema without a validator accepts any input (as a ToolSpec without validate).
    const base = {
      inputSchema: jsonSchema({ type: 'object' }),
      ...(t.title != null ? { title: t.title } : {}),
      ...(t.metadata != null ? { metadata: t.metadata } : {}),
    };
    tools[name] = t.kind === 'dynamic' ? dynamicTool({ ...base, execute: undefined }) : tool(base);
  }
  return tools;
}

// The option callbacks the Python side mirrors (see tests/ui/_reference.py).
function makeOptions(options = {}) {
  const out = {};
  for (const key of ['sendReasoning', 'sendSources', 'sendStart', 'sendFinish', 'redactToolErrors']) {
    if (options[key] != null) out[key] = options[key];
  }
  if (options.onError === 'constant') out.onError = () => 'handled by onError';
  if (options.messageMetadata === 'events') {
    out.messageMetadata = ({ part }) => {
      switch (part.type) {
        case 'start':
          return { at: 'start' };
        case 'start-step':
          return { at: 'start-step' };
        case 'finish-step':
          return { at: 'finish-step', reason: part.finishReason };
        case 'finish':
          return { at: 'finish', reason: part.finishReason };
        case 'text-delta':
          return { at: 'text-delta' };
        default:
          return undefined;
      }
    };
  }
  if (options.messageId != null) out.generateMessageId = () => options.messageId;
  if (options.originalMessages != null) out.originalMessages = options.originalMessages;
  return out;
}

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

export async function runCase(c) {
  let n = 0;
  const model = new MockLanguageModelV4({
    doStream: async () => ({ stream: partStream(c.parts, c.throwAfter) }),
  });
  const result = streamText({
    model,
    prompt: 'x',
    tools: makeTools(c.tools),
    ...(c.toolChoice != null ? { toolChoice: c.toolChoice } : {}),
    // Ids for repeated text/reasoning ids: a counter (the Python side uses its own;
    // the test renumbers both in order of appearance).
    _internal: { generateId: () => `gen-${n++}` },
    // Generated files by URL: the reference downloads them; this stands in for the
    // network with deterministic bytes (the Python side resolves them the same way).
    experimental_download: async requests =>
      requests.map(r => ({ data: new TextEncoder().encode(`bytes of ${r.url}`), mediaType: undefined })),
    onError: () => {},
  });
  const options = makeOptions(c.options);
  const uiStream = c.throwAfter
    ? createUIMessageStream({
        execute: ({ writer }) => writer.merge(result.toUIMessageStream(options)),
        onError: options.onError,
        generateId: () => c.options?.messageId ?? 'merged-message-id',
      })
    : result.toUIMessageStream(options);
  const [forChunks, forResponse] = uiStream.tee();
  const response = createUIMessageStreamResponse({ stream: forResponse });
  const [chunks, sse] = await Promise.all([collect(forChunks), response.text()]);
  return { chunks, sse, headers: Object.fromEntries(response.headers.entries()) };
}

const results = [];
for (const c of input.cases) {
  try {
    results.push(await runCase(c));
  } catch (error) {
    results.push({ error: String(error?.stack ?? error) });
  }
}
process.stdout.write(JSON.stringify({ results }));
