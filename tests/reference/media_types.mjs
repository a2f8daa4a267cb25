// provider-utils' detectMediaType over a corpus (tests/reference/test_reference_media_types.py).
//
// stdin: {inputs: [{bytes: <base64 of raw bytes>} | {text: <string passed as is>}],
//         topLevels: [null | string]}
// stdout: {version, results: [[<answer per top level>] per input]}, an answer being
//   the media type, "" for undefined, or "!" + the error's name when it throws.
// null means no topLevelType at all (every table). Raw bytes reach detectMediaType
// as a plain Uint8Array (not a Buffer), text as the JavaScript string JSON gave.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { detectMediaType } from '@ai-sdk/provider-utils';

const require = createRequire(import.meta.url);
const input = JSON.parse(readFileSync(0, 'utf8'));

function answer(data, topLevelType) {
  try {
    const found = detectMediaType(topLevelType === null ? { data } : { data, topLevelType });
    return found ?? '';
  } catch (error) {
    return `!${error?.name ?? typeof error}`;
  }
}

const results = input.inputs.map(item => {
  const data = 'bytes' in item ? new Uint8Array(Buffer.from(item.bytes, 'base64')) : item.text;
  return input.topLevels.map(topLevel => answer(data, topLevel));
});
process.stdout.write(
  JSON.stringify({ version: require('@ai-sdk/provider-utils/package.json').version, results }),
);
