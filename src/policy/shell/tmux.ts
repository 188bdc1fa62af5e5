/**
 * tmux as a wrapper: many tmux commands run shell code (`run-shell`, `new-window`, `if-shell`…),
 * or type text into a shell (`send-keys`, `set-buffer` + `paste-buffer`), and some take further
 * tmux commands (`if-shell`, `bind-key`, `confirm-before`). A `tmux …` call can reach a server
 * whose panes run outside the caller's process tree, so what it runs must be seen like `sh -c`.
 */
import type { Word } from './ast.js';
import { isDyn, splitWords } from './words.js';
import { type Handler, type HandlerCtx, parseOpts } from './opts.js';

/** Every tmux command name: tmux accepts any unique prefix of one. */
const NAMES = [
  'attach-session', 'bind-key', 'break-pane', 'capture-pane', 'choose-buffer', 'choose-client', 'choose-tree', 'clear-history',
  'clear-prompt-history', 'clock-mode', 'command-prompt', 'confirm-before', 'copy-mode', 'customize-mode', 'delete-buffer',
  'detach-client', 'display-menu', 'display-message', 'display-panes', 'display-popup', 'find-window', 'has-session', 'if-shell',
  'join-pane', 'kill-pane', 'kill-server', 'kill-session', 'kill-window', 'last-pane', 'last-window', 'link-window', 'list-buffers',
  'list-clients', 'list-commands', 'list-keys', 'list-panes', 'list-sessions', 'list-windows', 'load-buffer', 'lock-client',
  'lock-server', 'lock-session', 'move-pane', 'move-window', 'new-session', 'new-window', 'next-layout', 'next-window',
  'paste-buffer', 'pipe-pane', 'previous-layout', 'previous-window', 'refresh-client', 'rename-session', 'rename-window',
  'resize-pane', 'resize-window', 'respawn-pane', 'respawn-window', 'rotate-window', 'run-shell', 'save-buffer', 'select-layout',
  'select-pane', 'select-window', 'send-keys', 'send-prefix', 'server-access', 'set-buffer', 'set-environment', 'set-hook',
  'set-option', 'set-window-option', 'show-buffer', 'show-environment', 'show-hooks', 'show-messages', 'show-options',
  'show-prompt-history', 'show-window-options', 'source-file', 'split-window', 'start-server', 'suspend-client', 'swap-pane',
  'swap-window', 'switch-client', 'unbind-key', 'unlink-window', 'wait-for',
];
const ALIASES: Record<string, string> = {
  run: 'run-shell', neww: 'new-window', new: 'new-session', splitw: 'split-window', respawnp: 'respawn-pane',
  respawnw: 'respawn-window', popup: 'display-popup', if: 'if-shell', pipep: 'pipe-pane', send: 'send-keys', bind: 'bind-key',
  confirm: 'confirm-before', menu: 'display-menu', setb: 'set-buffer', pasteb: 'paste-buffer', set: 'set-option',
  setw: 'set-window-option', source: 'source-file', attach: 'attach-session', a: 'attach-session', at: 'attach-session',
};

export function tmuxCommandName(word: string): string | undefined {
  if (NAMES.includes(word)) return word;
  if (ALIASES[word]) return ALIASES[word];
  const hits = NAMES.filter((n) => n.startsWith(word));
  return word && hits.length === 1 ? hits[0] : undefined;
}

/** Options taking a value, per command (flags without a value need not be listed). */
const VALUE: Record<string, string[]> = {
  'run-shell': ['-c', '-d', '-t'],
  'new-window': ['-c', '-e', '-F', '-n', '-t'],
  'new-session': ['-c', '-e', '-f', '-F', '-n', '-s', '-t', '-x', '-y'],
  'split-window': ['-c', '-e', '-l', '-p', '-t', '-F'],
  'respawn-pane': ['-c', '-e', '-t'],
  'respawn-window': ['-c', '-e', '-t'],
  'display-popup': ['-b', '-c', '-d', '-e', '-h', '-s', '-S', '-t', '-T', '-w', '-x', '-y'],
  'if-shell': ['-t'],
  'pipe-pane': ['-t'],
  'send-keys': ['-c', '-N', '-t'],
  'bind-key': ['-N', '-T'],
  'confirm-before': ['-c', '-p', '-t'],
  'command-prompt': ['-I', '-p', '-t', '-T'],
  'set-buffer': ['-b', '-n', '-t'],
  'set-option': ['-t'],
  'set-hook': ['-t'],
};

