// Driver protocol check: echo the input and report the versions Node resolves.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const input = JSON.parse(readFileSync(0, 'utf8'));
const version = (name) => require(`${name}/package.json`).version;
process.stdout.write(
  JSON.stringify({ echo: input.echo, versions: { ai: version('ai'), '@ai-sdk/google': version('@ai-sdk/google') } }),
);
