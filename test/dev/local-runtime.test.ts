/**
 * The local runtime with real processes: a tiny Go program built once that
 * reports its args, env and kodata, then waits for SIGTERM (or misbehaves on
 * request: exits 3, ignores SIGTERM, starts a child of its own).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalRuntime, type LocalRuntimeOptions } from '../../src/dev/local-runtime.js';
import type { LocalProcess } from '../../src/dev/local-specs.js';
import { UserError } from '../../src/errors.js';
import type { ServiceHandle } from '../../src/system/service.js';

const PROGRAM = `package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "exit3":
		fmt.Println("failing")
		fmt.Fprint(os.Stderr, "partial")
		os.Exit(3)
	case "child":
		fmt.Printf("child %d\\n", os.Getpid())
		time.Sleep(time.Hour)
		return
	}
	sig := make(chan os.Signal, 1)
	if mode == "ignore-term" {
		signal.Ignore(syscall.SIGTERM)
	} else {
		signal.Notify(sig, syscall.SIGTERM)
	}
	fmt.Printf("pid %d\\n", os.Getpid())
	fmt.Printf("args %s\\n", strings.Join(os.Args[1:], " "))
	fmt.Printf("greeting %s\\n", os.Getenv("GREETING"))
	fmt.Printf("leak <%s>\\n", os.Getenv("KODEV_TEST_LEAK"))
	data, err := os.ReadFile(filepath.Join(os.Getenv("KO_DATA_PATH"), "hello.txt"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "kodata error %v\\n", err)
	}
	fmt.Fprintf(os.Stderr, "kodata %s\\n", strings.TrimSpace(string(data)))
	if mode == "spawn" {
		cmd := exec.Command(os.Args[0], "child")
		cmd.Stdout = os.Stdout
		_ = cmd.Start()
	}
	fmt.Println("ready")
	select {
	case <-sig:
		fmt.Println("bye")
	case <-time.After(time.Hour):
	}
}
`;

let dir = '';
let binary = '';
let kodata = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kodev-local-runtime-'));
  await writeFile(join(dir, 'go.mod'), 'module example.com/prog\n\ngo 1.21\n');
  await writeFile(join(dir, 'main.go'), PROGRAM);
  binary = join(dir, 'prog');
  await execa('go', ['build', '-o', binary, '.'], { cwd: dir, timeout: 120_000 });
  kodata = join(dir, 'kodata');
  await mkdir(kodata);
  await writeFile(join(kodata, 'hello.txt'), 'from kodata\n');
}, 150_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Event =
  | { type: 'log'; process: string; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'exit'; process: string; code: number | null; signal: string | null; expected: boolean };

let runtime: LocalRuntime | undefined;

/** A runtime recording every log line and exit, in order. */
function newRuntime(more: Partial<LocalRuntimeOptions> = {}) {
  const events: Event[] = [];
  runtime = new LocalRuntime({
    onLog: (e) => events.push({ type: 'log', ...e }),
    onExit: (e) => events.push({ type: 'exit', ...e }),
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', GREETING: 'from base' },
    graceMs: 2000,
    ...more,
  });
  const lines = (name: string) =>
    events.flatMap((e) => (e.type === 'log' && e.process === name ? [e.line] : []));
  const exits = (name: string) => events.filter((e) => e.type === 'exit' && e.process === name);
  const waitLine = (name: string, re: RegExp) =>
    vi.waitFor(
      () => {
        const line = lines(name).find((l) => re.test(l));
        if (line === undefined)
          throw new Error(`no line matching ${re} from ${name}: ${lines(name).join(' | ')}`);
        return line;
      },
      { timeout: 10_000, interval: 20 },
    );
  const pidOf = async (name: string, prefix = 'pid') =>
    Number((await waitLine(name, new RegExp(`^${prefix} \\d+$`))).split(' ')[1]);
  return { runtime, events, lines, exits, waitLine, pidOf };
}

/** Fails instead of hanging when `p` takes longer than `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** True when `pid` no longer runs (gone, or a zombie nobody has reaped yet). */
async function isGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || / Z /.test(stat.slice(stat.lastIndexOf(')')));
}

const proc = (name: string, args: string[], env: Record<string, string> = {}): LocalProcess => ({
  name,
  importPath: 'example.com/prog',
  args,
  env,
});

afterEach(async () => {
  await within(runtime?.stopAll() ?? Promise.resolve(), 10_000, 'cleanup stopAll');
  runtime = undefined;
});

