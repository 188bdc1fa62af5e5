/**
 * Programs that run other programs. Each handler looks at a command's argument words and
 * reports what else runs: an argv (`sudo -u bob git push` → `git push`), a string of shell code
 * (`bash -c '…'`, `su -c '…'`, `watch '…'`, `ssh host …`), or an opaque marker when the code is
 * not in the script (`curl … | sh`, `bash <(curl …)`).
 *
 * Option parsing follows each program's documented flags closely enough to find where the
 * wrapped command starts; unknown options are taken to be flags without a value.
 */
import type { Word } from './ast.js';
import { type Handler, type HandlerCtx, type OptSpec, parseOpts } from './opts.js';
import { tmux } from './tmux.js';
import { asDynamic, isDyn, staticOutput, synth, splitWords } from './words.js';

export type { Handler, HandlerCtx, InnerOpts } from './opts.js';

const joined = (ws: readonly Word[]): string => ws.map((w) => w.value).join(' ');

/** A wrapper fully described by its options: runs `rest` as a command. */
function simple(spec: OptSpec): Handler {
  return (h) => {
    const r = parseOpts(h.args, spec);
    for (const s of r.scripts) h.script(s.text, s.dynamic, `${h.program} ${s.opt}`);
    if (!r.noExec) h.inner(r.rest, h.program, { assignments: r.assignments });
  };
}

/** `tool [global opts] SUB [opts] cmd…` for the given subcommands. */
function viaSub(subs: readonly string[], globalValue: readonly string[], spec: OptSpec, packageRunner = false): Handler {
  return (h) => {
    const g = parseOpts(h.args, { value: globalValue });
    const sub = g.rest[0];
    if (!sub || !subs.includes(sub.value)) return;
    const label = `${h.program} ${sub.value}`;
    const r = parseOpts(g.rest.slice(1), spec);
    for (const s of r.scripts) h.script(s.text, s.dynamic, `${label} ${s.opt}`);
    if (!r.noExec) h.inner(r.rest, label, { packageRunner: packageRunner && !r.values.has('--package') && !r.values.has('-p') });
  };
}

// ------------------------------------------------------------------ shells

export const SHELL_RE = /^(?:[bdkyz]|ba|da|mk|rba|tc|c|fi|po|a)?sh(?:[\d.]+)?$/;
const STDIN_PATHS = new Set(['/dev/stdin', '/proc/self/fd/0', '/dev/fd/0']);

function shellStdin(h: HandlerCtx, name = h.program): void {
  const s = h.stdin;
  if (!s) return;
  if (s.kind === 'text') h.script(s.text, s.dynamic, `${name} ${s.label}`, { stdinIsScript: true });
  else if (s.kind === 'file') {
    if (s.procsub) h.opaque(`${name} reads code from a process substitution`);
  } else {
    const out = s.from && staticOutput(s.from);
    if (out) h.script(out.text, out.dynamic, `${name} |`, { stdinIsScript: true });
    else h.opaque(`${name} runs commands read from a pipe`);
  }
}

/** sh, bash, zsh, dash, ksh, fish… : `-c STRING [arg0 args]`, a script file, or stdin. */
const shell: Handler = (h) => {
  const a = h.args;
  let hasC = false;
  let stdin = false;
  let i = 0;
  for (; i < a.length; i++) {
    const w = a[i]!;
    const v = w.value;
    if (isDyn(w)) break;
    if (v === '--' || v === '-') {
      i++;
      break;
    }
    if (v.startsWith('--')) {
      if (v === '--rcfile' || v === '--init-file' || v === '--init-command') i++;
      else if (v.startsWith('--command=') || v.startsWith('--init-command=')) h.script(v.slice(v.indexOf('=') + 1), false, `${h.program} -c`);
      else if (v === '--command') hasC = true;
      continue;
    }
    if (/^[-+][A-Za-z]+$/.test(v)) {
      if (v[0] === '-') {
        if (v.includes('c')) hasC = true;
        if (v.includes('s')) stdin = true;
        if (h.program === 'fish' && v.includes('C')) {
          const s = a[++i];
          if (s) h.script(s.value, isDyn(s), 'fish -C');
          continue;
        }
      }
      i += (v.match(/[oO]/g) ?? []).length; // -o OPTION / -O SHOPT take a value
      continue;
    }
    break;
  }
  const rest = a.slice(i);
  if (hasC) {
    const s = rest[0];
    if (s) h.script(s.value, isDyn(s), `${h.program} -c`);
    return;
  }
  const file = rest[0];
  if (!stdin && file) {
    if (file.subs.some((s) => s.kind === 'procsub')) h.opaque(`${h.program} runs code from a process substitution`);
    else if (STDIN_PATHS.has(file.value)) shellStdin(h);
    return;
  }
  shellStdin(h);
};

