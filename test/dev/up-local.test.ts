/**
 * `kodev up` end to end with the local runtime: real go builds, a real
 * watcher on a temp module, real processes, observed through `--json`
 * events. Each case edits files and checks exactly which images rebuild and
 * what the running programs print.
 */
import { writeFileSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAll, spawnKodev, tempDir } from '../helpers/kodev.js';

interface Event {
  type: string;
  [k: string]: unknown;
}

let dir: string;
let child: ReturnType<typeof spawnKodev>;
const events: Event[] = [];
let buffer = '';

const A = 'example.com/up/cmd/a';
const B = 'example.com/up/cmd/b';

function program(name: string, pkgs: string[]): string {
  return `package main

import (
	"fmt"
	"time"
${pkgs.map((p) => `\t"example.com/up/internal/${p}"`).join('\n')}
)

func main() {
	fmt.Println("${name}:", ${pkgs.map((p) => `${p}.Word()`).join(' + " " + ')})
	for {
		time.Sleep(time.Hour)
	}
}
`;
}
const pkg = (name: string, word: string) =>
  `package ${name}\n\n// Word is what the programs print.\nfunc Word() string { return "${word}" }\n`;

/** Waits (bounded) until an event after index `from` satisfies `pred`; returns its index. */
async function waitEvent(pred: (e: Event) => boolean, from: number, ms = 90_000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const i = events.findIndex((e, n) => n >= from && pred(e));
    if (i >= 0) return i;
    if (Date.now() > deadline)
      throw new Error(
        `no matching event within ${ms} ms; events since ${from}:\n${events
          .slice(from)
          .map((e) => JSON.stringify(e))
          .join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The images a cycle rebuilt: built (published) between its start and end. */
async function nextCycle(
  from: number,
): Promise<{ end: number; built: string[]; skipped: string[]; ok: boolean }> {
  const start = await waitEvent((e) => e.type === 'cycle-start', from);
  const end = await waitEvent((e) => e.type === 'cycle-end', start);
  const between = events.slice(start, end);
  return {
    end,
    built: between
      .filter((e) => e.type === 'published')
      .map((e) => String(e.image))
      .sort(),
    skipped: between
      .filter((e) => e.type === 'image-skipped')
      .map((e) => `${String(e.image)}: ${String(e.why)}`),
    ok: Boolean(events[end]?.ok),
  };
}

const logs = (from: number) =>
  events
    .slice(from)
    .filter((e) => e.type === 'log')
    .map((e) => `${String((e.source as { resource: string }).resource)}: ${String(e.line)}`);

beforeAll(async () => {
  dir = await tempDir('kodev-up-');
  await mkdir(join(dir, 'cmd/a'), { recursive: true });
  await mkdir(join(dir, 'cmd/b'), { recursive: true });
  await mkdir(join(dir, 'internal/shared'), { recursive: true });
  await mkdir(join(dir, 'internal/onlya'), { recursive: true });
  await writeFile(join(dir, 'go.mod'), 'module example.com/up\n\ngo 1.22\n');
  await writeFile(join(dir, 'internal/shared/shared.go'), pkg('shared', 'one'));
  await writeFile(join(dir, 'internal/onlya/onlya.go'), pkg('onlya', 'alpha'));
  await writeFile(join(dir, 'cmd/a/main.go'), program('a', ['shared', 'onlya']));
  await writeFile(join(dir, 'cmd/b/main.go'), program('b', ['shared']));
  child = spawnKodev(['up', '--json', '--runtime', 'local', './cmd/a', './cmd/b'], { cwd: dir });
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l) as Event);
  });
  await waitEvent((e) => e.type === 'watching', 0, 180_000);
}, 240_000);

afterAll(async () => {
  child?.kill('SIGINT');
  const r = await child;
  expect(String(r.stderr)).not.toContain('internal error');
  await removeAll(dir);
}, 60_000);

describe('kodev up (local runtime) rebuilds exactly what a change affects', () => {
  it('starts both programs with their first output', async () => {
    await waitEvent((e) => e.type === 'log' && e.line === 'a: one alpha', 0);
    await waitEvent((e) => e.type === 'log' && e.line === 'b: one', 0);
  });

  it('an edit to a package only a uses rebuilds and restarts only a', async () => {
    const from = events.length;
    await writeFile(join(dir, 'internal/onlya/onlya.go'), pkg('onlya', 'beta'));
    const c = await nextCycle(from);
    expect(c.built).toEqual([A]);
    expect(c.ok).toBe(true);
    await waitEvent((e) => e.type === 'log' && e.line === 'a: one beta', from);
    expect(logs(from).filter((l) => l.startsWith('b'))).toEqual([]);
  });

  it('an edit to the shared package rebuilds both', async () => {
    const from = events.length;
    await writeFile(join(dir, 'internal/shared/shared.go'), pkg('shared', 'two'));
    const c = await nextCycle(from);
    expect(c.built).toEqual([A, B]);
    await waitEvent((e) => e.type === 'log' && e.line === 'a: two beta', from);
    await waitEvent((e) => e.type === 'log' && e.line === 'b: two', from);
  });

  it('a comment-only edit compiles but publishes and restarts nothing', async () => {
    const from = events.length;
    const file = join(dir, 'internal/onlya/onlya.go');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('// Word is', '// Word (edited comment) is'),
    );
    const c = await nextCycle(from);
    expect(c.built).toEqual([]);
    expect(c.skipped).toEqual([`${A}: binary unchanged`]);
    expect(logs(from)).toEqual([]);
  });

  it('a test file or a file excluded by build constraints triggers nothing', async () => {
    const from = events.length;
    await writeFile(join(dir, 'internal/shared/shared_test.go'), 'package shared\n');
    await writeFile(join(dir, 'internal/shared/only_windows.go'), 'package shared\n\nconst X = 1\n');
    await appendFile(join(dir, 'internal/shared/only_windows.go'), '\nconst Y = 2\n');
    await new Promise((r) => setTimeout(r, 1500));
    // Adding a source file to a package reloads it; its binary is unchanged, so nothing restarts.
    const builtSince = events.slice(from).filter((e) => e.type === 'published');
    expect(builtSince).toEqual([]);
    expect(logs(from)).toEqual([]);
  });

  it('a compile error shows the compiler output, keeps watching, and the next good save recovers', async () => {
    const from = events.length;
    const file = join(dir, 'internal/onlya/onlya.go');
    await writeFile(file, 'package onlya\n\nfunc Word() string { return undefinedThing }\n');
    const bad = await nextCycle(from);
    expect(bad.ok).toBe(false);
    const output = events
      .slice(from, bad.end)
      .filter((e) => e.type === 'build-output')
      .map((e) => String(e.line));
    expect(output.some((l) => l.includes('undefined: undefinedThing'))).toBe(true);
    await writeFile(file, pkg('onlya', 'gamma'));
    const good = await nextCycle(bad.end);
    expect(good.ok).toBe(true);
    expect(good.built).toEqual([A]);
    await waitEvent((e) => e.type === 'log' && e.line === 'a: two gamma', bad.end);
  });

  it('100 saves in a burst give one build per affected image, and the last content wins', async () => {
    const from = events.length;
    const file = join(dir, 'internal/shared/shared.go');
    // Synchronous writes: the burst takes milliseconds, whatever else the machine is doing.
    for (let i = 0; i < 100; i++) writeFileSync(file, pkg('shared', `burst${i}`));
    await waitEvent((e) => e.type === 'log' && e.line === 'b: burst99', from);
    await waitEvent(
      (e) => e.type === 'cycle-end',
      events.findLastIndex((e) => e.type === 'cycle-start'),
    );
    const published = events
      .slice(from)
      .filter((e) => e.type === 'published')
      .map((e) => String(e.image));
    expect(published.sort()).toEqual([A, B]);
    expect(logs(from).filter((l) => l.startsWith('b: b: burst'))).toEqual(['b: b: burst99']);
  });

  it('a newer change cancels the build in flight for that image (latest wins)', async () => {
    const from = events.length;
    const file = join(dir, 'internal/onlya/onlya.go');
    await writeFile(file, pkg('onlya', 'first'));
    await waitEvent((e) => e.type === 'image-state' && e.image === A && e.state === 'building', from);
    await writeFile(file, pkg('onlya', 'second'));
    await waitEvent((e) => e.type === 'log' && String(e.line).endsWith(' second'), from);
    const superseded = events
      .slice(from)
      .filter(
        (e) => e.type === 'image-state' && e.image === A && e.detail === 'superseded by a newer change',
      );
    expect(superseded).toHaveLength(1);
    expect(logs(from).filter((l) => l.endsWith(' first'))).toEqual([]);
  });

  it('go.mod edits rebuild everything', async () => {
    const from = events.length;
    await appendFile(join(dir, 'go.mod'), '\n// touched\n');
    const c = await nextCycle(from);
    expect([...c.built, ...c.skipped.map((s) => s.split(':')[0])].sort()).toEqual([A, B]);
  });
});
