/**
 * In-sandbox TCP → Unix socket forwarder: `node forwarder.js PORT SOCKET [READYFILE]`.
 *
 * The sandbox has its own network namespace (only `lo`), so the harness cannot reach the egress
 * proxy on the host. The proxy listens on SOCKET in the session's directory, which is bound into
 * the sandbox; this process listens on 127.0.0.1:PORT inside and pipes every connection there,
 * so `HTTPS_PROXY=http://127.0.0.1:PORT` works for every CLI. READYFILE is created once the port
 * listens, so the launcher can start the harness without a race.
 *
 * Standalone on purpose (only `node:` imports): it runs from omni's package inside the sandbox.
 * It never exits by itself; the sandbox's PID namespace ends it with the harness.
 */
import fs from 'node:fs';
import net from 'node:net';

const [portArg, socketPath, readyFile] = process.argv.slice(2);
const port = Number(portArg);
if (!socketPath || !Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write('usage: forwarder.js PORT SOCKET [READYFILE]\n');
  process.exit(2);
}

// Started with `&` from the launcher, it shares the harness's process group: a Ctrl-C that the
// harness survives must not take the network away from it.
process.on('SIGINT', () => {});
process.on('SIGQUIT', () => {});

const server = net.createServer({ allowHalfOpen: true }, (client) => {
  client.setNoDelay(true);
  const upstream = net.connect({ path: socketPath, allowHalfOpen: true });
  // An error on either side ends this connection only.
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
  // pipe() propagates a half-close (FIN) in each direction; allowHalfOpen keeps the other direction open.
  client.pipe(upstream);
  upstream.pipe(client);
});

server.on('error', (err: NodeJS.ErrnoException) => {
  // Only listen() errors land here (connection errors are handled above): nothing to forward then.
  process.stderr.write(`omni forwarder: cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}\n`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  if (readyFile) fs.writeFileSync(readyFile, '');
});
