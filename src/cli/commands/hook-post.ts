import fs from 'node:fs';
import http from 'node:http';

/** Node fallback of bin/omni-hook's curl call: POST stdin, print the daemon's reply as-is. */
export async function hookPost(sock: string, event: string, mode = 'observe'): Promise<number> {
  const body = fs.readFileSync(0);
  const reply = await new Promise<string>((resolve, reject) => {
    const req = http.request({ socketPath: sock, path: `/hook/${event}?mode=${mode}`, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  process.stdout.write(reply);
  return 0;
}
