import { describe, expect, it } from 'vitest';
import { expand, localProcesses } from '../../src/dev/local-specs.js';
import type { KubeObject, ManifestObject } from '../../src/k8s/objects.js';

const at = (object: KubeObject, where = 'm.yaml:1'): ManifestObject => ({ object, where });
const podSpec = (spec: Record<string, unknown>) => ({ template: { spec } });
const obj = (apiVersion: string, kind: string, name: string, spec: unknown): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name },
  spec,
});
const ko = (name: string, path: string, more: Record<string, unknown> = {}) => ({
  name,
  image: `ko://${path}`,
  ...more,
});

describe('localProcesses', () => {
  it.each<
    [
      string,
      KubeObject[],
      { name: string; importPath: string; args: string[]; env: Record<string, string> }[],
    ]
  >([
    [
      'a Deployment with two containers, only the ko:// one',
      [
        obj('apps/v1', 'Deployment', 'web', {
          replicas: 3,
          ...podSpec({
            containers: [
              ko('app', 'example.com/web', { args: ['--port=8080'], env: [{ name: 'MODE', value: 'dev' }] }),
              { name: 'proxy', image: 'envoyproxy/envoy:v1' },
            ],
          }),
        }),
      ],
      [{ name: 'web/app', importPath: 'example.com/web', args: ['--port=8080'], env: { MODE: 'dev' } }],
    ],
    [
      'a StatefulSet, DaemonSet and ReplicaSet',
      [
        obj('apps/v1', 'StatefulSet', 'db', podSpec({ containers: [ko('db', 'e.com/db')] })),
        obj('apps/v1', 'DaemonSet', 'agent', podSpec({ containers: [ko('a', 'e.com/agent')] })),
        obj('apps/v1', 'ReplicaSet', 'rs', podSpec({ containers: [ko('r', 'e.com/rs')] })),
      ],
      [
        { name: 'db/db', importPath: 'e.com/db', args: [], env: {} },
        { name: 'agent/a', importPath: 'e.com/agent', args: [], env: {} },
        { name: 'rs/r', importPath: 'e.com/rs', args: [], env: {} },
      ],
    ],
    [
      'a Job',
      [
        obj(
          'batch/v1',
          'Job',
          'migrate',
          podSpec({ containers: [ko('m', 'e.com/migrate', { args: ['up'] })] }),
        ),
      ],
      [{ name: 'migrate/m', importPath: 'e.com/migrate', args: ['up'], env: {} }],
    ],
    [
      "a CronJob's job template",
      [
        obj('batch/v1', 'CronJob', 'nightly', {
          schedule: '@daily',
          jobTemplate: { spec: podSpec({ containers: [ko('c', 'e.com/cron')] }) },
        }),
      ],
      [{ name: 'nightly/c', importPath: 'e.com/cron', args: [], env: {} }],
    ],
    [
      'a Pod by its name',
      [obj('v1', 'Pod', 'debug', { containers: [ko('main', 'e.com/debug')] })],
      [{ name: 'debug/main', importPath: 'e.com/debug', args: [], env: {} }],
    ],
    [
      'init containers first, then containers',
      [
        obj(
          'apps/v1',
          'Deployment',
          'web',
          podSpec({ initContainers: [ko('init', 'e.com/init')], containers: [ko('app', 'e.com/web')] }),
        ),
      ],
      [
        { name: 'web/init', importPath: 'e.com/init', args: [], env: {} },
        { name: 'web/app', importPath: 'e.com/web', args: [], env: {} },
      ],
    ],
    [
      'a /ko-app/ command: dropped, the rest before args',
      [
        obj('v1', 'Pod', 'p', {
          containers: [ko('c', 'e.com/x', { command: ['/ko-app/x', 'serve'], args: ['--v'] })],
        }),
      ],
      [{ name: 'p/c', importPath: 'e.com/x', args: ['serve', '--v'], env: {} }],
    ],
    [
      '$(VAR) expanded from env, $$(VAR) escaped, unknown left as written',
      [
        obj('v1', 'Pod', 'p', {
          containers: [
            ko('c', 'e.com/x', {
              command: ['/ko-app/x', '--name=$(NAME)'],
              args: ['--url=$(URL)', '$$(NAME)', '$(NOPE)', 'cost$5'],
              env: [
                { name: 'NAME', value: 'api' },
                { name: 'URL', value: 'http://$(NAME):80/$(LATER)' },
                { name: 'LATER', value: 'x' },
              ],
            }),
          ],
        }),
      ],
      [
        {
          name: 'p/c',
          importPath: 'e.com/x',
          args: ['--name=api', '--url=http://api:80/$(LATER)', '$(NAME)', '$(NOPE)', 'cost$5'],
          env: { NAME: 'api', URL: 'http://api:80/$(LATER)', LATER: 'x' },
        },
      ],
    ],
    [
      'an env entry without value as empty',
      [obj('v1', 'Pod', 'p', { containers: [ko('c', 'e.com/x', { env: [{ name: 'EMPTY' }] })] })],
      [{ name: 'p/c', importPath: 'e.com/x', args: [], env: { EMPTY: '' } }],
    ],
    [
      'a repeated name made unique',
      [
        obj('v1', 'Pod', 'web', { containers: [ko('app', 'e.com/a')] }),
        obj('apps/v1', 'Deployment', 'web', podSpec({ containers: [ko('app', 'e.com/b')] })),
      ],
      [
        { name: 'web/app', importPath: 'e.com/a', args: [], env: {} },
        { name: 'web/app#2', importPath: 'e.com/b', args: [], env: {} },
      ],
    ],
    [
      'nothing from other kinds, versions or non-ko images',
      [
        obj('v1', 'Service', 's', { ports: [{ port: 80 }] }),
        obj('extensions/v1beta1', 'Deployment', 'old', podSpec({ containers: [] })),
        obj('v1', 'Pod', 'p', { containers: [{ name: 'c', image: 'nginx' }] }),
        obj('apps/v1', 'Deployment', 'empty', {}),
      ],
      [],
    ],
  ])('runs %s', (_name, objects, want) => {
    const { processes } = localProcesses(objects.map((o) => at(o)));
    expect(processes).toEqual(want);
  });

  it.each<[string, Record<string, unknown>, RegExp, boolean]>([
    [
      'valueFrom, naming object and container',
      { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
      /^d\.yaml:7: Pod\/p container "c": env PW uses valueFrom/,
      true,
    ],
    [
      'envFrom',
      { envFrom: [{ configMapRef: { name: 'cm' } }] },
      /^d\.yaml:7: Pod\/p container "c": envFrom/,
      true,
    ],
    [
      'a command not under /ko-app/',
      { command: ['sh', '-c', 'x'] },
      /Pod\/p container "c": command .* is not run locally/,
      false,
    ],
  ])('warns about %s', (_name, more, warning, runs) => {
    const { processes, warnings } = localProcesses([
      at(obj('v1', 'Pod', 'p', { containers: [ko('c', 'e.com/x', more)] }), 'd.yaml:7'),
    ]);
    expect(warnings).toEqual([expect.stringMatching(warning)]);
    expect(processes.map((p) => p.name)).toEqual(runs ? ['p/c'] : []);
    if (runs) expect(processes[0]?.env).toEqual({});
  });

  it('warns about ko:// images in kinds it does not run', () => {
    const { processes, warnings } = localProcesses([
      at(
        obj('serving.knative.dev/v1', 'Service', 'k', {
          template: { spec: { containers: [{ image: 'ko://e.com/k' }] } },
        }),
      ),
    ]);
    expect(processes).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/^m\.yaml:1: Service\/k is not a workload/)]);
  });
});

describe('expand', () => {
  it.each([
    ['a defined variable', '$(A)', 'a'],
    ['several in one string', 'x$(A)y$(B)z', 'xaybz'],
    ['an undefined variable kept', '$(C)', '$(C)'],
    ['$$ as one $', '$$(A) $$ $$$(A)', '$(A) $ $a'],
    ['a lone $ kept', '$ $x a$', '$ $x a$'],
    ['an unclosed reference kept', '$(A', '$(A'],
    ['an empty name kept', '$()', '$()'],
  ])('expands %s', (_name, input, want) => {
    expect(expand(input, { A: 'a', B: 'b' })).toBe(want);
  });
});
