// The reference's chat client against a live chat service (examples/chat_service.py).
//
// stdin: {base, ops: [op...]}; stdout: {results: [result...]} (one per op, in order).
//
// op = {kind: "send", chatId, messages, body?, after?: {chunks: n, ops: [op...]}}
//   DefaultChatTransport.sendMessages + readUIMessageStream (terminateOnError), as
//   useChat does; once `after.chunks` chunks were read, the nested ops run (and are
//   awaited) before the rest is read: a reconnect mid-answer, a stop, another send.
//   result = {message, chunks, errors, error?: {name, message, statusCode?}, after?}
// op = {kind: "reconnect", chatId}: DefaultChatTransport.reconnectToStream, then the
//   same reading; result.none is true when the server had no stream (204).
// op = {kind: "fetch", method, path, body?, json?}: a plain fetch;
//   result = {status, text, headers}.
import { DefaultChatTransport, readUIMessageStream } from 'ai';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const transport = new DefaultChatTransport({ api: `${input.base}/api/chat` });
const short = error => String(error?.message ?? error).slice(0, 500);

async function read(stream, after) {
  const result = { message: null, chunks: [], errors: [] };
  const [forChunks, forMessage] = stream.tee();
  let release;
  const gate = after ? new Promise(resolve => (release = resolve)) : null;
  const chunks = (async () => {
    try {
      for await (const chunk of forChunks) {
        result.chunks.push(chunk);
        if (after && result.chunks.length === after.chunks) {
          result.after = await runAll(after.ops);
          release();
        }
      }
    } catch (error) {
      result.errors.push(`chunks: ${short(error)}`);
    }
    release?.();
  })();
  try {
    for await (const snapshot of readUIMessageStream({
      stream: forMessage,
      terminateOnError: true,
      onError: error => result.errors.push(`reader: ${short(error)}`),
    })) {
      result.message = snapshot;
    }
  } catch (error) {
    result.errors.push(`reader: ${short(error)}`);
  }
  await chunks;
  await gate;
  return result;
}

function describe(error) {
  return {
    name: error?.name ?? 'Error',
    message: short(error),
    ...(error?.statusCode != null ? { statusCode: error.statusCode } : {}),
  };
}

async function run(op) {
  if (op.kind === 'send') {
    let stream;
    try {
      stream = await transport.sendMessages({
        chatId: op.chatId,
        messages: op.messages,
        trigger: 'submit-message',
        messageId: undefined,
        abortSignal: undefined,
        body: op.body,
      });
    } catch (error) {
      return { error: describe(error) };
    }
    return read(stream, op.after);
  }
  if (op.kind === 'reconnect') {
    let stream;
    try {
      stream = await transport.reconnectToStream({ chatId: op.chatId });
    } catch (error) {
      return { error: describe(error) };
    }
    if (stream == null) return { none: true };
    return read(stream);
  }
  if (op.kind === 'fetch') {
    const response = await fetch(`${input.base}${op.path}`, {
      method: op.method ?? 'GET',
      headers: op.json !== undefined ? { 'content-type': 'application/json' } : undefined,
      body: op.json !== undefined ? JSON.stringify(op.json) : op.body,
    });
    return {
      status: response.status,
      text: await response.text(),
      headers: Object.fromEntries(response.headers),
    };
  }
  throw new Error(`unknown op ${op.kind}`);
}

async function runAll(ops) {
  const results = [];
  for (const op of ops) results.push(await run(op));
  return results;
}

process.stdout.write(JSON.stringify({ results: await runAll(input.ops) }));
