/**
 * While the first `go build` runs, kodev's main thread runs at the lowest
 * priority and `go` at the normal one; afterwards the thread is back at
 * normal where the system allows it (system/priority.ts). Observed from the
 * outside: a `go` wrapper records its own nice value and kodev's, with ps.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, runKodev, tempDir } from '../helpers/kodev.js';

let work: string;
let realGo: string;

beforeAll(async () => {
  work = await tempDir();
  realGo = (await execa('sh', ['-c', 'command -v go'])).stdout.trim();
});

describe('priority while go build runs', () => {
  // Linux, as the whole suite: there a nice value belongs to a thread.
  it('kodev steps back while go builds, go keeps its priority, and kodev is restored after', async () => {
    const dir = await copyFixture('example', join(work, 'example'));
    const wrapper = join(work, 'go');
    // `build` waits until kodev has had time to lower itself, then records both nice values.
    await writeFile(
      wrapper,
      [
        '#!/bin/sh',
        'if [ "$1" = "build" ]; then',
        '  sleep 1',
        '  echo "build self=$(nice) kodev=$(ps -o ni= -p $PPID | tr -d " ")" >> "$NICE_LOG"',
        'elif [ "$1" = "version" ]; then',
        '  echo "version self=$(nice)" >> "$NICE_LOG"',
        'fi',
        'exec "$REAL_GO" "$@"',
        '',
      ].join('\n'),
    );
    await chmod(wrapper, 0o755);
    const build = async (platforms: string, sbom: string, log: string) => {
      const r = await runKodev(
        ['build', './cmd/hello', '--push=false', '--platform', platforms, `--sbom=${sbom}`],
        {
          cwd: dir,
          env: {
            KO_DEFAULTBASEIMAGE: 'scratch',
            KO_GO_PATH: wrapper,
            REAL_GO: realGo,
            NICE_LOG: log,
            KOCACHE: join(work, `kocache-${sbom}`),
          },
        },
      );
      expect(r.exitCode, r.stderr).toBe(0);
      return (await readFile(log, 'utf8')).trim().split('\n');
    };
    // Two platforms: both go builds start before kodev steps back, so neither inherits its low priority.
    expect(await build('linux/amd64,linux/arm64', 'none', join(work, 'two.log'))).toEqual([
      'build self=0 kodev=19',
      'build self=0 kodev=19',
    ]);
    // One platform: the SBOM's `go version -m` starts after the compile has ended, so it inherits
    // kodev's priority then: normal again where raising it is allowed (root here), the lowest otherwise.
    const restored = process.getuid?.() === 0 ? 0 : 19;
    expect(await build('linux/amd64', 'spdx', join(work, 'one.log'))).toEqual([
      'build self=0 kodev=19',
      `version self=${restored}`,
    ]);
  });
});
