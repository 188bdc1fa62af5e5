// reflect-metadata must be loaded before @peculiar/x509: its tsyringe container throws otherwise.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { SessionCaPems } from './types.js';

/**
 * The session CA and the leaf certificates the egress proxy presents when it terminates TLS
 * (docs/SANDBOX.md; measured in test/fixtures/sandbox/FINDINGS.md §4). ECDSA P-256 on Node's
 * webcrypto: a CA in ~17 ms, a leaf in ~5 ms, against hundreds of ms for RSA in pure JS.
 */

// @peculiar/x509's types name the DOM's Crypto/CryptoKey, absent from this project's libs; Node's
// webcrypto is the same API.
x509.cryptoProvider.set(webcrypto as never);
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Long enough for any session; short enough that a leaked CA certificate goes stale. */
const CA_DAYS = 30;
/** Backdating absorbs clock skew between the daemon and whatever checks the certificate. */
const BACKDATE = HOUR;

/** A positive serial (top bit clear: DER integers are signed), 16 random bytes. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

/** A certificate subject CN: commas, quotes and the like would change the DN's meaning. */
const cn = (s: string): string => `CN=${s.replace(/[,+="\\<>;#]/g, '_')}`;

/** A new session CA: a self-signed CA certificate (30 days, backdated 1 h) and its PKCS#8 key. */
export async function createSessionCa(commonName: string): Promise<SessionCaPems> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: cn(commonName),
    keys,
    signingAlgorithm: ALG,
    notBefore: new Date(now - BACKDATE),
    notAfter: new Date(now + CA_DAYS * DAY),
    extensions: [
      // pathLen 0: the CA signs leaves only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

/** The session CA followed by Node's root store, for variables that replace the store (SSL_CERT_FILE). */
export function caBundle(caCertPem: string): string {
  return `${caCertPem.trim()}\n${tls.rootCertificates.join('\n')}\n`;
}

/**
 * Issues leaf certificates signed by the session CA, one per host, cached. All leaves share one
 * key pair (generated once per issuer): the key never leaves the daemon, and a fresh key per
 * host would cost a key generation per host for nothing.
 */
export class LeafIssuer {
  private readonly contexts = new Map<string, Promise<tls.SecureContext>>();
  private signer?: Promise<{ caKey: CryptoKey; caCert: x509.X509Certificate; leafKeys: CryptoKeyPair; leafKeyPem: string }>;

  constructor(private readonly ca: SessionCaPems) {}

  /** A secure context presenting a certificate for `host` (a name or an IP literal). */
  secureContextFor(host: string): Promise<tls.SecureContext> {
    const key = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    let p = this.contexts.get(key);
    if (!p) {
      // Concurrent first calls share one promise; a failure is not cached, the next call retries.
      p = this.issue(key);
      this.contexts.set(key, p);
      p.catch(() => this.contexts.delete(key));
    }
    return p;
  }

  private keys() {
    this.signer ??= (async () => {
      const der = x509.PemConverter.decodeFirst(this.ca.keyPem);
      const caKey = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      const caCert = new x509.X509Certificate(this.ca.certPem);
      const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
      const leafKeyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey), 'PRIVATE KEY');
      return { caKey, caCert, leafKeys, leafKeyPem };
    })();
    this.signer.catch(() => (this.signer = undefined));
    return this.signer;
  }

  private async issue(host: string): Promise<tls.SecureContext> {
    const { caKey, caCert, leafKeys, leafKeyPem } = await this.keys();
    const now = Date.now();
    const ip = net.isIP(host) !== 0;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: cn(host),
      issuer: caCert.subject,
      publicKey: leafKeys.publicKey,
      signingKey: caKey,
      signingAlgorithm: ALG,
      notBefore: new Date(now - BACKDATE),
      // Never past the CA: a leaf outliving its issuer fails verification anyway.
      notAfter: caCert.notAfter,
      extensions: [
        new x509.SubjectAlternativeNameExtension([{ type: ip ? 'ip' : 'dns', value: host }]),
        new x509.BasicConstraintsExtension(false),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      ],
    });
    // ONE string, leaf then CA: an array of certs means one chain per key, and with a single key
    // Node reports "key values mismatch" (FINDINGS §4).
    return tls.createSecureContext({ cert: `${leaf.toString('pem')}\n${this.ca.certPem.trim()}\n`, key: leafKeyPem });
  }
}