const PWSH_VALUE = /^-(executionpolicy|ep|ex|workingdirectory|wd|configurationname|outputformat|of|o|inputformat|if|windowstyle|w|settingsfile|custompipename|version|v)$/;
const pwsh: Handler = (h) => {
  const a = h.args;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!.value.toLowerCase();
    if (/^-c(o(m(m(a(n(d)?)?)?)?)?)?$/.test(v) || v === '/c') {
      const rest = a.slice(i + 1);
      if (rest.length) h.script(joined(rest), rest.some(isDyn), `${h.program} -c`);
      return;
    }
    if (v === '-e' || v === '-ec' || (v.length >= 3 && '-encodedcommand'.startsWith(v))) {
      h.opaque(`${h.program} -EncodedCommand runs base64-encoded code`);
      return;
    }
    if (/^-f(ile)?$/.test(v)) return;
    if (PWSH_VALUE.test(v)) i++;
    else if (!v.startsWith('-')) {
      const rest = a.slice(i);
      if (h.program !== 'pwsh') h.script(joined(rest), rest.some(isDyn), `${h.program} -c`);
      return;
    }
  }
};

const cmdExe: Handler = (h) => {
  const i = h.args.findIndex((w) => /^\/[ck]$/i.test(w.value));
  if (i < 0) return;
  const rest = h.args.slice(i + 1);
  if (rest.length) h.script(joined(rest), rest.some(isDyn), 'cmd /c');
};

// ------------------------------------------------------------------ interpreters

export const PYTHON_RE = /^(?:python|pypy)(?:\d+(?:\.\d+)*)?$|^py$/;

/** `python -m MODULE args` runs MODULE (pip, venv…); `-c CODE` is not parsed. */
const python: Handler = (h) => {
  const a = h.args;
  for (let i = 0; i < a.length; i++) {
    const w = a[i]!;
    const v = w.value;
    if (isDyn(w) || !v.startsWith('-') || v === '-' || v === '--') return;
    if (v.startsWith('--')) continue;
    for (let j = 1; j < v.length; j++) {
      const c = v[j];
      if (c === 'c') return;
      if (c === 'm') {
        const mod = v.slice(j + 1);
        h.inner(mod ? [synth(mod, w), ...a.slice(i + 1)] : a.slice(i + 1), `${h.program} -m`);
        return;
      }
      if (c === 'X' || c === 'W') {
        if (j === v.length - 1) i++;
        break;
      }
    }
  }
};

// ------------------------------------------------------------------ git

