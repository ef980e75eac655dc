/** DOCKER_HOST parsing and the daemon's architecture names, as tables. */
import { describe, expect, it } from 'vitest';
import { parseDockerHost, platformFromUname } from '../../src/docker/host.js';
import { UserError } from '../../src/errors.js';

describe('parseDockerHost', () => {
  it.each([
    [
      'unset: the default socket',
      {},
      { address: 'unix:///var/run/docker.sock', fromEnv: false, origin: 'http://localhost' },
    ],
    [
      'a unix socket',
      { DOCKER_HOST: 'unix:///tmp/d/docker.sock' },
      { origin: 'http://localhost', socketPath: '/tmp/d/docker.sock', fromEnv: true },
    ],
    [
      'tcp without TLS',
      { DOCKER_HOST: 'tcp://10.0.0.5:2375' },
      { origin: 'http://10.0.0.5:2375', address: 'tcp://10.0.0.5:2375', fromEnv: true },
    ],
    [
      'tcp with TLS and a cert path',
      { DOCKER_HOST: 'tcp://docker.example:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      { origin: 'https://docker.example:2376', certPath: '/certs' },
    ],
    [
      'tcp with TLS and no cert path: ~/.docker',
      { DOCKER_HOST: 'tcp://docker.example', DOCKER_TLS_VERIFY: '1', HOME: '/home/me' },
      { origin: 'https://docker.example:2376', certPath: '/home/me/.docker' },
    ],
  ])('%s', (_case, env, want) => {
    const host = parseDockerHost(env);
    expect(host).toMatchObject(want);
    // TLS settings appear only with DOCKER_TLS_VERIFY.
    expect('certPath' in host).toBe('DOCKER_TLS_VERIFY' in env);
  });

  it.each([
    ['ssh is not supported', 'ssh://me@box', 'the ssh:// scheme is not supported'],
    ['a relative socket path', 'unix://docker.sock', 'the socket path must be absolute'],
    ['no scheme at all', '/var/run/docker.sock', 'not a unix:// or tcp:// address'],
  ])('%s', (_case, address, why) => {
    let err: unknown;
    try {
      parseDockerHost({ DOCKER_HOST: address });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(`DOCKER_HOST=${address}: ${why}`);
    expect((err as UserError).hint).toContain('set DOCKER_HOST to unix://');
  });
});

describe('platformFromUname', () => {
  it.each([
    ['x86_64', { architecture: 'amd64' }],
    ['aarch64', { architecture: 'arm64' }],
    ['armv7l', { architecture: 'arm', variant: 'v7' }],
    ['armv6l', { architecture: 'arm', variant: 'v6' }],
    ['i686', { architecture: '386' }],
    ['s390x', { architecture: 's390x' }],
  ])('%s', (machine, want) => {
    expect(platformFromUname('linux', machine)).toEqual({ os: 'linux', ...want });
  });
});
