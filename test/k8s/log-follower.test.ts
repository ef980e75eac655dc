/**
 * The dev loop's log follower against the real cluster, on a tiny Go program
 * built and pushed by kodev itself: line order, rollouts, restarts, reconnects
 * (through a KubeApi whose first streams break mid-line) and stopping. The
 * pure line helpers get a table of their own.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Container,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubeApi, KubeRequest } from '../../src/k8s/client.js';
import { KubeClient } from '../../src/k8s/client.js';
import { loadKubeTarget } from '../../src/k8s/kubeconfig.js';
import { type FollowTarget, LogFollower, type LogLine, type PodNotice } from '../../src/k8s/log-follower.js';
import { LineSplitter, parseTimestamped, timestampNanos } from '../../src/k8s/log-lines.js';
import { freshNamespace, kubeConfig, waitFor } from '../helpers/cluster.js';
import { removeAll, runKodev, tempDir } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

const cluster = inject('cluster');
let registry: Registry;
let mod: string;
let image: string;
const cleanups: (() => Promise<void>)[] = [];

const PROGRAM = `// Command x prints numbered lines at an interval, then exits with a chosen code.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	interval := flag.Duration("interval", 100*time.Millisecond, "time between lines")
	count := flag.Int("count", 0, "lines before exiting; 0 prints forever")
	exit := flag.Int("exit", 0, "exit code after count lines")
	prefix := flag.String("prefix", "line", "text before each number")
	flag.Parse()
	for i := 1; *count == 0 || i <= *count; i++ {
		fmt.Printf("%s %d\\n", *prefix, i)
		time.Sleep(*interval)
	}
	os.Exit(*exit)
}
`;

beforeAll(async () => {
  registry = await startRegistry();
  mod = await tempDir('kodev-log-follower-');
  await mkdir(join(mod, 'cmd/x'), { recursive: true });
  await writeFile(join(mod, 'go.mod'), 'module example.com/lf\n\ngo 1.22\n');
  await writeFile(join(mod, '.ko.yaml'), 'defaultBaseImage: scratch\n');
  await writeFile(join(mod, 'cmd/x/main.go'), PROGRAM);
  const r = await runKodev(['build', './cmd/x'], {
    cwd: mod,
    env: { KO_DOCKER_REPO: `${registry.host}/lf` },
  });
  expect(r.stderr).not.toContain('Error');
  image = r.stdout.trim();
}, 180_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await registry?.stop();
  if (mod) await removeAll(mod);
});

function client(): KubeClient {
  const api = new KubeClient(
    loadKubeTarget({ kubeconfig: cluster.kubeconfig, env: {}, homeDir: '/nonexistent' }),
  );
  // close() throws when called twice; the stop() case closes its client itself.
  cleanups.push(() => api.close().catch(() => undefined));
  return api;
}

const apps = () => kubeConfig(cluster).makeApiClient(AppsV1Api);

/** A fresh namespace holding one Deployment of the program; returns its follow target. */
async function deploy(
  name: string,
  args: string[],
  more: { init?: V1Container[]; minReadySeconds?: number } = {},
) {
  const ns = await freshNamespace(cluster);
  cleanups.push(ns.remove);
  await apps().createNamespacedDeployment({
    namespace: ns.name,
    body: {
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        ...(more.minReadySeconds ? { minReadySeconds: more.minReadySeconds } : {}),
        template: {
          metadata: { labels: { app: name } },
          spec: {
            terminationGracePeriodSeconds: 5,
            ...(more.init ? { initContainers: more.init } : {}),
            containers: [{ name: 'main', image, args }],
          },
        },
      },
    },
  });
  const target: FollowTarget = {
    resource: `Deployment/${name}`,
    namespace: ns.name,
    selector: `app=${name}`,
  };
  return target;
}

type Event = ({ type: 'line' } & LogLine) | ({ type: 'notice' } & PodNotice);

/** A follower recording what it reports, in order. */
function record(api: KubeApi, signal?: AbortSignal) {
  const events: Event[] = [];
  const follower = new LogFollower(api, {
    pollMs: 300,
    onLine: (l) => events.push({ type: 'line', ...l }),
    onNotice: (n) => events.push({ type: 'notice', ...n }),
    ...(signal ? { signal } : {}),
  });
  cleanups.push(() => follower.stop());
  const lines = (where: Partial<LogLine> = {}) =>
    events.filter(
      (e): e is Event & { type: 'line' } =>
        e.type === 'line' && Object.entries(where).every(([k, v]) => e[k as keyof LogLine] === v),
    );
  const notices = () => events.filter((e): e is Event & { type: 'notice' } => e.type === 'notice');
  const texts = (where: Partial<LogLine> = {}) => lines(where).map((l) => l.line);
  return { events, follower, lines, notices, texts };
}