const GIT_VALUE = new Set(['-C', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--list-cmds']);
/** Config keys whose values are shell commands git runs. */
const GIT_CMD_KEYS =
  /^(?:core\.(?:sshcommand|pager|editor|fsmonitor|askpass|gitproxy|alternaterefscommand)|sequence\.editor|credential\.(?:.+\.)?helper|diff\.external|diff\.(?:.+\.)?(?:command|textconv)|merge\..+\.driver|filter\..+\.(?:clean|smudge|process)|gpg\.(?:.+\.)?program|pager\..+|interactive\.difffilter|uploadpack\.packobjectshook|sendemail\.(?:.+\.)?(?:tocmd|cccmd|sendmailcmd)|(?:man|web|difftool|mergetool)\..+\.(?:cmd|path)|remote\..+\.(?:uploadpack|receivepack|vcs))$/;

/**
 * One git configuration entry, from `-c`, `--config-env`, `GIT_CONFIG_KEY_n` or `git config`:
 * a command-valued key is walked as shell code, `core.hooksPath` is opaque (hooks are files).
 */
function gitConfig(h: HandlerCtx, key: string, val: string, dynamic: boolean, label: string, aliases?: Map<string, { value: string; dynamic: boolean }>): void {
  if (key.startsWith('alias.')) {
    if (aliases) aliases.set(key.slice(6), { value: val, dynamic });
    else if (val.startsWith('!') || dynamic) h.script(val.replace(/^!/, ''), dynamic, `${label} alias`);
  } else if (key === 'core.hookspath') h.opaque(`${label} ${key} runs hooks from another directory`);
  else if (GIT_CMD_KEYS.test(key) && (val || dynamic)) h.script(key.startsWith('credential.') ? val.replace(/^!/, '') : val, dynamic, `${label} ${key}`);
}

const git: Handler = (h) => {
  const a = h.args;
  const aliases = new Map<string, { value: string; dynamic: boolean }>();
  // `GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=k GIT_CONFIG_VALUE_0=v`: `-c k=v` from the environment.
  const count = h.env.get('GIT_CONFIG_COUNT');
  if (count?.dynamic) h.opaque('GIT_CONFIG_COUNT is only known at run time');
  for (let n = 0; count && n < Math.min(Number(count.value) || 0, 100); n++) {
    const k = h.env.get(`GIT_CONFIG_KEY_${n}`);
    const v = h.env.get(`GIT_CONFIG_VALUE_${n}`);
    if (k?.dynamic) h.opaque(`GIT_CONFIG_KEY_${n} is only known at run time`);
    else if (k) gitConfig(h, k.value.toLowerCase(), v?.value ?? '', !!v?.dynamic, 'git GIT_CONFIG', aliases);
  }
  let i = 0;
  for (; i < a.length; i++) {
    const w = a[i]!;
    const v = w.value;
    if (isDyn(w) || !v.startsWith('-')) break;
    if (v === '-c' || /^-c./.test(v)) {
      const cw = v === '-c' ? a[++i] : synth(v.slice(2), w, w.dynamic);
      if (!cw) break;
      const eq = cw.value.indexOf('=');
      const key = (eq < 0 ? cw.value : cw.value.slice(0, eq)).toLowerCase();
      gitConfig(h, key, eq < 0 ? '' : cw.value.slice(eq + 1), isDyn(cw), 'git -c', aliases);
    } else if (v === '--config-env' || v.startsWith('--config-env=')) {
      // `--config-env key=ENVVAR`: the value is read from the environment.
      const cw = v === '--config-env' ? a[++i] : synth(v.slice(13), w, w.dynamic);
      if (!cw) break;
      const eq = cw.value.indexOf('=');
      const key = cw.value.slice(0, Math.max(eq, 0)).toLowerCase();
      const from = h.env.get(cw.value.slice(eq + 1));
      if (isDyn(cw) || (!from && (GIT_CMD_KEYS.test(key) || key.startsWith('alias.')))) h.opaque(`git --config-env ${key} takes a command from the environment`);
      else if (from) gitConfig(h, key, from.value, from.dynamic, 'git --config-env', aliases);
    } else if (GIT_VALUE.has(v)) i++;
  }
  // `git clone ext::sh -c …`: the ext transport runs its URL as a command.
  for (const w of a.slice(i)) if (w.value.startsWith('ext::')) h.script(w.value.slice(5).replace(/%(.)/g, '$1'), isDyn(w), 'git ext::');
  const sub = a[i];
  if (!sub) return;
  const rest = a.slice(i + 1);
  const alias = aliases.get(sub.value.toLowerCase());
  if (alias) {
    if (alias.value.startsWith('!')) h.script(alias.value.slice(1), alias.dynamic, 'git alias');
    else h.inner([synth('git', sub), ...splitWords(alias.value, alias.dynamic), ...rest], 'git alias');
  }
  const scriptAfter = (k: number, label: string): number => {
    const s = rest[k + 1];
    if (s) h.script(s.value, isDyn(s), label);
    return k + 1;
  };
  switch (sub.value) {
    case 'rebase':
      for (let k = 0; k < rest.length; k++) {
        const v = rest[k]!.value;
        if (v === '-x' || v === '--exec') k = scriptAfter(k, 'git rebase --exec');
        else if (v.startsWith('--exec=')) h.script(v.slice(7), isDyn(rest[k]!), 'git rebase --exec');
        else if (/^-x./.test(v)) h.script(v.slice(2), isDyn(rest[k]!), 'git rebase --exec');
      }
      break;
    case 'bisect':
      if (rest[0]?.value === 'run') h.inner(rest.slice(1), 'git bisect run');
      break;
    case 'submodule': {
      const k = rest.findIndex((w) => w.value === 'foreach');
      if (k >= 0) {
        let cmd = rest.slice(k + 1);
        while (cmd[0] && cmd[0].value.startsWith('-')) cmd = cmd.slice(1);
        if (cmd.length) h.script(joined(cmd), cmd.some(isDyn), 'git submodule foreach');
      }
      break;
    }
    case 'filter-branch':
      for (let k = 0; k < rest.length; k++) if (/^--(?:env|tree|index|parent|msg|commit|tag-name)-filter$/.test(rest[k]!.value)) k = scriptAfter(k, 'git filter-branch');
      break;
    case 'config': {
      // `git config [set] [--global] KEY VALUE`: a command stored now runs at a later git call.
      const ops = rest.filter((w) => !w.value.startsWith('-'));
      const k = ops[0]?.value === 'set' ? 1 : 0;
      const key = ops[k];
      const val = ops[k + 1];
      if (key && val && !isDyn(key)) gitConfig(h, key.value.toLowerCase(), val.value, isDyn(val), 'git config');
      break;
    }
  }
};

// ------------------------------------------------------------------ others

const xargs: Handler = (h) => {
  const r = parseOpts(h.args, {
    value: ['-a', '--arg-file', '-d', '--delimiter', '-E', '-L', '-n', '--max-args', '-P', '--max-procs', '-s', '--max-chars', '--process-slot-var', '-I'],
    optional: ['-i', '-l', '-e'],
  });
  let rep = r.values.get('-I') ?? r.values.get('--replace');
  if (rep === undefined && r.flags.has('-i')) rep = r.values.get('-i') || '{}';
  if (rep === undefined && r.flags.has('--replace')) rep = '{}';
  if (!r.rest.length) return; // runs echo
  if (rep) {
    const R = rep;
    h.inner(
      r.rest.map((w) => (w.value.includes(R) ? asDynamic(w) : w)),
      'xargs',
    );
  } else h.inner(r.rest, 'xargs', { open: true });
};

const find: Handler = (h) => {
  const a = h.args;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!.value;
    if (!['-exec', '-execdir', '-ok', '-okdir'].includes(v)) continue;
    const words: Word[] = [];
    let j = i + 1;
    for (; j < a.length; j++) {
      const w = a[j]!;
      if ((w.value === ';' || w.value === '+') && !isDyn(w)) break;
      words.push(w.value.includes('{}') ? asDynamic(w) : w);
    }
    h.inner(words, `find ${v}`);
    i = j;
  }
};

const fd: Handler = (h) => {
  const a = h.args;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!.value;
    if (!['-x', '--exec', '-X', '--exec-batch'].includes(v)) continue;
    const words: Word[] = [];
    let placeholder = false;
    let j = i + 1;
    for (; j < a.length && !(a[j]!.value === ';' && !isDyn(a[j]!)); j++) {
      const w = a[j]!;
      const ph = /\{[/.]*\}/.test(w.value);
      placeholder ||= ph;
      words.push(ph ? asDynamic(w) : w);
    }
    h.inner(words, `${h.program} ${v}`, { open: !placeholder });
    i = j;
  }
};

