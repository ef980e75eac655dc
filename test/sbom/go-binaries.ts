/**
 * Builds small Go programs with the real toolchain and returns their
 * `go version -m` output, so the SBOM tests read what Go really prints.
 * Modules come from the Go proxy; GOTOOLCHAIN=local keeps the installed Go.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

/** A Go module to build: its files, build flags and environment. */
export interface GoProgram {
  files: Record<string, string>;
  buildArgs?: string[];
  env?: Record<string, string>;
  /** Commit the module to a git repository first, so Go stamps vcs.* settings. */
  git?: boolean;
}

/** The output of `go version -m` for one build, and the binary path it names. */
export interface BuiltProgram {
  text: string;
  binary: string;
}

/** A program with one downloaded dependency. */
export const UUID_PROGRAM: GoProgram = {
  files: {
    'go.mod': 'module example.com/app\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n',
    'main.go':
      'package main\n\nimport (\n\t"fmt"\n\n\t"github.com/google/uuid"\n)\n\nfunc main() { fmt.Println(uuid.NewString()) }\n',
  },
};

/** The -ldflags of REPLACE_PROGRAM: spaces and quotes make Go quote the setting. */
export const REPLACE_LDFLAGS = `-s -w '-X=main.version=1 "2"'`;

/**
 * A program whose go.mod replaces one module with another version and one
 * with a local directory, and depends on a `+incompatible` version.
 */
export const REPLACE_PROGRAM: GoProgram = {
  files: {
    'greet/go.mod': 'module example.com/greet\n\ngo 1.22\n',
    'greet/greet.go': 'package greet\n\n// Hello greets.\nfunc Hello() string { return "hello" }\n',
    'go.mod': [
      'module example.com/rep',
      '',
      'go 1.22',
      '',
      'require (',
      '\texample.com/greet v0.0.0',
      '\tgithub.com/dgrijalva/jwt-go v3.2.0+incompatible',
      '\tgithub.com/google/uuid v1.6.0',
      ')',
      '',
      'replace example.com/greet => ./greet',
      '',
      'replace github.com/google/uuid => github.com/google/uuid v1.5.0',
      '',
    ].join('\n'),
    'main.go': [
      'package main',
      '',
      'import (',
      '\t"fmt"',
      '',
      '\t"example.com/greet"',
      '\t"github.com/dgrijalva/jwt-go"',
      '\t"github.com/google/uuid"',
      ')',
      '',
      'var version = "dev"',
      '',
      'func main() { fmt.Println(greet.Hello(), uuid.NewString(), jwt.SigningMethodHS256.Alg(), version) }',
      '',
    ].join('\n'),
  },
  buildArgs: [`-ldflags=${REPLACE_LDFLAGS}`],
  git: true,
};

/** A standard-library-only program cross-compiled for linux/arm/v7. */
export const ARM_PROGRAM: GoProgram = {
  files: {
    'go.mod': 'module example.com/armapp\n\ngo 1.22\n',
    'main.go': 'package main\n\nfunc main() { println("hi") }\n',
  },
  buildArgs: ['-trimpath'],
  env: { GOOS: 'linux', GOARCH: 'arm', GOARM: '7', CGO_ENABLED: '0' },
};

function goEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', GOWORK: 'off', ...extra };
}

/** Writes `program` to a temp dir, builds it and runs `go version -m` on the binary. */
export async function buildProgram(program: GoProgram): Promise<BuiltProgram> {
  const dir = await mkdtemp(join(tmpdir(), 'kodev-sbom-go-'));
  try {
    const src = join(dir, 'src');
    for (const [name, text] of Object.entries(program.files)) {
      await mkdir(dirname(join(src, name)), { recursive: true });
      await writeFile(join(src, name), text);
    }
    await execa('go', ['mod', 'tidy'], { cwd: src, env: goEnv() });
    if (program.git) {
      const git = ['-c', 'user.email=test@example.com', '-c', 'user.name=test', '-c', 'commit.gpgsign=false'];
      await execa('git', ['init', '-q', '.'], { cwd: src });
      await execa('git', ['add', '-A'], { cwd: src });
      await execa('git', [...git, 'commit', '-qm', 'init'], {
        cwd: src,
        env: { GIT_COMMITTER_DATE: '2024-01-02T03:04:05Z', GIT_AUTHOR_DATE: '2024-01-02T03:04:05Z' },
      });
    }
    const binary = join(dir, 'out', 'app');
    await execa('go', ['build', ...(program.buildArgs ?? []), '-o', binary, '.'], {
      cwd: src,
      env: goEnv(program.env),
    });
    const { stdout } = await execa('go', ['version', '-m', binary], {
      env: goEnv(),
      stripFinalNewline: false,
    });
    return { text: stdout, binary };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
