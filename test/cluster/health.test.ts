/**
 * health.sh names the component that failed and shows its last log lines,
 * checked against a cluster directory whose etcd has died.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLUSTER_SCRIPTS } from '../helpers/cluster.js';
import { tempDir } from '../helpers/kodev.js';

describe('scripts/cluster/health.sh', () => {
  it('reports a dead component by name with the tail of its log, and exits non-zero', async () => {
    const dir = await tempDir('kodev-health-');
    await mkdir(join(dir, 'pids'));
    await mkdir(join(dir, 'logs'));
    // A pid that cannot be alive: the kernel's pid_max is below 2^22 + 1 on Linux.
    await writeFile(join(dir, 'pids/etcd.pid'), '4194305');
    await writeFile(
      join(dir, 'logs/etcd.log'),
      'line one\netcdmain: listen tcp 127.0.0.1:12379: bind: address already in use\n',
    );
    const r = await execa('bash', [join(CLUSTER_SCRIPTS, 'health.sh')], {
      env: { KODEV_CLUSTER_DIR: dir },
      reject: false,
      all: true,
    });
    expect(r.exitCode).toBe(1);
    expect(r.all).toContain('kodev-cluster: etcd: not running');
    expect(r.all).toContain(`---- last lines of ${dir}/logs/etcd.log ----`);
    expect(r.all).toContain('bind: address already in use');
    // It stops at the first failure rather than reporting later components.
    expect(r.all).not.toContain('kube-apiserver');
  });
});
