import { beforeAll, describe, expect, it } from 'vitest';
import type { GoBuildInfo } from '../../src/sbom/buildinfo.js';
import { GoVersionMSyntaxError, parseGoVersionM, withAppPath } from '../../src/sbom/buildinfo.js';
import type { BuiltProgram } from './go-binaries.js';
import { ARM_PROGRAM, buildProgram, REPLACE_LDFLAGS, REPLACE_PROGRAM, UUID_PROGRAM } from './go-binaries.js';

const UUID_SUM = 'h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=';
const UUID_150_SUM = 'h1:1p67kYwdtXjb0gL0BPiP1Av9wiZPo5A8z2cWkTZ+eyU=';
const JWT_SUM = 'h1:7qlOGliEKZXTDg6OTjfoBKDXWrumCAMpl/TFQ4/5kLM=';

describe('parseGoVersionM on real go version -m output', () => {
  let uuid: BuiltProgram;
  let replace: BuiltProgram;
  let arm: BuiltProgram;
  beforeAll(async () => {
    [uuid, replace, arm] = (await Promise.all(
      [UUID_PROGRAM, REPLACE_PROGRAM, ARM_PROGRAM].map(buildProgram),
    )) as [BuiltProgram, BuiltProgram, BuiltProgram];
  });

  it('reads the Go version, main package, main module and a downloaded dep with its sum', () => {
    const info = parseGoVersionM(uuid.text);
    expect(info.goVersion).toMatch(/^go1\.\d+/);
    expect(info.path).toBe('example.com/app');
    expect(info.main).toEqual({ path: 'example.com/app', version: '(devel)' });
    expect(info.deps).toEqual([{ path: 'github.com/google/uuid', version: 'v1.6.0', sum: UUID_SUM }]);
    expect(info.settings).toMatchObject({ '-buildmode': 'exe', '-compiler': 'gc', GOOS: 'linux' });
  });

  it('reads module and directory replacements, +incompatible versions, quoted ldflags and vcs stamps', () => {
    const info = parseGoVersionM(replace.text);
    expect(info.main.path).toBe('example.com/rep');
    expect(info.main.version).toMatch(/^v0\.0\.0-20240102030405-[0-9a-f]{12}$/);
    expect(info.deps).toEqual([
      { path: 'example.com/greet', version: 'v0.0.0', replace: { path: './greet', version: '(devel)' } },
      { path: 'github.com/dgrijalva/jwt-go', version: 'v3.2.0+incompatible', sum: JWT_SUM },
      {
        path: 'github.com/google/uuid',
        version: 'v1.6.0',
        replace: { path: 'github.com/google/uuid', version: 'v1.5.0', sum: UUID_150_SUM },
      },
    ]);
    expect(replace.text).toContain('-ldflags="'); // Go really quoted it
    expect(info.settings['-ldflags']).toBe(REPLACE_LDFLAGS);
    expect(info.settings).toMatchObject({
      vcs: 'git',
      'vcs.time': '2024-01-02T03:04:05Z',
      'vcs.modified': 'false',
    });
    expect(info.settings['vcs.revision']).toMatch(/^[0-9a-f]{40}$/);
  });

  it('reads a cross-compiled binary without deps', () => {
    const info = parseGoVersionM(arm.text);
    expect(info.deps).toEqual([]);
    expect(info.settings).toMatchObject({ GOOS: 'linux', GOARCH: 'arm', GOARM: '7', '-trimpath': 'true' });
  });

  it('withAppPath replaces only the temporary binary path on the first line', () => {
    const out = withAppPath(uuid.text, '/ko-app/app');
    expect(out).toBe(uuid.text.replace(uuid.binary, '/ko-app/app'));
    expect(out).not.toContain(uuid.binary);
    expect(out.startsWith('/ko-app/app: go1.')).toBe(true);
  });
});

const HEAD = '/tmp/x/app: go1.26.8\n\tpath\texample.com/a\n\tmod\texample.com/a\t(devel)\t\n';

describe('parseGoVersionM edge cases', () => {
  it.each<[string, string, Partial<GoBuildInfo>]>([
    ['CRLF line ends', HEAD.replaceAll('\n', '\r\n'), { path: 'example.com/a', goVersion: 'go1.26.8' }],
    [
      'a file name containing ": "',
      '/tmp/we ird: name: go1.26.8 X:boringcrypto\n\tpath\tp\n\tmod\tp\t(devel)\t\n',
      { goVersion: 'go1.26.8 X:boringcrypto', path: 'p' },
    ],
    [
      'a devel toolchain',
      'f: devel go1.27-abc Tue\n\tpath\tp\n\tmod\tp\tv1.0.0\t\n',
      { goVersion: 'devel go1.27-abc Tue' },
    ],
    [
      'quoted keys and values, Go escapes and raw strings',
      `${HEAD}\tbuild\t"a=b"="x\\ty \\"q\\" \\u00e9\\x41\\101"\n\tbuild\t-tags=\`raw "v"\`\n\tbuild\tCGO_CFLAGS=\n`,
      { settings: { 'a=b': 'x\ty "q" éAA', '-tags': 'raw "v"', CGO_CFLAGS: '' } },
    ],
    ['unknown line kinds, skipped for newer Go', `${HEAD}\tfuture\tthing\n`, { deps: [] }],
    [
      'a key that would pollute a prototype stays data',
      `${HEAD}\tbuild\t__proto__=x\n`,
      { settings: Object.fromEntries([['__proto__', 'x']]) },
    ],
  ])('parses %s', (_name, text, want) => {
    expect(parseGoVersionM(text)).toMatchObject(want);
  });

  it.each<[string, string, RegExp]>([
    ['empty text', '', /line 1: empty/],
    [
      'go version -m error text',
      '/bin/ls: could not read Go build info from /bin/ls: not a Go executable\n',
      /line 1/,
    ],
    ['a go command error', 'x: go: downloading example.com/a v1.0.0\n', /line 1: expected 'FILE: goVERSION'/],
    ['a go.mod file', 'module example.com/a\n\ngo 1.22\n', /line 1: expected 'FILE: goVERSION'/],
    ['output for two binaries', `${HEAD}${HEAD}`, /line 4: a second binary/],
    ['a dep without version', `${HEAD}\tdep\tgithub.com/x\n`, /line 4: expected path, version/],
    ['a dep with too many fields', `${HEAD}\tdep\ta\tv1\th1:x\textra\n`, /line 4/],
    [
      'a replacement before any dep',
      `${HEAD}\t=>\tgithub.com/x\tv1.0.0\t\n`,
      /line 4: replacement without a dep/,
    ],
    ['a binary without module info', 'f: go1.26.8\n\tpath\tp\n', /no 'mod' line/],
    ['no path line', 'f: go1.26.8\n\tmod\tp\t(devel)\t\n', /no 'path' line/],
    ['a build line without =', `${HEAD}\tbuild\tnoequals\n`, /line 4: build setting needs/],
    ['a bad escape in a quoted value', `${HEAD}\tbuild\tk="\\q"\n`, /line 4: bad quoted build value/],
    ['text after a quoted value', `${HEAD}\tbuild\tk="v"x\n`, /line 4: bad quoted build value/],
    ['an unterminated quoted key', `${HEAD}\tbuild\t"k=v\n`, /line 4: bad quoted build key/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parseGoVersionM(text)).toThrow(GoVersionMSyntaxError);
    expect(() => parseGoVersionM(text)).toThrow(message);
  });
});