const numbered = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${from + i}`);

describe('LogFollower on the real cluster', () => {
  it('follows every container of a pod, init containers first, each stream in order', async () => {
    const r = record(client());
    const target = await deploy('ordered', ['-prefix', 'main', '-interval', '50ms'], {
      init: [{ name: 'init', image, args: ['-prefix', 'init', '-count', '2', '-interval', '10ms'] }],
    });
    r.follower.setTargets([target]);
    await waitFor('line main 20', 90_000, async () => r.texts().includes('main 20'));
    const pods = await kubeConfig(cluster)
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: target.namespace });
    const pod = pods.items[0]?.metadata;
    expect(r.texts({ container: 'init' })).toEqual(['init 1', 'init 2']);
    expect(r.texts({ container: 'main' }).slice(0, 20)).toEqual(numbered('main', 1, 20));
    expect(new Set(r.lines().map((l) => `${l.resource} ${l.pod} ${l.uid} ${l.restart}`))).toEqual(
      new Set([`Deployment/ordered ${pod?.name} ${pod?.uid} 0`]),
    );
    expect(r.notices().map((n) => `${n.kind} ${n.container}`)).toEqual(['started init', 'started main']);
    await r.follower.stop();
  }, 120_000);

  it('a rollout brings the new pod in while the old one streams until it is deleted', async () => {
    const r = record(client());
    const target = await deploy('roll', ['-prefix', 'a'], { minReadySeconds: 3 });
    r.follower.setTargets([target]);
    await waitFor('line a 5', 90_000, async () => r.texts().includes('a 5'));
    await apps().patchNamespacedDeployment(
      {
        name: 'roll',
        namespace: target.namespace,
        body: [{ op: 'replace', path: '/spec/template/spec/containers/0/args', value: ['-prefix', 'b'] }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const oldUid = r.lines()[0]?.uid;
    await waitFor('the old pod deleted', 120_000, async () =>
      r.notices().some((n) => n.kind === 'deleted' && n.uid === oldUid),
    );
    const a = r.lines().filter((l) => l.line.startsWith('a '));
    const b = r.lines().filter((l) => l.line.startsWith('b '));
    expect(a.map((l) => l.line)).toEqual(numbered('a', 1, a.length));
    expect(b.map((l) => l.line)).toEqual(numbered('b', 1, b.length));
    expect(new Set(a.map((l) => l.uid))).toEqual(new Set([oldUid]));
    expect(b[0]?.uid).not.toBe(oldUid);
    // Both pods streamed side by side (minReadySeconds keeps the old one up), with no pause.
    const firstB = r.events.indexOf(b[0] as Event);
    expect(r.events.slice(firstB).some((e) => e.type === 'line' && e.line.startsWith('a '))).toBe(true);
    const deleted = r.events.findIndex((e) => e.type === 'notice' && e.kind === 'deleted');
    expect(r.events.indexOf(a.at(-1) as Event)).toBeLessThan(deleted);
    await r.follower.stop();
  }, 180_000);

  it('a crash gives a restarted notice with the exit code and last lines, then the new instance', async () => {
    const r = record(client());
    const target = await deploy('crash', ['-count', '3', '-exit', '2']);
    r.follower.setTargets([target]);
    await waitFor(
      'a line of the restarted instance',
      120_000,
      async () => r.lines({ restart: 1 }).length > 0,
    );
    const restarted = r.events.findIndex((e) => e.type === 'notice' && e.kind === 'restarted');
    expect(r.events[restarted]).toMatchObject({
      container: 'main',
      exitCode: 2,
      reason: 'Error',
      lines: numbered('line', 1, 3),
    });
    expect(r.texts({ restart: 0 })).toEqual(numbered('line', 1, 3));
    expect(r.events.indexOf(r.lines({ restart: 0 }).at(-1) as Event)).toBeLessThan(restarted);
    expect(r.events.indexOf(r.lines({ restart: 1 })[0] as Event)).toBeGreaterThan(restarted);
    await r.follower.stop();
  }, 180_000);

  it('streams that break mid-line are reopened with sinceTime, losing and repeating nothing', async () => {
    const cut = cutting(client(), 2, 4);
    const r = record(cut.api);
    r.follower.setTargets([await deploy('cut', [])]);
    await waitFor('line 25', 90_000, async () => r.texts().includes('line 25'));
    expect(r.texts().slice(0, 25)).toEqual(numbered('line', 1, 25));
    expect(cut.follows.length).toBeGreaterThanOrEqual(3);
    expect(cut.follows[0]?.sinceTime).toBeUndefined();
    // Each reopened stream starts from the last timestamp seen (the server truncates it to seconds).
    const since = cut.follows.slice(1).map((q) => timestampNanos(String(q.sinceTime)) ?? -1n);
    expect(since.every((t, i) => t > 0n && t >= (since[i - 1] ?? 0n))).toBe(true);
    await r.follower.stop();
  }, 120_000);

  it('removed targets go quiet, and stop() closes everything promptly leaving no handles', async () => {
    const target = await deploy('stop', []);
    const before = process.getActiveResourcesInfo().length;
    const api = client();
    const abort = new AbortController();
    const r = record(api, abort.signal);
    r.follower.setTargets([target]);
    await waitFor('line 5', 90_000, async () => r.texts().includes('line 5'));
    r.follower.setTargets([]);
    await sleep(300);
    const count = r.lines().length;
    await sleep(1_500);
    expect(r.lines().length).toBe(count);
    r.follower.setTargets([target]);
    await waitFor('the log again from its start', 30_000, async () => r.lines().length > count);
    expect(r.lines()[count]?.line).toBe('line 1');
    abort.abort();
    const stopped = await Promise.race([r.follower.stop().then(() => 'stopped'), sleep(5_000, 'timeout')]);
    expect(stopped).toBe('stopped');
    const after = r.events.length;
    await api.close();
    await waitFor('handles released', 10_000, async () => process.getActiveResourcesInfo().length <= before);
    expect(r.events.length).toBe(after);
  }, 120_000);
});

/** Wraps `inner` so its first `cuts` follow streams end after `lines` lines and part of the next. */
function cutting(inner: KubeApi, cuts: number, lines: number) {
  const follows: NonNullable<KubeRequest['query']>[] = [];
  const api: KubeApi = {
    server: inner.server,
    context: inner.context,
    json: (req) => inner.json(req),
    call: (req) => inner.call(req),
    close: () => inner.close(),
    async stream(path, query, signal) {
      const body = await inner.stream(path, query, signal);
      if (!query?.follow) return body;
      follows.push(query);
      return follows.length > cuts ? body : Readable.from(cutAfter(body, lines));
    },
  };
  return { api, follows };
}

async function* cutAfter(body: Readable, n: number): AsyncGenerator<Buffer> {
  let seen = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let at = 0;
      while (seen < n) {
        const nl = chunk.indexOf(10, at);
        if (nl < 0) break;
        seen++;
        at = nl + 1;
      }
      if (seen < n) {
        yield chunk;
        continue;
      }
      // The start of the next line: it is cut inside its timestamp.
      const part = Math.min(15, chunk.length - at);
      yield chunk.subarray(0, at + part);
      if (part > 0) return;
    }
  } finally {
    body.destroy();
  }
}

describe('log line helpers', () => {
  const splits: { name: string; chunks: (string | Buffer)[]; lines: string[]; rest?: string }[] = [
    { name: 'whole lines in one chunk', chunks: ['a\nb\n'], lines: ['a', 'b'] },
    { name: 'a line cut between chunks', chunks: ['ab', 'c\nd', 'e\n'], lines: ['abc', 'de'] },
    { name: 'an unfinished last line is the rest', chunks: ['a\nb'], lines: ['a'], rest: 'b' },
    { name: 'CRLF endings', chunks: ['a\r\nb\r', '\n'], lines: ['a', 'b'] },
    {
      name: 'a UTF-8 character cut between chunks',
      chunks: [Buffer.from('é\n').subarray(0, 1), Buffer.from('é\n').subarray(1)],
      lines: ['é'],
    },
  ];
  for (const c of splits)
    it(`LineSplitter: ${c.name}`, () => {
      const s = new LineSplitter();
      expect(c.chunks.flatMap((chunk) => s.push(chunk))).toEqual(c.lines);
      expect(s.rest()).toBe(c.rest);
    });

  const stamps: { name: string; line: string; text: string; nanos?: bigint }[] = [
    {
      name: 'nanosecond timestamps',
      line: '2024-05-01T12:00:00.123456789Z hello world',
      text: 'hello world',
      nanos: 1714564800123456789n,
    },
    {
      name: 'trailing zeros trimmed (RFC3339Nano), so fractions of any length order right',
      line: '2024-05-01T12:00:00.1Z x',
      text: 'x',
      nanos: 1714564800100000000n,
    },
    { name: 'no fraction', line: '2024-05-01T12:00:00Z ', text: '', nanos: 1714564800000000000n },
    { name: 'no timestamp', line: 'unable to retrieve logs', text: 'unable to retrieve logs' },
  ];
  for (const c of stamps)
    it(`parseTimestamped: ${c.name}`, () => {
      const p = parseTimestamped(c.line);
      expect(p.text).toBe(c.text);
      expect(p.nanos).toBe(c.nanos);
    });
});
