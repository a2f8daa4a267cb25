// WHATWG URL serialisation as Node implements it: `new URL(text).href`, or null where
// the constructor throws. Input: {texts: [string]}; output: {hrefs: [string|null]}.
import { readFileSync } from 'node:fs';

const { texts } = JSON.parse(readFileSync(0, 'utf8'));
const href = (text) => {
  try {
    return new URL(text).href;
  } catch {
    return null;
  }
};
process.stdout.write(JSON.stringify({ hrefs: texts.map(href) }));