const PARALLEL_VALUE = [
  '-j', '--jobs', '-S', '--sshlogin', '--sshloginfile', '--slf', '-a', '--arg-file', '--colsep', '-C', '-d', '--delimiter', '-I', '--joblog',
  '--results', '--res', '-N', '-n', '--max-args', '-L', '--max-lines', '-E', '--tmpdir', '--workdir', '--wd', '--tag-string', '--timeout',
  '--delay', '--retries', '--halt', '-P', '--memfree', '--load', '--basefile', '--bf', '--return', '--transferfile', '--tf', '--env',
  '--block', '--blocksize', '--recstart', '--recend', '--rpl', '--limit', '--nice', '--termseq', '-s', '--max-chars',
];
/** GNU parallel joins its command words and runs them with a shell. */
const parallel: Handler = (h) => {
  const r = parseOpts(h.args, { value: PARALLEL_VALUE });
  const cmd: Word[] = [];
  let sep = -1;
  for (let i = 0; i < r.rest.length; i++) {
    if (/^::::?\+?$/.test(r.rest[i]!.value)) {
      sep = i;
      break;
    }
    cmd.push(r.rest[i]!);
  }
  if (cmd.length) {
    h.script(joined(cmd), cmd.some(isDyn), 'parallel', { open: true });
    return;
  }
  if (sep < 0) {
    h.opaque('parallel runs command lines read from its input');
    return;
  }
  // `parallel ::: 'cmd1' 'cmd2'`: the arguments are the commands.
  for (const w of r.rest.slice(sep + 1)) if (!/^::::?\+?$/.test(w.value)) h.script(w.value, isDyn(w), 'parallel');
};

/** `watch` runs its arguments joined with spaces through `sh -c` (unless `-x`). */
const watch: Handler = (h) => {
  const r = parseOpts(h.args, { value: ['-n', '--interval', '-q', '--equexit'] });
  if (!r.rest.length) return;
  if (r.flags.has('-x') || r.flags.has('--exec')) h.inner(r.rest, 'watch');
  else h.script(joined(r.rest), r.rest.some(isDyn), 'watch');
};

