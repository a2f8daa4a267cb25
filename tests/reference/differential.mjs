// The reference side of the differential test (tests/reference/test_differential.py).
//
// Reads {google, gateway, cases} as JSON on stdin and runs every case through the
// published AI SDK packages (the pins in package.json) against the partstream
// emulator the test started: the Google Interactions language model's doStream /
// doGenerate, and the Gateway realtime model's client-secret minting and WebSocket
// session. Prints {versions, results: {<case name>: <outcome>}} as JSON.
//
// The cases run concurrently (they are independent: the emulator tells their
// requests apart by the x-differential-case header, the realtime ones by their
// model id), so one Node start-up and the longest case set the time of the batch.
//
// The outcome is plain JSON in the shape the Python side produces for partstream:
// stream parts and generate results as the AI SDK objects serialise (Dates as ISO
// strings, Uint8Array as base64), errors as {name, message, <the fields that
// matter>} and where they surfaced: "open" (doStream/doGenerate threw) or "read"
// (the part stream errored after the parts listed).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createGateway } from '@ai-sdk/gateway';
import { createGoogle } from '@ai-sdk/google';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);
const PACKAGES = ['ai', '@ai-sdk/google', '@ai-sdk/gateway', '@ai-sdk/provider', '@ai-sdk/provider-utils'];
const ERROR_FIELDS = ['statusCode', 'isRetryable', 'responseBody', 'url', 'data', 'type', 'code'];

function serializeError(error) {
  if (!(error instanceof Error) && (typeof error !== 'object' || error == null)) {
    return { name: typeof error, message: String(error) };
  }
  const out = { name: error.name ?? 'Error', message: error.message };
  if (!(error instanceof Error)) delete out.name; // a plain object (ProviderStreamError)
  for (const key of ERROR_FIELDS) {
    if (error[key] !== undefined) out[key] = toJSON(error[key]);
  }
  return out;
}

// JSON-ready copy: undefined dropped, Dates as ISO strings, bytes as base64, errors serialised.
function toJSON(value) {
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      // A ProviderStreamError is a plain object: it serialises as itself.
      if (v instanceof Error) return serializeError(v);
      return v;
    }),
  );
}

function counter() {
  let n = 0;
  return () => `id-${++n}`;
}

function googleModel(config, c) {
  const google = createGoogle({
    baseURL: config.baseURL,
    apiKey: config.apiKey,
    generateId: counter(),
    ...(c.providerHeaders != null ? { headers: c.providerHeaders } : {}),
  });
  return google.interactions(c.model);
}

async function runStream(config, c) {
  const model = googleModel(config, c);
  const out = { parts: [] };
  let result;
  try {
    result = await model.doStream(c.options);
  } catch (error) {
    out.error = { phase: 'open', error: serializeError(error) };
    return out;
  }
  out.request = toJSON(result.request);
  out.responseHeaders = toJSON(result.response?.headers ?? {});
  const reader = result.stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      out.parts.push(toJSON(value));
      if (c.cancelAfterParts != null && out.parts.length >= c.cancelAfterParts) {
        // The consumer gives up early: cancelling the stream is how a caller stops
        // reading (the background stream then cancels the run on the server).
        await reader.cancel();
        break;
      }
    }
  } catch (error) {
    out.error = { phase: 'read', error: serializeError(error) };
  }
  return out;
}

async function runGenerate(config, c) {
  const model = googleModel(config, c);
  try {
    return { result: toJSON(await model.doGenerate(c.options)) };
  } catch (error) {
    return { error: { phase: 'open', error: serializeError(error) } };
  }
}

function gatewayModel(config, c) {
  const gateway = createGateway({
    baseURL: config.baseURL,
    apiKey: c.apiKey ?? config.apiKey,
    ...(c.teamIdOrSlug != null ? { teamIdOrSlug: c.teamIdOrSlug } : {}),
    ...(c.providerHeaders != null ? { headers: c.providerHeaders } : {}),
  });
  return gateway.experimental_realtime(c.modelId);
}

