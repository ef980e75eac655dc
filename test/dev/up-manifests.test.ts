/**
 * `kodev up` (local runtime) following manifest edits without a restart: new
 * args restart the process, and a manifest that now references another main
 * package adds that image to the loop.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAll, spawnKodev, tempDir } from '../helpers/kodev.js';

let dir: string;
let child: ReturnType<typeof spawnKodev>;
const events: { type: string; [k: string]: unknown }[] = [];
let buffer = '';

const main = (name: string) => `package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	fmt.Println("${name}:", strings.Join(os.Args[1:], " "))
	time.Sleep(time.Hour)
}
`;
const job = (name: string, args: string[]) => `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: ${name}
          image: ko://example.com/mf/cmd/${name}
          args: ${JSON.stringify(args)}
`;

async function waitLog(line: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!events.some((e) => e.type === 'log' && e.line === line)) {
    if (Date.now() > deadline)
      throw new Error(
        `no log line ${JSON.stringify(line)}; events:\n${events.map((e) => JSON.stringify(e)).join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = await tempDir('kodev-upm-');
  for (const c of ['a', 'b']) {
    await mkdir(join(dir, 'cmd', c), { recursive: true });
    await writeFile(join(dir, 'cmd', c, 'main.go'), main(c));
  }
  await mkdir(join(dir, 'deploy'));
  await writeFile(join(dir, 'go.mod'), 'module example.com/mf\n\ngo 1.22\n');
  await writeFile(join(dir, 'deploy/app.yaml'), job('a', ['x']));
  child = spawnKodev(['up', '--json', '--runtime', 'local', '-f', 'deploy/app.yaml'], { cwd: dir });
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l));
  });
  await waitLog('a: x', 180_000);
  // Edits made before the watcher's first scan has finished would go unseen.
  const deadline = Date.now() + 60_000;
  while (!events.some((e) => e.type === 'watching') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  expect(events.some((e) => e.type === 'watching')).toBe(true);
}, 240_000);

afterAll(async () => {
  child?.kill('SIGINT');
  await child;
  await removeAll(dir);
}, 60_000);

describe('kodev up follows manifest edits', () => {
  it('restarts a process with the new args, and adds an image a manifest now references', async () => {
    await writeFile(join(dir, 'deploy/app.yaml'), `${job('a', ['y'])}---\n${job('b', ['z'])}`);
    await waitLog('a: y');
    await waitLog('b: z');
    const built = events.filter((e) => e.type === 'published').map((e) => String(e.image));
    expect(built.filter((i) => i === 'example.com/mf/cmd/a')).toHaveLength(1);
    expect(built.filter((i) => i === 'example.com/mf/cmd/b')).toHaveLength(1);
  });
});
