/**
 * The parts of undici kodev uses: `Agent`, `request` and `upgrade`. undici's
 * index loads every API it has (fetch, WebSocket, EventSource, caches, mock
 * agents), about 0.1 s of parsing and set-up on every start, most of it while
 * the first `go build` runs beside it on the same cores. These three load
 * only their own modules. undici is pinned to one version in package.json,
 * as these paths are inside the package.
 *
 * `request` and `upgrade` take a URL and options as undici's do, and always
 * a dispatcher (kodev never uses undici's global one).
 */
import type { Dispatcher } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';
import apiRequest from 'undici/lib/api/api-request.js';
import apiUpgrade from 'undici/lib/api/api-upgrade.js';

export { Agent };

type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method?: Dispatcher.HttpMethod;
  dispatcher: Dispatcher;
};
type UpgradeOptions = Omit<Dispatcher.UpgradeOptions, 'path'> & { dispatcher: Dispatcher; body?: string };

/** undici's `request(url, options)`. */
export function request(url: string | URL, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  return apiRequest.call(dispatcher, {
    ...rest,
    ...target(url),
    method: rest.method ?? (rest.body ? 'PUT' : 'GET'),
  }) as Promise<Dispatcher.ResponseData>;
}

/** undici's `upgrade(url, options)`. */
export function upgrade(url: string | URL, options: UpgradeOptions): Promise<Dispatcher.UpgradeData> {
  const { dispatcher, ...rest } = options;
  return apiUpgrade.call(dispatcher, { ...rest, ...target(url) }) as Promise<Dispatcher.UpgradeData>;
}

function target(url: string | URL): { origin: string; path: string } {
  const u = typeof url === 'string' ? new URL(url) : url;
  return { origin: u.origin, path: `${u.pathname}${u.search}` };
}
