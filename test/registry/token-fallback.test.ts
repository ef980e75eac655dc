/**
 * The OAuth2 refresh-token POST falls back to GET when the token server does
 * not implement OAuth2 (404). No real token server answers POST with 404 on
 * demand, so this seam is tested against a small local HTTP server.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryAuth } from '../../src/registry/auth.js';
import { Transport } from '../../src/registry/transport.js';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

const seen: Seen[] = [];
let base = '';
const server = createServer(async (req: IncomingMessage, res) => {
  let body = '';
  for await (const c of req) body += String(c);
  seen.push({
    method: req.method ?? '',
    url: req.url ?? '',
    body,
    ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
  });
  if (req.url === '/v2/') {
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="svc"` }).end();
  } else if (req.url?.startsWith('/token') && req.method === 'POST') {
    res.writeHead(404).end('no oauth here');
  } else if (req.url?.startsWith('/token')) {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token: 'tok-from-get', expires_in: 300 }));
  } else {
    res.writeHead(404).end();
  }
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('token fetch with an identity token', () => {
  it('POSTs the refresh_token grant, then falls back to GET when the server answers 404, and reuses the token', async () => {
    const transport = new Transport({ retries: 0 });
    const auth = new RegistryAuth('127.0.0.1', base, transport, async () => ({
      kind: 'identity-token',
      username: 'me',
      token: 'refresh-123',
    }));
    expect(await auth.header(['repository:a/b:pull'])).toBe('Bearer tok-from-get');
    expect(await auth.header(['repository:a/b:pull'])).toBe('Bearer tok-from-get');
    await transport.close();
    const tokenCalls = seen.filter((s) => s.url.startsWith('/token'));
    expect(tokenCalls.map((s) => s.method)).toEqual(['POST', 'GET']);
    expect(new URLSearchParams(tokenCalls[0]?.body).get('grant_type')).toBe('refresh_token');
    expect(new URLSearchParams(tokenCalls[0]?.body).get('refresh_token')).toBe('refresh-123');
    expect(new URL(`${base}${tokenCalls[1]?.url}`).searchParams.getAll('scope')).toEqual([
      'repository:a/b:pull',
    ]);
    expect(tokenCalls[1]?.authorization).toBe(`Basic ${Buffer.from('me:refresh-123').toString('base64')}`);
  });
});