describe('LocalRuntime', () => {
  it('runs the binary with its args, env over baseEnv, KO_DATA_PATH and nothing else of kodev env', async () => {
    process.env.KODEV_TEST_LEAK = 'leaked';
    try {
      const r = newRuntime();
      await within(
        r.runtime.run(proc('web/app', ['hello', 'world'], { GREETING: 'hi' }), binary, kodata, dir),
        10_000,
        'run',
      );
      await r.waitLine('web/app', /^ready$/);
      expect(r.runtime.running()).toEqual(['web/app']);
      expect(r.lines('web/app')).toEqual(
        expect.arrayContaining(['args hello world', 'greeting hi', 'leak <>', 'kodata from kodata']),
      );
      expect(r.events).toContainEqual({
        type: 'log',
        process: 'web/app',
        stream: 'stderr',
        line: 'kodata from kodata',
      });

      await within(r.runtime.stop('web/app'), 10_000, 'stop');
      expect(r.lines('web/app')).toContain('bye');
      expect(r.exits('web/app')).toEqual([
        { type: 'exit', process: 'web/app', code: 0, signal: null, expected: true },
      ]);
      expect(r.runtime.running()).toEqual([]);
    } finally {
      delete process.env.KODEV_TEST_LEAK;
    }
  });

  it('restarts with new args only after the old process has exited', async () => {
    const r = newRuntime();
    await within(r.runtime.run(proc('web/app', ['one']), binary, kodata, dir), 10_000, 'run');
    const oldPid = await r.pidOf('web/app');
    await r.waitLine('web/app', /^ready$/);

    await within(r.runtime.run(proc('web/app', ['two']), binary, kodata, dir), 10_000, 'restart');
    await r.waitLine('web/app', /^args two$/);
    expect(await isGone(oldPid)).toBe(true);
    const order = r.events.map((e) => (e.type === 'exit' ? `exit expected=${e.expected}` : e.line));
    expect(order.indexOf('bye')).toBeLessThan(order.indexOf('exit expected=true'));
    expect(order.indexOf('exit expected=true')).toBeLessThan(order.indexOf('args two'));
    expect(r.runtime.running()).toEqual(['web/app']);
  });

  it('reports a process that exits on its own as unexpected, with its code, and does not restart it', async () => {
    const r = newRuntime();
    await within(r.runtime.run(proc('job/fail', ['exit3']), binary, kodata, dir), 10_000, 'run');
    await vi.waitFor(() => expect(r.exits('job/fail')).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(r.exits('job/fail')).toEqual([
      { type: 'exit', process: 'job/fail', code: 3, signal: null, expected: false },
    ]);
    // The unterminated last line is delivered before the exit.
    expect(r.events).toEqual([
      { type: 'log', process: 'job/fail', stream: 'stdout', line: 'failing' },
      { type: 'log', process: 'job/fail', stream: 'stderr', line: 'partial' },
      expect.objectContaining({ type: 'exit' }),
    ]);
    expect(r.runtime.running()).toEqual([]);
  });

  it('SIGKILLs a process that ignores SIGTERM after the grace period', async () => {
    const r = newRuntime({ graceMs: 300 });
    await within(r.runtime.run(proc('stubborn/app', ['ignore-term']), binary, kodata, dir), 10_000, 'run');
    const pid = await r.pidOf('stubborn/app');
    await r.waitLine('stubborn/app', /^ready$/);
    const started = performance.now();
    await within(r.runtime.stop('stubborn/app'), 10_000, 'stop');
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5_000);
    expect(r.exits('stubborn/app')).toEqual([
      { type: 'exit', process: 'stubborn/app', code: null, signal: 'SIGKILL', expected: true },
    ]);
    expect(await isGone(pid)).toBe(true);
  });

  it('stopAll leaves no process behind, children of the processes included', async () => {
    const r = newRuntime();
    await within(
      Promise.all([
        r.runtime.run(proc('a/app', ['spawn']), binary, kodata, dir),
        r.runtime.run(proc('b/app', []), binary, kodata, dir),
      ]),
      10_000,
      'run',
    );
    const pids = [await r.pidOf('a/app'), await r.pidOf('a/app', 'child'), await r.pidOf('b/app')];
    expect(r.runtime.running().sort()).toEqual(['a/app', 'b/app']);
    await within(r.runtime.stopAll(), 10_000, 'stopAll');
    expect(r.runtime.running()).toEqual([]);
    expect(r.exits('a/app')).toEqual([expect.objectContaining({ expected: true })]);
    expect(r.exits('b/app')).toEqual([expect.objectContaining({ expected: true })]);
    for (const pid of pids) {
      await vi.waitFor(async () => expect(await isGone(pid)).toBe(true), { timeout: 5_000, interval: 20 });
    }
  });

  it('rejects a missing binary with a user error naming the process, and runs the next one', async () => {
    const r = newRuntime();
    const missing = join(dir, 'no-such-program');
    const err = await within(
      r.runtime.run(proc('web/app', []), missing, kodata, dir).then(
        () => undefined,
        (e: unknown) => e,
      ),
      10_000,
      'run',
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(`web/app: cannot start ${missing}: no such file`);
    expect(r.runtime.running()).toEqual([]);

    await within(r.runtime.run(proc('web/app', []), binary, kodata, dir), 10_000, 'run');
    await r.waitLine('web/app', /^ready$/);
  });

  it('rejects a missing working directory by name', async () => {
    const r = newRuntime();
    const cwd = join(dir, 'no-such-dir');
    await expect(
      within(r.runtime.run(proc('web/app', []), binary, kodata, cwd), 10_000, 'run'),
    ).rejects.toThrow(`web/app: cannot start ${binary}: working directory ${cwd} does not exist`);
  });

  it('stopAll waits for a start under way and then stops it', async () => {
    const stopped: string[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let starting = 0;
    const fakeStart: LocalRuntimeOptions['start'] = async (spec) => {
      starting++;
      await gate;
      let exit: (v: { code: number | null; signal: string | null }) => void = () => undefined;
      const exited = new Promise<{ code: number | null; signal: string | null }>(
        (resolve) => (exit = resolve),
      );
      const handle: ServiceHandle = {
        pid: 1,
        exited,
        stop: async () => {
          stopped.push(spec.args.join(' '));
          exit({ code: 0, signal: null });
          await exited;
        },
      };
      return handle;
    };
    const r = newRuntime({ start: fakeStart });
    const run = r.runtime.run(proc('slow/app', ['x']), binary, kodata, dir);
    await vi.waitFor(() => expect(starting).toBe(1), { timeout: 1_000, interval: 5 });
    expect(r.runtime.running()).toEqual([]);
    const all = r.runtime.stopAll();
    open();
    await within(Promise.all([run, all]), 5_000, 'run and stopAll');
    expect(stopped).toEqual(['x']);
    expect(r.exits('slow/app')).toEqual([
      { type: 'exit', process: 'slow/app', code: 0, signal: null, expected: true },
    ]);
    expect(r.runtime.running()).toEqual([]);
  });
});
