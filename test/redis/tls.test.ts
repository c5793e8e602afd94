// TLS passes through to node-redis: a redis-server with a TLS port and a self-signed certificate (made here with
// openssl), paged to and from over rediss:// with the certificate as the CA; without it the connection is refused
// with a typed error, and nothing waits forever.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisRequestError, RedisStore } from '../../pagers/index.js';
import { createVm } from '../../vmcore/index.js';
import { freePort, RedisServer } from './servers.js';

let certs: string;
let server: RedisServer;
let tlsPort: number;

beforeAll(async () => {
  certs = mkdtempSync(join(tmpdir(), 'spinvm-redis-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=localhost'], {
    cwd: certs,
    stdio: 'ignore',
  });
  tlsPort = await freePort();
  const files = ['--tls-cert-file', join(certs, 'cert.pem'), '--tls-key-file', join(certs, 'key.pem'), '--tls-ca-cert-file', join(certs, 'cert.pem')];
  server = await RedisServer.start(['--tls-port', String(tlsPort), ...files, '--tls-auth-clients', 'no']);
});

afterAll(async () => {
  await server?.stop();
  rmSync(certs, { recursive: true, force: true });
});

it('pages go out and come back over TLS, with the TLS options given to the client as they are', async () => {
  const ca = readFileSync(join(certs, 'cert.pem'));
  const store = await RedisStore.connect({ client: { url: `rediss://localhost:${tlsPort}`, socket: { tls: true, ca } }, timeout: 10_000 });
  const vm = createVm({ pageSize: 4096, frames: 4 });
  const obj = vm.createMemoryObject({ size: 16 * 4096, pager: store.pager('tls') });
  for (let p = 0; p < 16; p++) await obj.write(p * 4096, new Uint8Array(4096).fill(p + 1)); // 4 frames: most go to Redis
  for (let p = 0; p < 16; p++) expect((await obj.read(p * 4096 + 7, 1))[0]).toBe(p + 1);
  expect(obj.stat().pageOuts).toBeGreaterThan(8);
  await vm.destroy();
  await store.close();
}, 60_000);

it('without the certificate authority the connection is refused with a typed error', async () => {
  const err = await RedisStore.connect({
    client: { url: `rediss://localhost:${tlsPort}`, socket: { tls: true, reconnectStrategy: false } },
    timeout: 3_000,
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RedisRequestError);
}, 60_000);
