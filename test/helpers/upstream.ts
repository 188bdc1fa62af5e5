import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { LeafIssuer, createSessionCa } from '../../src/egress/ca.js';

export interface SeenRequest {
  host: string;
  method: string;
  url: string;
  authorization?: string;
}

export interface Upstream {
  port: number;
  /** PEM of the CA that signed the upstream's certificates (the proxy's `upstream_ca`). */
  caFile: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A local HTTPS server standing in for api.github.com and other hosts (loopback only), with
 * certificates from its own CA. It records what arrived, including the Authorization header,
 * and never echoes it back: the agent must not learn the secret from a response either.
 */
export async function startUpstream(dir: string): Promise<Upstream> {
  const ca = await createSessionCa('omni test upstream CA');
  const issuer = new LeafIssuer(ca);
  const caFile = path.join(dir, 'upstream-ca.pem');
  fs.writeFileSync(caFile, ca.certPem);
  const seen: SeenRequest[] = [];
  const server = https.createServer(
    {
      SNICallback: (name, cb) => {
        issuer.secureContextFor(name).then((ctx) => cb(null, ctx), (err: Error) => cb(err));
      },
    },
    (req, res) => {
      seen.push({ host: String(req.headers.host ?? ''), method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`hello from ${String(req.headers.host ?? '').split(':')[0]}\n`);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    caFile,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
