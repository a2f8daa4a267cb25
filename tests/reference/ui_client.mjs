// The reference client side: UI message stream bytes -> chunks -> the assistant UIMessage.
//
// stdin: {streams?: [{sse, message?}], validate?: [messages...]}
// stdout: {results: [{message, chunks, errors, valid}], validated?: [{ok, data?, error?}]}
//
// Each SSE text goes through `DefaultChatTransport.sendMessages` (its `fetch`
// answers with the bytes, as a server would) and `readUIMessageStream` with
// `terminateOnError`: exactly what `useChat` does with a response; `valid` says
// whether `safeValidateUIMessages` accepts the message it built. `validate` runs
// `safeValidateUIMessages` on each list of messages.
import {
  DefaultChatTransport,
  readUIMessageStream,
  safeValidateUIMessages,
} from 'ai';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const short = error => String(error?.message ?? error).slice(0, 300);

async function read({ sse, message, headers }) {
  const transport = new DefaultChatTransport({
    api: 'http://127.0.0.1/api/chat',
    fetch: async () =>
      new Response(sse, {
        status: 200,
        headers: headers ?? { 'content-type': 'text/event-stream' },
      }),
  });
  const errors = [];
  const chunks = [];
  const stream = await transport.sendMessages({
    chatId: 'chat-1',
    messages: [],
    trigger: 'submit-message',
    messageId: undefined,
    abortSignal: undefined,
  });
  const [forChunks, forMessage] = stream.tee();
  const collectChunks = (async () => {
    try {
      for await (const chunk of forChunks) chunks.push(chunk);
    } catch (error) {
      errors.push(`chunks: ${short(error)}`);
    }
  })();
  let last;
  try {
    for await (const snapshot of readUIMessageStream({
      stream: forMessage,
      message,
      terminateOnError: true,
      onError: error => errors.push(`reader: ${short(error)}`),
    })) {
      last = snapshot;
    }
  } catch (error) {
    errors.push(`reader: ${short(error)}`);
  }
  await collectChunks;
  const valid = last == null ? null : (await safeValidateUIMessages({ messages: [last] })).success;
  return { message: last ?? null, chunks, errors, valid };
}

const out = { results: [] };
for (const item of input.streams ?? []) out.results.push(await read(item));
if (input.validate) {
  out.validated = [];
  for (const messages of input.validate) {
    const result = await safeValidateUIMessages({ messages });
    out.validated.push(
      result.success ? { ok: true, data: result.data } : { ok: false, error: short(result.error) },
    );
  }
}
process.stdout.write(JSON.stringify(out));
