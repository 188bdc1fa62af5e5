import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { OMNI_JS, ROOT, until, type TestEnv } from '../helpers/omni.js';

/** Shared by the fault tests of test/faults (helper F's half): reading omni's state as a person would. */

export const HOOK_CLIENT = path.join(ROOT, 'bin', 'omni-hook');

/** The session's agent socket (docs/PROTOCOL.md). */
export const agentSocket = (t: TestEnv, id: string) => path.join(t.omniHome, 'run', 'agent', id, 'hook.sock');
export const eventsFile = (t: TestEnv, id: string) => path.join(t.omniHome, 'state', 'sessions', id, 'events.ndjson');
export const daemonLog = (t: TestEnv) => path.join(t.omniHome, 'log', 'omnid.log');

/** One hook call exactly as a harness makes it: bin/omni-hook with the payload on stdin. */
export async function hookCall(t: TestEnv, id: string, event: string, mode: 'gate' | 'observe', payload: Record<string, unknown>) {
  const r = await execa('sh', [HOOK_CLIENT, agentSocket(t, id), event, mode, process.execPath, OMNI_JS], {
    input: JSON.stringify(payload),
    env: t.env,
    extendEnv: false,
    reject: false,
    timeout: 60_000,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Every line of a log: each must be whole JSON; returns the events. */
export function strictEvents(file: string): OmniEvent[] {
  const text = fs.readFileSync(file, 'utf8');
  expectWholeLines(text, file);
  return text
    .split('\n')
    .filter(Boolean)
    .map((l, i) => {
      try {
        return JSON.parse(l) as OmniEvent;
      } catch {
        throw new Error(`${file} line ${i + 1} is not JSON: ${l.slice(0, 200)}`);
      }
    });
}

function expectWholeLines(text: string, file: string): void {
  if (text.length && !text.endsWith('\n')) throw new Error(`${file} ends in a partial line: ${JSON.stringify(text.slice(-120))}`);
}

/** seq strictly increasing (and, unless gaps are allowed, 1..n). */
export function seqProblems(evs: OmniEvent[], contiguous = true): string | undefined {
  for (let i = 1; i < evs.length; i++) {
    if (evs[i]!.seq <= evs[i - 1]!.seq) return `seq ${evs[i]!.seq} after ${evs[i - 1]!.seq}`;
    if (contiguous && evs[i]!.seq !== evs[i - 1]!.seq + 1) return `seq gap ${evs[i - 1]!.seq} → ${evs[i]!.seq}`;
  }
  return undefined;
}

/** The pane's text with wrapped lines joined (long reasons wrap at the pane's width). */
export async function paneJoined(t: TestEnv, rec: SessionRecord): Promise<string> {
  return String((await t.tmux(['capture-pane', '-p', '-J', '-S', '-500', '-t', rec.paneId ?? `=${rec.tmuxSession}:`])).stdout).trimEnd();
}

/** Type a line into the pane as a person would (tmux send-keys), once the harness shows its prompt. */
export async function typeLine(t: TestEnv, rec: SessionRecord, text: string): Promise<void> {
  await until(async () => /\nscripted>$|^scripted>$/.test(await paneJoined(t, rec)), 10_000, `${rec.name} to show its prompt`);
  await t.tmux(['send-keys', '-t', rec.paneId ?? `=${rec.tmuxSession}:`, '-l', text]);
  await t.tmux(['send-keys', '-t', rec.paneId ?? `=${rec.tmuxSession}:`, 'Enter']);
}

/** Until the pane shows `re` (after the typed line has been handled). */
export function untilPane(t: TestEnv, rec: SessionRecord, re: RegExp, timeoutMs = 15_000): Promise<string> {
  return until(async () => {
    const text = await paneJoined(t, rec);
    return re.test(text) && text;
  }, timeoutMs, `${rec.name}'s pane to match ${re}`);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
