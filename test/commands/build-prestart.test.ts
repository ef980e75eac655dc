/**
 * The recorded `go build` started from the entry (build/prestart.ts), against
 * a real registry and the real Go toolchain behind a `go` wrapper that logs
 * every `go build` it runs and whether it was stopped. After an edit, the
 * entry starts the recorded compile before the CLI loads, and the build
 * takes it over: one `go build`, with the edit in the binary. When the edit
 * changes what the build compiles (a renamed module), the started compile
 * is stopped and the build compiles its own. A source saved after the
 * entry started the compile keeps the run from being recorded. At most as
 * many start as --jobs allowed. A failed compile is run again and reported
 * as always.
 */
import { chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOciBase } from '../helpers/base-images.js';
import { copyFixture, removeAll, runKodev, tempDir } from '../helpers/kodev.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

let work: string;
let registry: Registry;
let wrapper: string;
let realGo: string;

beforeAll(async () => {
  work = await tempDir();
  registry = await startRegistry();
  const base = await makeOciBase(join(work, 'bases'), { tag: 'one' });
  await execa('skopeo', [
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    base.ref,
    `docker://${registry.host}/bases/app:stable`,
  ]);
  realGo = (await execa('sh', ['-c', 'command -v go'])).stdout.trim();
  // Logs `build <pid>` when a go build starts and `stopped <pid>` when it is sent SIGTERM; a build
  // of $SLOW_IMPORT waits 5 s first (a compile still running when the build decides about it).
  wrapper = join(work, 'go');
  await writeFile(
    wrapper,
    [
      '#!/bin/sh',
      'if [ "$1" != "build" ]; then exec "$REAL_GO" "$@"; fi',
      'echo "build $$" >> "$GO_LOG"',
      'if [ -n "$TOUCH_ON_START" ]; then echo "// saved while go build ran" >> "$TOUCH_ON_START"; fi',
      'trap \'echo "stopped $$" >> "$GO_LOG"; kill $child 2>/dev/null; exit 143\' TERM',
      'if [ -n "$SLOW_IMPORT" ]; then',
      '  case "$*" in *" $SLOW_IMPORT") sleep 5 & child=$!; wait $child ;; esac',
      'fi',
      '"$REAL_GO" "$@" &',
      'child=$!',
      'wait $child',
      'status=$?',
      'echo "end $$" >> "$GO_LOG"',
      'exit $status',
      '',
    ].join('\n'),
  );
  await chmod(wrapper, 0o755);
});

afterAll(async () => {
  await registry?.stop();
  await removeAll(work);
});

/** A copy of the example and a build of its hello command there, through the wrapper. */
async function setup(name: string) {
  const dir = await copyFixture('example', join(work, name));
  const log = join(work, `${name}.log`);
  const build = async (extraEnv: Record<string, string> = {}, flags: string[] = []) => {
    await writeFile(log, '');
    const r = await runKodev(['build', '--sbom=none', ...flags, './cmd/hello'], {
      cwd: dir,
      env: {
        KOCACHE: join(work, `kocache-${name}`),
        HOME: join(work, 'home'),
        KO_DOCKER_REPO: `${registry.host}/${name}`,
        KO_DEFAULTBASEIMAGE: `${registry.host}/bases/app:stable`,
        KO_GO_PATH: wrapper,
        REAL_GO: realGo,
        GO_LOG: log,
        KODEV_TIMINGS: '1',
        ...extraEnv,
      },
    });
    const lines = (await readFile(log, 'utf8')).trim().split('\n').filter(Boolean);
    return {
      ...r,
      lines,
      goBuilds: lines.filter((l) => l.startsWith('build ')),
      stopped: lines.filter((l) => l.startsWith('stopped ')),
    };
  };
  return { dir, build, kocache: join(work, `kocache-${name}`) };
}

/** The order of two marks in KODEV_TIMINGS output (the index of each line). */
function lineOf(stderr: string, text: string): number {
  return stderr.split('\n').findIndex((l) => l.includes(text));
}

/** Runs every binary kodev keeps under KOCACHE/bin, for what it prints first. */
async function cachedBinaryOutputs(kocache: string): Promise<string[]> {
  const dirs = await readdir(join(kocache, 'bin'));
  return Promise.all(
    dirs.map(async (d) => {
      const r = await execa(join(kocache, 'bin', d, 'out'), {
        reject: false,
        env: { KO_DATA_PATH: '/nonexistent' },
      });
      return r.stdout.split('\n')[0] ?? '';
    }),
  );
}

