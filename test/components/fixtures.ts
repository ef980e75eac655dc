/**
 * Session stores in known states, built by dispatching the engine's events
 * the way a real `kodev up` run would.
 */
import type { DevEvent, ImageState } from '../../src/dev/events.js';
import { SessionStore, type StoreOptions } from '../../src/dev/session-store.js';

/** Images of the example shop: a service, a queue worker and a migration job. */
export const API = 'example.com/shop/cmd/api';
/** See {@link API}. */
export const WORKER = 'example.com/shop/cmd/worker';
/** See {@link API}. */
export const MIGRATE = 'example.com/shop/cmd/migrate';
/** A published image's digest (short form `sha256:3f1c9a…`). */
export const DIGEST = `sha256:3f1c9a${'0'.repeat(58)}`;

/** A store that already saw `session` and `watching` for these images. */
export function sessionStore(images: string[] = [API], opts: StoreOptions = {}): SessionStore {
  const store = new SessionStore(opts);
  store.dispatch({ type: 'session', runtime: 'kubernetes', target: 'kind.local', images });
  store.dispatch({ type: 'watching', roots: ['/src/shop', '/src/lib', '/src/go.mod'] });
  return store;
}

/** Dispatches events in order. */
export function play(store: SessionStore, events: DevEvent[]): SessionStore {
  for (const e of events) store.dispatch(e);
  return store;
}

/** A cycle that rebuilt `image` because `file` in `pkg` changed, up to the given state. */
export function cycleTo(image: string, cycle: number, state: ImageState | 'queued'): DevEvent[] {
  const start: DevEvent = {
    type: 'cycle-start',
    cycle,
    images: [image],
    files: ['/src/shop/internal/queue/queue.go'],
    reason: 'change',
    why: { [image]: ['example.com/shop/internal/queue'] },
  };
  return state === 'queued' ? [start] : [start, { type: 'image-state', image, state }];
}

/** A full successful cycle of `image` run by Deployment `name`, ready 2/2. */
export function readyCycle(image: string, name: string, cycle: number): DevEvent[] {
  return [
    ...cycleTo(image, cycle, 'building'),
    { type: 'build-output', image, line: `compiling ${image} (linux/amd64)` },
    { type: 'image-state', image, state: 'pushing' },
    { type: 'published', image, reference: `registry.local/${name}@${DIGEST}` },
    { type: 'image-state', image, state: 'applying' },
    { type: 'applied', objects: [`Deployment/${name} serverside-applied`] },
    { type: 'workloads', workloads: [{ name: `Deployment/${name}`, images: [image] }] },
    { type: 'image-state', image, state: 'rolling out' },
    {
      type: 'workload',
      name: `Deployment/${name}`,
      ready: true,
      summary: 'available',
      pods: '2/2',
      restarts: 0,
    },
    {
      type: 'cycle-end',
      cycle,
      images: [image],
      ok: true,
      totalMs: 1900,
      timings: { detect: 20, compile: 800, layer: 50, publish: 200, apply: 100, ready: 700, firstLog: 100 },
    },
  ];
}

/** A log line from a pod of `image`'s Deployment. */
export function podLog(name: string, line: string, pod = `${name}-7d9f8c6b5-x2x9k`): DevEvent {
  return { type: 'log', source: { resource: `Deployment/${name}`, pod, container: name }, line };
}
