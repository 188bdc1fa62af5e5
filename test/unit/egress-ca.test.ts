import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { LeafIssuer, caBundle, createSessionCa } from '../../src/egress/ca.js';

/** The leaf certificate a secure context presents, in a real TLS handshake (served as the proxy does). */
async function presented(ctx: tls.SecureContext, ca: string, servername?: string): Promise<X509Certificate> {
  const server = net.createServer((sock) => new tls.TLSSocket(sock, { isServer: true, secureContext: ctx }).on('error', () => sock.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca, servername, checkServerIdentity: () => undefined }, () => {
        const c = s.getPeerX509Certificate();
        s.destroy();
        if (!s.authorized && s.authorizationError) reject(new Error(String(s.authorizationError)));
        else if (c) resolve(c);
        else reject(new Error('no certificate'));
      });
      s.on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('createSessionCa', () => {
  it('makes a self-signed CA: basicConstraints CA, ~30 days, backdated, PKCS#8 key', async () => {
    const before = Date.now();
    const ca = await createSessionCa('omni session s_test');
    const c = new X509Certificate(ca.certPem);
    expect(c.ca).toBe(true);
    expect(c.subject).toBe('CN=omni session s_test');
    expect(c.issuer).toBe(c.subject);
    expect(c.verify(c.publicKey)).toBe(true);
    expect(c.publicKey.asymmetricKeyType).toBe('ec');
    const from = Date.parse(c.validFrom);
    const to = Date.parse(c.validTo);
    expect(before - from).toBeGreaterThanOrEqual(3590_000);
    expect(before - from).toBeLessThan(3700_000);
    expect((to - before) / 864e5).toBeGreaterThan(29.9);
    expect((to - before) / 864e5).toBeLessThan(30.1);
    const parsed = new x509.X509Certificate(ca.certPem);
    expect(parsed.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: true, pathLength: 0, critical: true });
    expect(parsed.getExtension(x509.KeyUsagesExtension)!.usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });
});

describe('LeafIssuer', () => {
  it('issues a leaf for a name: SAN dNSName, signed by the CA, served with the chain', async () => {
    const ca = await createSessionCa('omni test');
    const issuer = new LeafIssuer(ca);
    const ctx = await issuer.secureContextFor('API.GitHub.com');
    const leaf = await presented(ctx, ca.certPem, 'api.github.com');
    expect(leaf.subjectAltName).toBe('DNS:api.github.com');
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(leaf.checkHost('api.github.com')).toBe('api.github.com');
    expect(leaf.issuer).toBe('CN=omni test');
    expect(Date.parse(leaf.validTo)).toBeLessThanOrEqual(Date.parse(new X509Certificate(ca.certPem).validTo));
  });

  it('uses an iPAddress SAN for IP literals (v4 and v6)', async () => {
    const ca = await createSessionCa('omni test');
    const issuer = new LeafIssuer(ca);
    expect((await presented(await issuer.secureContextFor('127.0.0.1'), ca.certPem)).subjectAltName).toBe('IP Address:127.0.0.1');
    const v6 = await presented(await issuer.secureContextFor('[::1]'), ca.certPem);
    expect(v6.subjectAltName).toMatch(/^IP Address:(0:0:0:0:0:0:0:1|::1)$/);
    expect(v6.checkIP('::1')).toBe('::1');
  });

  it('caches per host, shares concurrent calls, one leaf key for all hosts', async () => {
    const ca = await createSessionCa('omni test');
    const issuer = new LeafIssuer(ca);
    const [a, b] = await Promise.all([issuer.secureContextFor('x.test'), issuer.secureContextFor('X.test')]);
    expect(a).toBe(b);
    expect(await issuer.secureContextFor('x.test')).toBe(a);
    const other = await issuer.secureContextFor('y.test');
    expect(other).not.toBe(a);
    const ka = (await presented(a, ca.certPem, 'x.test')).publicKey.export({ format: 'der', type: 'spki' });
    const kb = (await presented(other, ca.certPem, 'y.test')).publicKey.export({ format: 'der', type: 'spki' });
    expect(ka.equals(kb)).toBe(true);
  });

  it('a leaf does not verify against another CA', async () => {
    const ca = await createSessionCa('omni test');
    const other = await createSessionCa('someone else');
    const ctx = await new LeafIssuer(ca).secureContextFor('x.test');
    await expect(presented(ctx, other.certPem, 'x.test')).rejects.toThrow();
  });
});

describe('caBundle', () => {
  it('is the session CA followed by the root store', async () => {
    const ca = await createSessionCa('omni test');
    const b = caBundle(ca.certPem);
    expect(b.startsWith(ca.certPem.trim())).toBe(true);
    expect(b.match(/BEGIN CERTIFICATE/g)!.length).toBe(tls.rootCertificates.length + 1);
  });
});