const SU_SPEC: OptSpec = {
  value: ['-s', '--shell', '-g', '--group', '-G', '--supp-group', '-w', '--whitelist-environment'],
  script: ['-c', '--command', '--session-command'],
  permute: true,
};
const su: Handler = (h) => {
  const r = parseOpts(h.args, SU_SPEC);
  for (const s of r.scripts) h.script(s.text, s.dynamic, `${h.program} -c`);
};
const runuser: Handler = (h) => {
  if (!h.args.some((w) => w.value === '-u' || w.value.startsWith('--user'))) return su(h);
  const r = parseOpts(h.args, { value: ['-u', '--user', '-g', '--group', '-G', '--supp-group'], script: ['-c', '--command'] });
  for (const s of r.scripts) h.script(s.text, s.dynamic, 'runuser -c');
  h.inner(r.rest, 'runuser');
};
/** `sg GROUP [-c] COMMAND`: the command is a string given to `sh -c`. */
const sg: Handler = (h) => {
  const r = parseOpts(h.args, { script: ['-c'], permute: true });
  for (const s of r.scripts) h.script(s.text, s.dynamic, 'sg -c');
  const cmd = [...r.positionals.slice(1), ...r.rest];
  if (!r.scripts.length && cmd.length) h.script(joined(cmd), cmd.some(isDyn), 'sg');
};

const SSH_VALUE = ['-B', '-b', '-c', '-D', '-E', '-e', '-F', '-I', '-i', '-J', '-L', '-l', '-m', '-O', '-o', '-p', '-Q', '-R', '-S', '-W', '-w'];
/** The remote command: ssh joins the words with spaces and the remote shell parses them. */
const ssh: Handler = (h) => {
  const r = parseOpts(h.args, { value: SSH_VALUE, positionals: 1 });
  if (r.rest.length) h.script(joined(r.rest), r.rest.some(isDyn), 'ssh');
};

/** util-linux `script -c CMD`; BSD/macOS `script [-q] FILE CMD ARGS…`. */
const scriptCmd: Handler = (h) => {
  const r = parseOpts(h.args, {
    value: ['-E', '--echo', '-I', '--log-in', '-O', '--log-out', '-T', '--log-timing', '-B', '--log-io', '-m', '--logging-format', '-F', '-t'],
    script: ['-c', '--command'],
    positionals: 1,
  });
  for (const s of r.scripts) h.script(s.text, s.dynamic, 'script -c');
  if (!r.scripts.length) h.inner(r.rest, 'script');
};

const env: Handler = (h) => {
  const r = parseOpts(h.args, { value: ['-u', '--unset', '-C', '--chdir', '-P'], script: ['-S', '--split-string'], assignments: true });
  const s = r.scripts[0];
  if (s) h.script([s.text, ...r.rest.map((w) => w.raw)].join(' '), s.dynamic, 'env -S');
  else h.inner(r.rest, 'env', { assignments: r.assignments });
};

const crossEnvShell: Handler = (h) => {
  const r = parseOpts(h.args, { assignments: true });
  if (r.rest.length) h.script(joined(r.rest), r.rest.some(isDyn), 'cross-env-shell');
};

const entr: Handler = (h) => {
  const r = parseOpts(h.args, {});
  if (!r.flags.has('-s')) return h.inner(r.rest, 'entr');
  const s = r.rest[0];
  if (s) h.script(s.value, isDyn(s), 'entr -s');
};

const multicall: Handler = (h) => {
  let i = 0;
  while (h.args[i] && h.args[i]!.value.startsWith('-')) i++;
  h.inner(h.args.slice(i), h.program);
};

const evalH: Handler = (h) => {
  const a = h.args[0]?.value === '--' ? h.args.slice(1) : h.args;
  if (a.length) h.script(joined(a), a.some(isDyn), 'eval');
};

const trap: Handler = (h) => {
  const a = h.args[0]?.value === '--' ? h.args.slice(1) : h.args;
  const act = a[0];
  if (!act || a.length < 2 || (act.value.startsWith('-') && act.value !== '-')) return;
  if (act.value !== '-') h.script(act.value, isDyn(act), 'trap');
};

const source: Handler = (h) => {
  const f = h.args[0];
  if (!f) return;
  if (f.subs.some((s) => s.kind === 'procsub')) h.opaque(`${h.program} runs code from a process substitution`);
  else if (STDIN_PATHS.has(f.value)) shellStdin(h);
};

