/**
 * One command's registry access: a shared transport, one client per registry
 * host (so tokens and connections are reused), the content cache and the
 * credential lookup.
 */
import type { ContentCache } from '../cache/content-cache.js';
import type { Artifact } from '../oci/image.js';
import type { CredentialSource } from './auth.js';
import { RegistryClient } from './client.js';
import { pullArtifact } from './pull.js';
import { formatReference, parseReference } from './reference.js';
import { Transport, type TransportOptions } from './transport.js';

/** Options for a registry session. */
export interface RegistrySessionOptions extends TransportOptions {
  credentials: CredentialSource;
  insecure: boolean;
  cache?: ContentCache;
}

/** Registry clients and pulls for one command. */
export class RegistrySession {
  private readonly transport: Transport;
  private readonly clients = new Map<string, RegistryClient>();

  constructor(private readonly o: RegistrySessionOptions) {
    this.transport = new Transport(o);
  }

  /** The client for a registry host. */
  client(registry: string): RegistryClient {
    let c = this.clients.get(registry);
    if (!c) {
      c = new RegistryClient(registry, {
        transport: this.transport,
        credentials: this.o.credentials,
        insecure: this.o.insecure,
        ...(this.o.log ? { log: this.o.log } : {}),
      });
      this.clients.set(registry, c);
    }
    return c;
  }

  /** Pulls an image or index by reference; `name` is the reference in full, for annotations. */
  async pull(reference: string, source: string): Promise<{ name: string; artifact: Artifact }> {
    const ref = parseReference(reference, source);
    const artifact = await pullArtifact(this.client(ref.registry), ref, this.o.cache);
    return { name: formatReference(ref), artifact };
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.transport.close();
  }
}
