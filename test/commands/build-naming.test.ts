/**
 * What `kodev build` prints and writes: references in argument order on
 * stdout only, ko's naming flags, tags, --image-refs, and multi-module builds.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { docker } from '../helpers/dockerd.js';
import { copyFixture, runKodev, tempDir } from '../helpers/kodev.js';

const scratch = { KO_DEFAULTBASEIMAGE: 'scratch' };
const REF = '@sha256:[a-f0-9]{64}';
let example: string;

beforeAll(async () => {
  example = await copyFixture('example', join(await tempDir(), 'example'));
});

describe('references on stdout', () => {
  it.each([
    ['default: <repo>/<base>-<md5>', [], `reg\\.example/team/hello-02517e9b69e5e762885ffb14a4585f1b${REF}`],
    ['-B: <repo>/<base>', ['-B'], `reg\\.example/team/hello${REF}`],
    ['-P: <repo>/<import path>', ['-P'], `reg\\.example/team/example\\.com/kodev-example/cmd/hello${REF}`],
    ['--bare: <repo>', ['--bare'], `reg\\.example/team${REF}`],
    ['-t shows the first tag', ['-B', '-t', 'v2,latest'], `reg\\.example/team/hello:v2${REF}`],
    ['--tag-only drops the digest', ['-B', '-t', 'v2', '--tag-only'], 'reg\\.example/team/hello:v2'],
  ])('%s', async (_name, flags, pattern) => {
    const r = await runKodev(['build', './cmd/hello', '--push=false', ...flags], {
      cwd: example,
      env: { ...scratch, KO_DOCKER_REPO: 'reg.example/team' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${pattern}\\n$`));
  });

  it('several import paths print in argument order, each once built, and --image-refs gets the same lines', async () => {
    const refs = join(example, 'refs.txt');
    const r = await runKodev(
      [
        'build',
        'ko://example.com/kodev-example/cmd/worker',
        './cmd/hello',
        'example.com/kodev-example/cmd/worker',
        '--push=false',
        '-B',
        '--image-refs',
        refs,
      ],
      { cwd: example, env: scratch },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split('@')[0])).toEqual([
      'ko.local/worker',
      'ko.local/hello',
      'ko.local/worker',
    ]);
    expect(lines[0]).toBe(lines[2]);
    // The worker was built once even though it was named twice.
    expect(r.stderr.match(/Building example\.com\/kodev-example\/cmd\/worker for/g)).toHaveLength(1);
    expect(await readFile(refs, 'utf8')).toBe(r.stdout);
  });

  it('-j 1 still builds several packages (serially)', async () => {
    const r = await runKodev(['build', './cmd/hello', './cmd/worker', '--push=false', '-j', '1'], {
      cwd: example,
      env: scratch,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
  });
});

describe('multi-module repository with builds[].dir', () => {
  it('builds each module from the repository root with its own ldflags template', async () => {
    const host = inject('dockerHost');
    const repo = await copyFixture('multimod');
    const tarball = join(repo, 'images.tar');
    const r = await runKodev(
      [
        'build',
        'example.com/api/cmd/api',
        './services/web/cmd/web',
        '--push=false',
        '-B',
        '--tarball',
        tarball,
        '-t',
        'mm',
      ],
      {
        cwd: repo,
        env: { ...scratch, API_VERSION: '1.4.2' },
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ko\\.local/api:mm${REF}\\nko\\.local/web:mm${REF}\\n$`));
    await docker(host, ['load', '-i', tarball]);
    expect((await docker(host, ['run', '--rm', '--network=none', 'ko.local/api:mm'])).stdout).toBe(
      'api version 1.4.2',
    );
    expect((await docker(host, ['run', '--rm', '--network=none', 'ko.local/web:mm'])).stdout).toBe(
      '<h1>web</h1>',
    );
  });
});

describe('the quick start from the repository root', () => {
  it('builds the bundled example with kodev.config.ts defaults (scratch base, no registry)', async () => {
    const root = new URL('../..', import.meta.url).pathname;
    const out = join(await tempDir(), 'out');
    const r = await runKodev(
      ['build', './fixtures/example/cmd/hello', '--oci-layout-path', out, '--push=false'],
      { cwd: root },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ko\\.local/hello-02517e9b69e5e762885ffb14a4585f1b${REF}\\n$`));
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    expect(index.manifests.map((m) => m.digest)).toEqual([r.stdout.trim().split('@')[1]]);
  });
});
