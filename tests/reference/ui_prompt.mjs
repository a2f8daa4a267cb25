// The reference's UI messages -> model messages -> the prompt the model receives.
//
// stdin: {cases: [{messages, options?: {ignoreIncompleteToolCalls, system, allowSystemInMessages}}]}
// stdout: {results: [{modelMessages | modelError, prompt | promptError}]}
//
// The messages are validated first (`validateUIMessages`, as a server does with
// what the browser sent); `convertToModelMessages` gives the model messages;
// `streamText` over a
// MockLanguageModelV4 gives the LanguageModelV4 prompt its doStream receives. The
// mock supports every URL, so nothing is downloaded (partstream never downloads).
import { convertToModelMessages, streamText, validateUIMessages } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const short = error => String(error?.message ?? error).slice(0, 300);

async function promptOf(modelMessages, options) {
  let prompt;
  let promptError;
  const model = new MockLanguageModelV4({
    supportedUrls: { '*': [/.*/] },
    doStream: async call => {
      prompt = call.prompt;
      return {
        stream: new ReadableStream({
          start(controller) {
            controller.enqueue({
              type: 'finish',
              finishReason: { unified: 'stop', raw: 'stop' },
              usage: { inputTokens: {}, outputTokens: {} },
            });
            controller.close();
          },
        }),
      };
    },
  });
  const result = streamText({
    model,
    messages: modelMessages,
    ...(options.system != null ? { instructions: options.system } : {}),
    ...(options.allowSystemInMessages ? { allowSystemInMessages: true } : {}),
    onError: ({ error }) => {
      promptError ??= short(error);
    },
  });
  await result.consumeStream({ onError: error => (promptError ??= short(error)) });
  // JSON.stringify turns URL objects into their href, as the Python side keeps them.
  return prompt != null ? { prompt: JSON.parse(JSON.stringify(prompt)) } : { promptError };
}

const results = [];
for (const c of input.cases) {
  const options = c.options ?? {};
  let modelMessages;
  try {
    const messages = await validateUIMessages({ messages: c.messages });
    modelMessages = await convertToModelMessages(messages, {
      ignoreIncompleteToolCalls: options.ignoreIncompleteToolCalls ?? false,
    });
  } catch (error) {
    results.push({ modelError: short(error) });
    continue;
  }
  results.push({
    modelMessages: JSON.parse(JSON.stringify(modelMessages)),
    ...(await promptOf(modelMessages, options)),
  });
}
process.stdout.write(JSON.stringify({ results }));