describe('the recorded go build, started by the entry', () => {
  it('starts before the CLI loads after an edit, and the build takes it over', async () => {
    const { dir, build, kocache } = await setup('adopt');
    const first = await build();
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.goBuilds).toHaveLength(1);
    expect(first.stderr).not.toContain('started by the entry');

    const greet = join(dir, 'internal/greet/greet.go');
    await writeFile(greet, (await readFile(greet, 'utf8')).replace('Hello', 'Hello again'));
    const edited = await build();
    expect(edited.exitCode, edited.stderr).toBe(0);
    // One go build, the one the entry started before the arguments were even parsed.
    expect(edited.goBuilds).toHaveLength(1);
    expect(edited.stopped).toEqual([]);
    const started = lineOf(edited.stderr, 'started 1 recorded go build(s)');
    expect(started).toBeGreaterThanOrEqual(0);
    expect(started).toBeLessThan(lineOf(edited.stderr, 'parsed arguments'));
    expect(edited.stderr).toMatch(/\] go build \(started by the entry\) -trimpath -o /);
    expect(edited.stdout.trim()).not.toBe(first.stdout.trim());
    // The binary that went into the image is the edited one (its only build is the stable path).
    expect(await cachedBinaryOutputs(kocache)).toEqual(['Hello again, world, from a kodev image!']);

    // Unchanged again: answered from the new record, nothing built.
    const again = await build();
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe(edited.stdout);
    expect(again.goBuilds).toEqual([]);
  });

  it('stops the started compile when the edit changes what is built, and builds the new plan', async () => {
    const { dir, build } = await setup('replan');
    const first = await build();
    expect(first.exitCode, first.stderr).toBe(0);
    // A renamed module: the import path, so the plan and its output path, change.
    const { stdout: files } = await execa('grep', ['-rl', 'example.com/kodev-example', '.'], { cwd: dir });
    for (const f of files.split('\n')) {
      const path = join(dir, f);
      await writeFile(
        path,
        (await readFile(path, 'utf8')).replaceAll('example.com/kodev-example', 'example.com/renamed'),
      );
    }
    // The recorded compile (of the old import path) is held back, so it is still running.
    const renamed = await build({ SLOW_IMPORT: 'example.com/kodev-example/cmd/hello' });
    expect(renamed.exitCode, renamed.stderr).toBe(0);
    expect(renamed.goBuilds).toHaveLength(2);
    expect(renamed.stopped).toEqual([renamed.goBuilds[0]?.replace('build', 'stopped')]);
    expect(renamed.stdout.trim()).toMatch(new RegExp(`^${registry.host}/replan/hello-[0-9a-f]{32}@sha256:`));
    expect(renamed.stdout.trim().split('@')[0]).not.toBe(first.stdout.trim().split('@')[0]);
  });

  it('writes no record when a source is saved after the entry started the compile', async () => {
    const { dir, build } = await setup('saved');
    expect((await build()).exitCode).toBe(0);
    const greet = join(dir, 'internal/greet/greet.go');
    await writeFile(greet, (await readFile(greet, 'utf8')).replace('Hello', 'Hello again'));
    // The compile the entry starts saves a file as it begins: before the CLI has even loaded.
    const saved = await build({ TOUCH_ON_START: join(dir, 'cmd/hello/main.go') });
    expect(saved.exitCode, saved.stderr).toBe(0);
    expect(saved.stderr).toContain('started 1 recorded go build(s)');
    // So that run could not vouch for what it built: the next one builds again, then is recorded.
    const next = await build();
    expect(next.exitCode, next.stderr).toBe(0);
    expect(next.stderr).not.toContain('Nothing changed since the last identical build');
    expect(next.goBuilds).toHaveLength(1);
    const again = await build();
    expect(again.stderr).toContain('Nothing changed since the last identical build');
    expect(again.goBuilds).toEqual([]);
  });

  it('starts no more compiles at once than --jobs allowed the recorded run', async () => {
    const { dir, build } = await setup('jobs');
    const flags = ['--jobs', '1', '--platform', 'linux/amd64,linux/arm64'];
    const first = await build({}, flags);
    expect(first.exitCode, first.stderr).toBe(0);
    const greet = join(dir, 'internal/greet/greet.go');
    await writeFile(greet, (await readFile(greet, 'utf8')).replace('Hello', 'Hello again'));
    const edited = await build({}, flags);
    expect(edited.exitCode, edited.stderr).toBe(0);
    expect(edited.stderr).toContain('started 1 recorded go build(s)');
    // Two compiles, one after the other: each ends before the next starts.
    expect(edited.lines.map((l) => l.split(' ')[0])).toEqual(['build', 'end', 'build', 'end']);
  });

  it('runs a failed compile again and reports it as any build error', async () => {
    const { dir, build } = await setup('broken');
    const first = await build();
    expect(first.exitCode, first.stderr).toBe(0);
    const greet = join(dir, 'internal/greet/greet.go');
    await writeFile(
      greet,
      (await readFile(greet, 'utf8')).replace('return fmt.Sprintf', 'return fmt.Sprintff'),
    );
    const broken = await build();
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toContain('Error: go build example.com/kodev-example/cmd/hello failed');
    expect(broken.stderr).toContain('undefined: fmt.Sprintff');
    // The entry's compile failed, and the build ran its own to report the error.
    expect(broken.goBuilds).toHaveLength(2);
  });
});
