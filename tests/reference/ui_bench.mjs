// Benchmark driver: the reference's parts -> UI message stream -> SSE bytes, timed.
//
// stdin: {parts, rounds}
// stdout: {seconds: [per round], bytes, sse?: first round's text when asked}
//
// Each round builds a MockLanguageModelV4 replaying `parts` (converted from JSON
// before the clock starts), then times streamText(...).toUIMessageStream() through
// createUIMessageStreamResponse until the last byte of the body was read. The
// call declares the workload's tool (getWeather), as the Python side does.
import { createUIMessageStreamResponse, jsonSchema, streamText, tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const input = JSON.parse(readFileSync(0, 'utf8'));
const parts = input.parts.map(part =>
  part.type === 'response-metadata' && part.timestamp != null
    ? { ...part, timestamp: new Date(part.timestamp) }
    : part,
);

async function once() {
  const model = new MockLanguageModelV4({
    doStream: async () => ({
      stream: new ReadableStream({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
          controller.close();
        },
      }),
    }),
  });
  const start = performance.now();
  const tools = { getWeather: tool({ inputSchema: jsonSchema({ type: 'object' }) }) };
  const result = streamText({ model, prompt: 'x', tools, onError: () => {} });
  const response = createUIMessageStreamResponse({ stream: result.toUIMessageStream() });
  const reader = response.body.getReader();
  const chunks = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (input.keepBody) chunks.push(value);
  }
  const seconds = (performance.now() - start) / 1000;
  return { seconds, bytes, body: input.keepBody ? Buffer.concat(chunks).toString('utf8') : undefined };
}

const seconds = [];
let bytes = 0;
let sse;
for (let round = 0; round < input.rounds; round++) {
  const run = await once();
  seconds.push(run.seconds);
  bytes = run.bytes;
  sse ??= run.body;
}
process.stdout.write(JSON.stringify({ seconds, bytes, sse }));
