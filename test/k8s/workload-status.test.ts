import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/k8s/objects.js';
import { isWaitedKind, podProblem, podSelector, workloadState } from '../../src/k8s/workload-status.js';

const obj = (
  apiVersion: string,
  kind: string,
  spec: unknown,
  status: unknown,
  generation = 2,
): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', generation, uid: 'u-1' },
  spec,
  status,
});

describe('workloadState', () => {
  const cases: { name: string; o: KubeObject; ready: boolean; failed?: RegExp; summary: string }[] = [
    {
      name: 'a Deployment with every replica updated and available',
      o: obj(
        'apps/v1',
        'Deployment',
        { replicas: 2 },
        { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      ),
      ready: true,
      summary: '2/2 available',
    },
    {
      name: 'a Deployment whose controller has not seen the new generation',
      o: obj(
        'apps/v1',
        'Deployment',
        { replicas: 1 },
        { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
      ),
      ready: false,
      summary: '1/1 available',
    },
    {
      name: 'a Deployment with an old pod still around',
      o: obj(
        'apps/v1',
        'Deployment',
        {},
        { observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 1 },
      ),
      ready: false,
      summary: '1/1 available',
    },
    {
      name: 'a Deployment past its progress deadline',
      o: obj(
        'apps/v1',
        'Deployment',
        { replicas: 1 },
        {
          observedGeneration: 2,
          conditions: [
            { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'too slow' },
          ],
        },
      ),
      ready: false,
      failed: /^ProgressDeadlineExceeded: too slow$/,
      summary: '0/1 available',
    },
    {
      name: 'a StatefulSet mid-rollout (revisions differ)',
      o: obj(
        'apps/v1',
        'StatefulSet',
        { replicas: 1 },
        {
          observedGeneration: 2,
          readyReplicas: 1,
          updatedReplicas: 1,
          currentRevision: 'a',
          updateRevision: 'b',
        },
      ),
      ready: false,
      summary: '1/1 ready',
    },
    {
      name: 'a StatefulSet rolled out',
      o: obj(
        'apps/v1',
        'StatefulSet',
        { replicas: 1 },
        {
          observedGeneration: 2,
          readyReplicas: 1,
          updatedReplicas: 1,
          currentRevision: 'b',
          updateRevision: 'b',
        },
      ),
      ready: true,
      summary: '1/1 ready',
    },
    {
      name: 'a DaemonSet on every node',
      o: obj(
        'apps/v1',
        'DaemonSet',
        {},
        { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 },
      ),
      ready: true,
      summary: '3/3 available',
    },
    {
      name: 'a running Job',
      o: obj('batch/v1', 'Job', {}, { active: 1 }),
      ready: false,
      summary: '0 succeeded, 1 active',
    },
    {
      name: 'a complete Job',
      o: obj('batch/v1', 'Job', {}, { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }),
      ready: true,
      summary: 'complete',
    },
    {
      name: 'a failed Job',
      o: obj(
        'batch/v1',
        'Job',
        {},
        {
          conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'limit' }],
        },
      ),
      ready: false,
      failed: /^BackoffLimitExceeded: limit$/,
      summary: 'failed',
    },
    {
      name: 'a kind that is not waited for',
      o: obj('v1', 'ConfigMap', undefined, undefined),
      ready: true,
      summary: 'applied',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = workloadState(c.o);
      expect(s.ready).toBe(c.ready);
      expect(s.summary).toBe(c.summary);
      if (c.failed) expect(s.failed).toMatch(c.failed);
      else expect(s.failed).toBeUndefined();
    });
  }
});

describe('isWaitedKind', () => {
  const cases: [string, string, boolean][] = [
    ['apps/v1', 'Deployment', true],
    ['apps/v1', 'StatefulSet', true],
    ['apps/v1', 'DaemonSet', true],
    ['batch/v1', 'Job', true],
    ['v1', 'Service', false],
    ['example.com/v1', 'Deployment', false],
  ];
  for (const [apiVersion, kind, waited] of cases)
    it(`${kind} in ${apiVersion} is ${waited ? '' : 'not '}waited for`, () => {
      expect(isWaitedKind(obj(apiVersion, kind, {}, {}))).toBe(waited);
    });
});

describe('podProblem', () => {
  const pod = (status: unknown, deleting = false) => {
    const p = obj('v1', 'Pod', {}, status);
    if (deleting) p.metadata.deletionTimestamp = '2026-11-22T00:00:00Z';
    return p;
  };
  const cases: {
    name: string;
    status: unknown;
    reason?: string;
    message?: string;
    previousLogs?: boolean;
    deleting?: boolean;
  }[] = [
    { name: 'a pod still pending', status: { phase: 'Pending' } },
    {
      name: 'an unschedulable pod',
      status: {
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes' },
        ],
      },
      reason: 'Unschedulable',
      message: '0/1 nodes',
      previousLogs: false,
    },
    {
      name: 'an image pull back-off',
      status: {
        containerStatuses: [
          { name: 'c', state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } },
        ],
      },
      reason: 'ImagePullBackOff',
      message: 'not found',
      previousLogs: false,
    },
    {
      name: 'a crash loop, with the last exit',
      status: {
        containerStatuses: [
          {
            name: 'c',
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } },
            lastState: { terminated: { reason: 'Error', exitCode: 3 } },
          },
        ],
      },
      reason: 'CrashLoopBackOff',
      message: 'back-off 10s (last exit: Error, code 3)',
      previousLogs: true,
    },
    {
      name: 'an OOM-killed container that restarted',
      status: {
        containerStatuses: [
          {
            name: 'c',
            state: { running: {} },
            lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
          },
        ],
      },
      reason: 'OOMKilled',
      message: 'container c ran out of memory (exit code 137)',
      previousLogs: true,
    },
    {
      name: 'a failing init container',
      status: {
        initContainerStatuses: [
          {
            name: 'init',
            state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "s" not found' } },
          },
        ],
      },
      reason: 'CreateContainerConfigError',
      message: 'secret "s" not found',
      previousLogs: false,
    },
    {
      name: 'a container of an always-restarting pod that has just exited with an error',
      status: {
        containerStatuses: [
          { name: 'c', state: { terminated: { reason: 'Error', exitCode: 3 } }, restartCount: 0 },
        ],
      },
      reason: 'CrashLoopBackOff',
      message: 'container c exited (last exit: Error, code 3)',
      previousLogs: false,
    },
    {
      name: 'a pod being deleted whose container exited on SIGTERM',
      deleting: true,
      status: { containerStatuses: [{ name: 'c', state: { terminated: { reason: 'Error', exitCode: 2 } } }] },
    },
    {
      name: 'a container still creating',
      status: { containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ContainerCreating' } } }] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = podProblem(pod(c.status, c.deleting));
      if (!c.reason) return expect(p).toBeUndefined();
      expect(p).toMatchObject({ reason: c.reason, message: c.message, previousLogs: c.previousLogs });
    });
  }
});

describe('podSelector', () => {
  it('joins a workload matchLabels', () => {
    expect(
      podSelector(obj('apps/v1', 'Deployment', { selector: { matchLabels: { app: 'a', tier: 'web' } } }, {})),
    ).toBe('app=a,tier=web');
  });
  it('selects a Job pods by its controller uid', () => {
    expect(podSelector(obj('batch/v1', 'Job', {}, {}))).toBe('batch.kubernetes.io/controller-uid=u-1');
  });
  it('has none for a workload without matchLabels', () => {
    expect(podSelector(obj('apps/v1', 'Deployment', { selector: {} }, {}))).toBeUndefined();
  });
});