const alias: Handler = (h) => {
  for (const w of h.args) {
    const eq = w.value.indexOf('=');
    if (eq > 0 && !w.value.startsWith('-')) h.defineAlias(w.value.slice(0, eq), w.value.slice(eq + 1), isDyn(w));
  }
};

const corepack: Handler = (h) => {
  if (['npm', 'npx', 'pnpm', 'pnpx', 'yarn', 'yarnpkg'].includes(h.args[0]?.value ?? '')) h.inner(h.args, 'corepack');
};

const nvm: Handler = (h) => {
  const g = parseOpts(h.args, {});
  if (g.rest[0]?.value !== 'exec') return;
  const r = parseOpts(g.rest.slice(1), {});
  let rest = r.rest;
  if (rest[0] && /^(?:v?\d[\w.]*|lts\/.*|node|iojs|system|default|stable|unstable)$/.test(rest[0].value)) rest = rest.slice(1);
  h.inner(rest, 'nvm exec');
};

const pnpm: Handler = (h) => {
  const g = parseOpts(h.args, { value: ['-C', '--dir', '--filter', '-F', '--workspace-dir', '--reporter', '--loglevel', '--config'] });
  const sub = g.rest[0];
  if (!sub || !['dlx', 'exec'].includes(sub.value)) return;
  const label = `pnpm ${sub.value}`;
  const r = parseOpts(g.rest.slice(1), { value: ['--package', '--allow-build'] });
  if (r.flags.has('-c') || r.flags.has('--shell-mode')) {
    if (r.rest.length) h.script(joined(r.rest), r.rest.some(isDyn), label);
  } else h.inner(r.rest, label, { packageRunner: sub.value === 'dlx' && !r.values.has('--package') });
};

const yarn: Handler = (h) => {
  const g = parseOpts(h.args, { value: ['--cwd'] });
  const sub = g.rest[0];
  if (sub?.value === 'dlx') {
    const r = parseOpts(g.rest.slice(1), { value: ['-p', '--package'] });
    h.inner(r.rest, 'yarn dlx', { packageRunner: !r.values.has('-p') && !r.values.has('--package') });
  } else if (sub?.value === 'exec') {
    const rest = g.rest.slice(1);
    if (rest.length === 1) h.script(rest[0]!.value, isDyn(rest[0]!), 'yarn exec');
    else h.inner(rest, 'yarn exec');
  }
};

const npxSpec: OptSpec = { value: ['-p', '--package', '--node-options'], script: ['-c', '--call'] };
const npx: Handler = (h) => {
  const r = parseOpts(h.args, npxSpec);
  for (const s of r.scripts) h.script(s.text, s.dynamic, `${h.program} -c`);
  h.inner(r.rest, h.program, { packageRunner: !r.values.has('-p') && !r.values.has('--package') });
};

const UVX_VALUE = ['--from', '--with', '--with-editable', '--with-requirements', '-p', '--python', '--index', '--index-url', '--extra-index-url', '--default-index'];
const uvx: Handler = (h) => {
  const r = parseOpts(h.args, { value: UVX_VALUE });
  h.inner(r.rest, h.program === 'uv' ? 'uv tool run' : 'uvx', { packageRunner: !r.values.has('--from') });
};
const UV_RUN_VALUE = [
  '--with', '--with-editable', '--with-requirements', '-p', '--python', '--project', '--directory', '--package', '--extra', '--group',
  '--only-group', '--no-group', '--env-file', '--index', '--default-index', '--index-url', '--extra-index-url', '-i', '--find-links', '-f',
];
const uv: Handler = (h) => {
  const g = parseOpts(h.args, { value: ['--directory', '--project', '--cache-dir', '--config-file', '--color'] });
  const sub = g.rest[0]?.value;
  if (sub === 'run') {
    const r = parseOpts(g.rest.slice(1), { value: UV_RUN_VALUE });
    h.inner(r.rest, 'uv run');
  } else if (sub === 'tool' && g.rest[1]?.value === 'run') uvx({ ...h, args: g.rest.slice(2) });
};

const SUDO_VALUE = [
  '-u', '-g', '-p', '-C', '-D', '-r', '-t', '-T', '-U', '-R', '--user', '--group', '--prompt', '--close-from', '--chdir', '--role', '--type',
  '--command-timeout', '--other-user', '--chroot', '--host',
];