async function mint(model, c) {
  return model.doCreateClientSecret(
    c.expiresAfterSeconds != null ? { expiresAfterSeconds: c.expiresAfterSeconds } : undefined,
  );
}

async function runMint(config, c) {
  try {
    return { secret: toJSON(await mint(gatewayModel(config, c), c)) };
  } catch (error) {
    return { error: { phase: 'open', error: serializeError(error) } };
  }
}

// A realtime session as the `ai` package's browser transport drives it: mint a
// client secret, getWebSocketConfig({token, url}), new WebSocket(url, protocols),
// send session-update (the session config through buildSessionConfig) on open,
// then the case's client events through serializeClientEvent; read server events
// through parseServerEvent until the case's last event type, then close with 1000.
// The server-side connection: getServerWebSocketConfig() gives the URL and the
// headers that carry the long-lived credential; no subprotocol, nothing minted.
async function serverConnection(model) {
  const { url, headers } = await model.getServerWebSocketConfig();
  return { wsConfig: { url }, open: () => new WebSocket(url, { headers }) };
}

async function runRealtime(config, c) {
  const model = gatewayModel(config, c);
  if (c.server) {
    const { wsConfig, open } = await serverConnection(model);
    return session(model, c, { wsConfig: toJSON(wsConfig), events: [] }, open);
  }
  let secret;
  try {
    // A case may bring its own token: then nothing is minted.
    secret =
      c.token != null
        ? { token: c.token, url: (await model.getServerWebSocketConfig()).url }
        : await mint(model, c);
  } catch (error) {
    return { error: { phase: 'open', error: serializeError(error) } };
  }
  const wsConfig = model.getWebSocketConfig({ token: secret.token, url: secret.url });
  const out = { wsConfig: toJSON(wsConfig), events: [] };
  if (c.token == null) out.secret = toJSON(secret);
  return session(model, c, out, () => new WebSocket(wsConfig.url, wsConfig.protocols));
}

async function session(model, c, out, open) {
  let ws;
  try {
    ws = open();
  } catch (error) {
    // The constructor checks the subprotocols (a browser WebSocket does too).
    return { error: { phase: 'open', error: serializeError(error) } };
  }
  await new Promise((resolve) => {
    const timer = setTimeout(() => {
      out.error = { phase: 'read', error: { name: 'Error', message: 'timed out' } };
      ws.terminate();
    }, 10_000);
    const send = (event) => ws.send(JSON.stringify(model.serializeClientEvent(event)));
    ws.on('open', () => {
      out.protocol = ws.protocol;
      send({ type: 'session-update', config: model.buildSessionConfig(c.sessionConfig ?? {}) });
      for (const event of c.events ?? []) send(event);
    });
    ws.on('message', (data) => {
      const event = model.parseServerEvent(JSON.parse(data.toString()));
      out.events.push(toJSON(event));
      if (event.type === c.until) ws.close(1000);
    });
    ws.on('unexpected-response', (request, response) => {
      out.error = { phase: 'open', error: { name: 'Error', message: `HTTP ${response.statusCode}` } };
    });
    ws.on('error', (error) => {
      out.error ??= { phase: 'open', error: serializeError(error) };
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      out.close = { code };
      resolve();
    });
  });
  return out;
}

const RUNNERS = { stream: runStream, generate: runGenerate, mint: runMint, realtime: runRealtime };

const input = JSON.parse(readFileSync(0, 'utf8'));
const results = {};
await Promise.all(
  input.cases.map(async (c) => {
    const config = c.kind === 'mint' || c.kind === 'realtime' ? input.gateway : input.google;
    const started = Date.now();
    try {
      results[c.name] = await RUNNERS[c.kind](config, c);
    } catch (error) {
      results[c.name] = { crash: serializeError(error), stack: String(error?.stack) };
    }
    results[c.name].ms = Date.now() - started;
  }),
);
const versions = Object.fromEntries(PACKAGES.map((name) => [name, require(`${name}/package.json`).version]));
process.stdout.write(JSON.stringify({ versions, results }));
