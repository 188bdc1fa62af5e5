// A steady stream of valid gate hooks on one agent socket, in its own process so the fuzzer's
// work (test/faults/fuzz-sockets.test.ts) does not delay the stream's clock. One call every
// GAP ms, alternately allowed (`echo`) and denied by the session's policy (`rm`), each reply
// checked. Each line on stdin names the phase that calls started from now on belong to; "stop"
// ends the stream and prints every call as one JSON line.
//   node hook-stream.mjs SOCKET CWD [GAP_MS]
import http from 'node:http';
import readline from 'node:readline';

const [sock, cwd, gapArg] = process.argv.slice(2);
const gap = Number(gapArg ?? 20);
let phase = 'before';
let running = true;
readline.createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'stop') running = false;
  else phase = l;
});

function post(body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: sock, path: '/hook/PreTool?mode=gate', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const calls = [];
for (let i = 1; running; i++) {
  const callId = `valid_${i}`;
  const deny = i % 2 === 0;
  const p = phase;
  const t0 = performance.now();
  try {
    const r = await post(JSON.stringify({ cwd, callId, tool: 'shell', input: { command: deny ? `rm -rf x${i}` : `echo ${i}` } }));
    const ok = r.status === 200 && (deny ? /^2\nnothing is removed here/.test(r.body) : r.body === '0\n');
    calls.push({ callId, phase: p, ms: performance.now() - t0, ok, ...(ok ? {} : { why: `${r.status} ${JSON.stringify(r.body)}` }) });
  } catch (err) {
    calls.push({ callId, phase: p, ms: performance.now() - t0, ok: false, why: err.message });
  }
  await new Promise((r) => setTimeout(r, gap));
}
process.stdout.write(JSON.stringify(calls) + '\n', () => process.exit(0));
