// The Gateway realtime auth helpers and URLs as the reference computes them.
// Input: {headers: [string|null], protocols: [[token, team|null]], realtime: [[base, model]],
//         secrets: [base]}. Output: the same lists mapped through the reference
// (`null` for undefined, {error: true} for a throw).
import { readFileSync } from 'node:fs';
import {
  getGatewayRealtimeAuthToken,
  getGatewayRealtimeProtocols,
  getGatewayRealtimeTeamIdOrSlug,
} from '@ai-sdk/gateway';

const input = JSON.parse(readFileSync(0, 'utf8'));
const orNull = (value) => (value === undefined ? null : value);
const guarded = (fn) => {
  try {
    return fn();
  } catch {
    return { error: true };
  }
};

// The reference's own expressions (gateway-realtime-model.ts `toGatewayRealtimeUrl`,
// gateway-provider.ts `mintClientSecret`): both module-private, so written out here.
const realtimeUrl = (baseURL, modelId) => {
  const url = new URL(`${baseURL.replace(/^http/, 'ws')}/realtime-model`);
  url.searchParams.set('ai-model-id', modelId);
  return url.toString();
};
const secretsUrl = (baseURL) => new URL('/v1/realtime/client-secrets', baseURL).toString();

process.stdout.write(
  JSON.stringify({
    tokens: input.headers.map((h) => orNull(getGatewayRealtimeAuthToken(h))),
    teams: input.headers.map((h) => orNull(getGatewayRealtimeTeamIdOrSlug(h))),
    protocols: input.protocols.map(([token, team]) =>
      guarded(() => getGatewayRealtimeProtocols(token, team === null ? undefined : { teamIdOrSlug: team })),
    ),
    realtime: input.realtime.map(([base, model]) => guarded(() => realtimeUrl(base, model))),
    secrets: input.secrets.map((base) => guarded(() => secretsUrl(base))),
  }),
);