/** Shell commands: one word is given to `sh -c`, several are run as an argv. */
function shellCommand(h: HandlerCtx, rest: Word[], label: string): void {
  if (rest.length === 1) h.script(rest[0]!.value, isDyn(rest[0]!), label);
  else if (rest.length > 1) h.inner(rest, label);
}

const KEY_TEXT: Record<string, string> = { enter: '\n', 'c-m': '\n', 'c-j': '\n', kpenter: '\n', space: ' ', tab: '\t', 'c-i': '\t' };

/** What `send-keys` types: literal text, with key names such as `Enter` turned into their characters. */
function keysText(keys: Word[], literal: boolean): string {
  return keys.map((k) => (literal ? k.value : (KEY_TEXT[k.value.toLowerCase()] ?? (/^[A-Z][A-Za-z0-9]*$|^[CMS]-./.test(k.value) && k.value.length > 1 ? '' : k.value)))).join('');
}

/** A string holding tmux commands (`if-shell … 'run-shell x'`, `bind-key x run-shell y`). */
function tmuxString(h: HandlerCtx, w: Word, label: string): void {
  if (isDyn(w)) return h.opaque(`${label} runs tmux commands built at run time`);
  commands(h, splitWords(w.value), label);
}

function one(h: HandlerCtx, name: string, args: Word[]): void {
  const label = `tmux ${name}`;
  const r = parseOpts(args, { value: VALUE[name] ?? [] });
  const rest = r.rest;
  switch (name) {
    case 'run-shell':
      if (r.flags.has('-C')) return rest[0] ? tmuxString(h, rest[0], label) : undefined;
      if (rest[0]) h.script(rest[0].value, isDyn(rest[0]), label);
      return;
    case 'new-window':
    case 'new-session':
    case 'split-window':
    case 'respawn-pane':
    case 'respawn-window':
    case 'display-popup':
    case 'pipe-pane':
      return shellCommand(h, rest, label);
    case 'if-shell':
      if (rest[0] && !r.flags.has('-F')) h.script(rest[0].value, isDyn(rest[0]), label);
      for (const w of rest.slice(1, 3)) tmuxString(h, w, label);
      return;
    case 'send-keys':
      if (r.flags.has('-H')) return h.opaque(`${label} -H types keys given as hex`);
      if (rest.length) h.script(keysText(rest, r.flags.has('-l')), rest.some(isDyn), label);
      return;
    case 'set-buffer':
      // Pasted into a pane later (`paste-buffer`): typed into whatever shell runs there.
      if (rest[0]) h.script(rest[0].value, isDyn(rest[0]), label);
      return;
    case 'load-buffer':
      return h.opaque(`${label} loads text that paste-buffer types into a pane`);
    case 'source-file':
      return h.opaque(`${label} runs tmux commands from a file`);
    case 'bind-key':
      return commands(h, rest.slice(1), label);
    case 'confirm-before':
    case 'command-prompt':
      for (const w of rest) tmuxString(h, w, label);
      return;
    case 'set-hook':
      if (rest[1]) tmuxString(h, rest[1], label);
      return;
    case 'set-option':
    case 'set-window-option':
      if (rest[0] && /^(?:default-command|default-shell|lock-command)$/.test(rest[0].value) && rest[1]) h.script(rest[1].value, isDyn(rest[1]), `${label} ${rest[0].value}`);
      return;
  }
}

/** A tmux command sequence: commands separated by `;` words (`\;` on a shell command line). */
function commands(h: HandlerCtx, words: Word[], label: string): void {
  let cur: Word[] = [];
  const flush = (): void => {
    const [first, ...args] = cur;
    cur = [];
    if (!first) return;
    if (isDyn(first)) return h.opaque(`${label}: tmux command name is only known at run time`);
    const name = tmuxCommandName(first.value);
    if (name) one(h, name, args);
  };
  for (const w of words) {
    if (!isDyn(w) && w.value === ';') flush();
    else if (!isDyn(w) && w.value.length > 1 && w.value.endsWith(';') && !w.value.endsWith('\\;')) {
      cur.push({ ...w, value: w.value.slice(0, -1) });
      flush();
    } else cur.push(w);
  }
  flush();
}

export const tmux: Handler = (h) => {
  const r = parseOpts(h.args, { value: ['-f', '-L', '-S', '-T'], script: ['-c'] });
  for (const s of r.scripts) h.script(s.text, s.dynamic, 'tmux -c');
  commands(h, r.rest, 'tmux');
};