const HANDLERS = new Map<string, Handler>([
  ['sudo', simple({ value: SUDO_VALUE, noExec: ['-l', '--list', '-v', '--validate', '-e', '--edit', '-V', '--version', '-K', '--remove-timestamp'], assignments: true })],
  ['doas', simple({ value: ['-u', '-C'] })],
  ['env', env],
  ['timeout', simple({ value: ['-s', '--signal', '-k', '--kill-after'], positionals: 1 })],
  ['nice', simple({ value: ['-n', '--adjustment'] })],
  ['renice', () => undefined],
  ['ionice', simple({ value: ['-c', '--class', '-n', '--classdata'], noExec: ['-p', '-P', '-u', '--pid', '--pgid', '--uid'] })],
  ['chrt', simple({ value: ['-T', '-P', '-D', '--sched-runtime', '--sched-period', '--sched-deadline'], noExec: ['-p', '--pid', '-m', '--max'], positionals: 1 })],
  ['taskset', simple({ noExec: ['-p', '--pid'], positionals: 1 })],
  ['nohup', simple({})],
  ['setsid', simple({})],
  ['stdbuf', simple({ value: ['-i', '-o', '-e', '--input', '--output', '--error'] })],
  ['time', simple({ value: ['-f', '--format', '-o', '--output'] })],
  ['exec', simple({ value: ['-a'] })],
  ['command', simple({ noExec: ['-v', '-V'] })],
  ['builtin', simple({})],
  ['noglob', simple({})],
  ['nocorrect', simple({})],
  ['flock', simple({ value: ['-w', '--wait', '--timeout', '-E', '--conflict-exit-code'], script: ['-c', '--command'], positionals: 1 })],
  ['chroot', simple({ value: ['--userspec', '--groups'], positionals: 1 })],
  ['unshare', simple({ value: ['-S', '--setuid', '-G', '--setgid', '-R', '--root', '-w', '--wd'] })],
  ['nsenter', simple({ value: ['-t', '--target', '-S', '--setuid', '-G', '--setgid'], optional: ['-m', '-u', '-i', '-n', '-p', '-U', '-C', '-T', '-r', '-w'] })],
  ['systemd-run', simple({ value: ['-p', '--property', '-u', '--unit', '-E', '--setenv', '--description', '--slice', '-M', '--machine', '-H', '--host', '--uid', '--gid', '--nice', '--working-directory', '--on-calendar', '--on-active', '--timer-property', '--service-type'] })],
  ['strace', simple({ value: ['-o', '-e', '-p', '-s', '-u', '-E', '-a', '-b', '-I', '-O', '-P', '-S', '-X', '-U'] })],
  ['ltrace', simple({ value: ['-o', '-e', '-p', '-s', '-u', '-n', '-a', '-l', '-A', '-D', '-F', '-w', '-x'] })],
  ['fakeroot', simple({ value: ['-l', '--lib', '--faked', '-s', '-i', '-b'] })],
  ['xvfb-run', simple({ value: ['-n', '--server-num', '-s', '--server-args', '-f', '--auth-file', '-e', '--error-file', '-p', '--xauth-protocol', '-w', '--wait'] })],
  ['caffeinate', simple({ value: ['-t', '-w'] })],
  ['arch', simple({ value: ['-e'] })],
  ['sandbox-exec', simple({ value: ['-f', '-n', '-p', '-D'] })],
  ['proxychains', simple({ value: ['-f'] })],
  ['proxychains4', simple({ value: ['-f'] })],
  ['torsocks', simple({ value: ['-u', '-p', '-a', '-P'] })],
  ['gosu', simple({ positionals: 1 })],
  ['su-exec', simple({ positionals: 1 })],
  ['setpriv', simple({ value: ['--reuid', '--regid', '--ruid', '--rgid', '--euid', '--egid', '--groups', '--inh-caps', '--ambient-caps', '--bounding-set', '--securebits', '--pdeathsig', '--selinux-label', '--apparmor-profile'] })],
  ['prlimit', simple({ noExec: ['-p', '--pid'] })],
  ['numactl', simple({ value: ['-C', '-N', '-m', '-p', '-i', '--physcpubind', '--cpunodebind', '--membind', '--preferred', '--interleave'] })],
  ['cpulimit', simple({ value: ['-l', '--limit', '-c', '--cpu'], noExec: ['-p', '--pid', '-e', '--exe', '-P', '--path'] })],
  ['faketime', simple({ value: ['-f'], positionals: 1 })],
  ['trickle', simple({ value: ['-u', '-d', '-w', '-t', '-l', '-n'] })],
  ['chpst', simple({ value: ['-u', '-U', '-b', '-e', '-/', '-n', '-l', '-L', '-m', '-d', '-o', '-p', '-f', '-c'] })],
  ['dumb-init', simple({ value: ['-r', '--rewrite'] })],
  ['tini', simple({ value: ['-p', '-e'] })],
  ['catchsegv', simple({})],
  ['eatmydata', simple({})],
  ['nocache', simple({})],
  ['firejail', simple({})],
  ['dbus-run-session', simple({ value: ['--config-file', '--dbus-daemon'] })],
  ['cross-env', simple({ assignments: true })],
  ['cross-env-shell', crossEnvShell],
  ['env-cmd', simple({ value: ['-f', '--file', '-e', '--environments', '-r', '--rc-file'] })],
  ['dotenv', simple({ value: ['-e', '-v', '-c', '-p'] })],
  ['entr', entr],
  ['xargs', xargs],
  ['find', find],
  ['gfind', find],
  ['fd', fd],
  ['fdfind', fd],
  ['parallel', parallel],
  ['watch', watch],
  ['su', su],
  ['runuser', runuser],
  ['sg', sg],
  ['ssh', ssh],
  ['script', scriptCmd],
  ['busybox', multicall],
  ['toybox', multicall],
  ['eval', evalH],
  ['trap', trap],
  ['source', source],
  ['.', source],
  ['alias', alias],
  ['unalias', (h) => h.args.forEach((w) => h.removeAlias(w.value === '-a' ? '*' : w.value))],
  ['hash', (h) => (h.args.some((w) => /^-[a-z]*p/.test(w.value)) ? h.opaque('`hash -p` binds a command name to another program') : undefined)],
  ['enable', (h) => (h.args.some((w) => /^-[a-z]*f/.test(w.value)) ? h.opaque('`enable -f` loads a builtin from a shared object') : undefined)],
  ['git', git],
  ['tmux', tmux],
  ['pwsh', pwsh],
  ['powershell', pwsh],
  ['cmd', cmdExe],
  ['npx', npx],
  ['pnpx', npx],
  ['bunx', npx],
  ['npm', viaSub(['exec', 'x'], ['--prefix', '-C', '-w', '--workspace', '--registry', '--cache', '--userconfig', '--globalconfig', '--loglevel'], { value: ['-p', '--package', '-w', '--workspace'], script: ['-c', '--call'] }, true)],
  ['pnpm', pnpm],
  ['yarn', yarn],
  ['bun', viaSub(['x'], ['--cwd', '-c', '--config'], { value: ['-p', '--package'] }, true)],
  ['uv', uv],
  ['uvx', uvx],
  ['pipx', viaSub(['run'], [], { value: ['--spec', '--python', '--pip-args', '--index-url'] }, true)],
  ['poetry', viaSub(['run'], ['-C', '--directory', '-P', '--project'], {})],
  ['pdm', viaSub(['run'], ['-p', '--project'], {})],
  ['pipenv', viaSub(['run'], [], {})],
  ['hatch', viaSub(['run'], ['-e', '--env', '-p', '--project'], {})],
  ['rye', viaSub(['run'], [], {})],
  ['bundle', viaSub(['exec'], [], {})],
  ['conda', viaSub(['run'], [], { value: ['-n', '--name', '-p', '--prefix', '--cwd'] })],
  ['mamba', viaSub(['run'], [], { value: ['-n', '--name', '-p', '--prefix', '--cwd'] })],
  ['micromamba', viaSub(['run'], [], { value: ['-n', '--name', '-p', '--prefix', '--cwd'] })],
  ['mise', viaSub(['exec', 'x'], ['-C', '--cd', '-E', '--env'], { value: ['-C', '--cd', '-j', '--jobs'], script: ['-c', '--command'], permute: true })],
  ['rtx', viaSub(['exec', 'x'], [], { value: ['-C', '--cd', '-j', '--jobs'], script: ['-c', '--command'], permute: true })],
  ['asdf', viaSub(['exec'], [], {})],
  ['direnv', viaSub(['exec'], [], { positionals: 1 })],
  ['dotenvx', viaSub(['run'], [], { value: ['-f', '--env-file', '-fk', '--env-keys-file', '-e', '--env', '--convention'], permute: true })],
  ['nvm', nvm],
  ['fnm', viaSub(['exec'], [], { value: ['--using'] })],
  ['volta', viaSub(['run'], [], { value: ['--node', '--npm', '--pnpm', '--yarn', '--env'] })],
  ['corepack', corepack],
]);

export function handlerFor(program: string): Handler | undefined {
  const h = HANDLERS.get(program);
  if (h) return h;
  if (SHELL_RE.test(program)) return shell;
  if (PYTHON_RE.test(program)) return python;
  return undefined;
}
