/**
 * Where the Docker daemon is, from `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and
 * `DOCKER_CERT_PATH`, read as the docker CLI reads them. Pure: the
 * environment comes in as data and no file is touched here.
 */
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { Env } from '../system/env.js';

/** The daemon address used when `DOCKER_HOST` is unset. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** How to reach one Docker daemon. */
export interface DockerHost {
  /** The address as the user would write it (`unix:///var/run/docker.sock`, `tcp://h:2376`). */
  address: string;
  /** True when the address came from `DOCKER_HOST`, false for the default. */
  fromEnv: boolean;
  /** The URL origin requests go to (`http://localhost` for sockets). */
  origin: string;
  /** The unix socket to connect to, if any. */
  socketPath?: string;
  /** The directory holding ca.pem, cert.pem and key.pem, when TLS is on. */
  certPath?: string;
}

/** Parses the daemon address from the environment. */
export function parseDockerHost(env: Env): DockerHost {
  const raw = env.DOCKER_HOST?.trim() ?? '';
  const fromEnv = raw !== '';
  const address = fromEnv ? raw : DEFAULT_DOCKER_HOST;
  const bad = (why: string) =>
    new UserError(`DOCKER_HOST=${address}: ${why}`, {
      hint: 'set DOCKER_HOST to unix:///path/to/docker.sock or tcp://host:port, or unset it for the default socket',
    });
  if (address.startsWith('unix://')) {
    const socketPath = address.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw bad('the socket path must be absolute');
    return { address, fromEnv, origin: 'http://localhost', socketPath };
  }
  if (address.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(`http://${address.slice('tcp://'.length)}`);
    } catch {
      throw bad('not a host:port address');
    }
    // The docker CLI turns TLS on for any non-empty DOCKER_TLS_VERIFY, "0" included.
    const tls = (env.DOCKER_TLS_VERIFY ?? '') !== '';
    const port = url.port || (tls ? '2376' : '2375');
    const host: DockerHost = {
      address,
      fromEnv,
      origin: `${tls ? 'https' : 'http'}://${url.hostname}:${port}`,
    };
    if (tls) host.certPath = env.DOCKER_CERT_PATH || join(env.HOME ?? '', '.docker');
    return host;
  }
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(address)?.[1];
  throw bad(scheme ? `the ${scheme}:// scheme is not supported` : 'not a unix:// or tcp:// address');
}

/** Describes the address for messages: where it came from, so the user knows what to change. */
export function describeHost(host: DockerHost): string {
  return host.fromEnv
    ? `${host.address} (from DOCKER_HOST)`
    : `${host.address} (the default; DOCKER_HOST is unset)`;
}

/** A platform as Go and OCI spell it. */
export interface EnginePlatform {
  os: string;
  architecture: string;
  variant?: string;
}

const UNAME_ARCH: Record<string, EnginePlatform['architecture']> = {
  x86_64: 'amd64',
  amd64: 'amd64',
  aarch64: 'arm64',
  arm64: 'arm64',
  i386: '386',
  i686: '386',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64: 'mips64',
  loongarch64: 'loong64',
};

/** Maps the daemon's `uname -m` architecture (x86_64, aarch64, armv7l) to GOARCH and variant. */
export function platformFromUname(os: string, machine: string): EnginePlatform {
  const m = machine.toLowerCase();
  const arm = /^armv(\d+)/.exec(m);
  if (arm) return { os, architecture: 'arm', variant: `v${arm[1]}` };
  return { os, architecture: UNAME_ARCH[m] ?? m };
}
