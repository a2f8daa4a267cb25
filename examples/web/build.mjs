// Bundle the pages of examples/chat_service.py into dist/ with esbuild (pinned in
// package.json). Run through `python3 tasks.py web` (examples/web/build.py), which
// installs the packages first; `node build.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';

const options = {
  entryPoints: ['chat.jsx', 'realtime.jsx'],
  outdir: 'dist',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
  define: { 'process.env.NODE_ENV': '"production"' },
};

if (process.argv.includes('--watch')) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  const result = await esbuild.build(options);
  const sizes = Object.fromEntries(
    Object.entries(result.metafile.outputs).map(([file, { bytes }]) => [file, bytes]),
  );
  process.stdout.write(JSON.stringify(sizes) + '\n');
}
