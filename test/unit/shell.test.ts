import { describe, expect, it } from 'vitest';
import { findCommands, matchCommand, parsePattern, parseShell, type ShellCommand } from '../../src/policy/shell.js';

const argvs = (s: string) => parseShell(s).commands.map((c) => c.argv);
const one = (s: string): ShellCommand => {
  const cs = parseShell(s).commands;
  expect(cs, s).toHaveLength(1);
  return cs[0]!;
};
const clean = (s: string) => {
  const p = parseShell(s);
  expect(p.errors, s).toEqual([]);
  expect(p.opaque, s).toEqual([]);
  return p;
};
/** `via… :: argv` per command. */
const shape = (s: string) => parseShell(s).commands.map((c) => (c.via.length ? `${c.via.join(' > ')} :: ` : '') + c.argv.join(' '));

describe('parseShell: words and quoting', () => {
  it('splits a simple command and keeps its text', () => {
    const c = one('git  push origin main');
    expect(c).toMatchObject({ program: 'git', programPath: 'git', args: ['push', 'origin', 'main'], argv: ['git', 'push', 'origin', 'main'], via: [], background: false, openArgs: false, text: 'git  push origin main' });
  });

  it('removes quotes of every kind', () => {
    expect(argvs(`echo 'a b' "c d" e\\ f "g"'h'i $'j\\tk' $"l" '' ""`)).toEqual([['echo', 'a b', 'c d', 'e f', 'ghi', 'j\tk', 'l', '', '']]);
    expect(argvs(`echo "a \\" \\$ \\\\ \\x" 'a\\b'`)).toEqual([['echo', 'a " $ \\ \\x', 'a\\b']]);
    expect(argvs(`echo $'\\x41\\101\\u00e9\\cA\\e\\''`)).toEqual([['echo', 'AAé\x01\x1b\'']]);
  });

  it('normalizes the program to its basename but keeps the path', () => {
    for (const s of ['/usr/bin/git push', '\\git push', "'git' push", '"g""it" push', "g''it push", "$'git' push", 'g\\it push']) {
      const c = one(s);
      expect(c.program, s).toBe('git');
      expect(c.args, s).toEqual(['push']);
    }
    expect(one('/usr/bin/git push').programPath).toBe('/usr/bin/git');
  });

  it('handles line continuations and comments', () => {
    expect(argvs('git \\\n  push # a comment; rm -rf /\necho a#b')).toEqual([['git', 'push'], ['echo', 'a#b']]);
    expect(argvs('# only a comment')).toEqual([]);
    expect(argvs("echo '# not a comment' \"#\" x")).toEqual([['echo', '# not a comment', '#', 'x']]);
  });

  it('keeps expansions as source text and marks them dynamic', () => {
    const c = one('rm -rf "$DIR" $HOME/x ${Y:-z} ~/a *.log');
    expect(c.args).toEqual(['-rf', '$DIR', '$HOME/x', '${Y:-z}', '~/a', '*.log']);
    expect(c.argInfo.map((a) => a.dynamic)).toEqual(['none', 'quoted', 'unquoted', 'unquoted', 'none', 'none']);
    expect(c.argInfo.map((a) => a.glob)).toEqual([false, false, false, false, false, true]);
    expect(c.argInfo[1]!.raw).toBe('"$DIR"');
    expect(one("echo '*' \\? {a,b} [x] {} [").argInfo.map((a) => a.glob)).toEqual([false, false, true, true, false, false]);
  });

  it('does not treat arithmetic as a command', () => {
    const p = clean('echo $(( 1 + 2 )) $[3*4]; (( i++ )); for ((i=0; i<3; i++)); do :; done');
    expect(p.commands.map((c) => c.program)).toEqual(['echo', ':']);
  });
});

describe('parseShell: operators and structure', () => {
  it('splits lists and pipelines', () => {
    expect(argvs('a; b && c || d | e |& f\ng')).toEqual([['a'], ['b'], ['c'], ['d'], ['e'], ['f'], ['g']]);
    expect(argvs("echo 'a;b' \"c|d\" e\\&f")).toEqual([['echo', 'a;b', 'c|d', 'e&f']]);
  });

  it('marks background commands, for the whole and-or list', () => {
    const cs = parseShell('a && b & c; nohup d &').commands;
    expect(cs.map((c) => [c.program, c.background])).toEqual([['a', true], ['b', true], ['c', false], ['nohup', true], ['d', true]]);
  });

  it('walks subshells, groups, control flow, functions and substitutions', () => {
    const s = [
      '(a1; (a2))',
      '{ b1; b2; }',
      'if c1; then c2; elif c3; then c4; else c5; fi',
      'while d1; do d2; done; until d3; do d4; done',
      'for x in $(e1) y; do e2; done',
      'select x in a; do e3; done',
      'case $(f1) in a|b) f2;; (c) f3;& *) f4;;& esac',
      'g() { g1; }; function h { h1; }; function i() ( i1 )',
      '[[ -n $(j1) && -z `j2` ]]',
      'k=$(k1) l=`k2`; echo "${m:-$(k3)}" <(k4) >(k5)',
      'coproc k6; coproc NAME { k7; }',
      '! k8; time k9; time -p k10',
    ].join('\n');
    const p = clean(s);
    const names = p.commands.map((c) => c.program);
    for (const n of ['a1', 'a2', 'b1', 'b2', 'c1', 'c2', 'c3', 'c4', 'c5', 'd1', 'd2', 'd3', 'd4', 'e1', 'e2', 'e3', 'f1', 'f2', 'f3', 'f4', 'g1', 'h1', 'i1', 'j1', 'j2', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', 'k10']) {
      expect(names, n).toContain(n);
    }
    expect(names).not.toContain('if');
    expect(names).not.toContain('time');
    expect(p.commands.find((c) => c.program === 'k6')!.background).toBe(true);
  });

  it('parses nested substitutions with parentheses, quotes and case patterns inside', () => {
    const p = clean('echo "$(echo "a $(b1 ")")" )" $(case x in x) b2;; esac)');
    expect(p.commands.map((c) => c.argv)).toEqual([['b1', ')'], ['echo', 'a $(b1 ")")'], ['b2'], ['echo', '$(echo "a $(b1 ")")" )', '$(case x in x) b2;; esac)']]);
    expect(argvs('echo `echo \\`b3\\``')).toContainEqual(['b3']);
  });

  it('reads reserved words only in command position', () => {
    expect(argvs('echo if then fi { }')).toEqual([['echo', 'if', 'then', 'fi', '{', '}']]);
  });
});

describe('parseShell: assignments', () => {
  it('separates VAR=x prefixes from the command', () => {
    const c = one('A=1 B="two words" C= git push D=4');
    expect(c.assignments).toEqual({ A: '1', B: 'two words', C: '' });
    expect(c.args).toEqual(['push', 'D=4']);
  });

  it('an assignment-only line is not a command, but its substitutions run', () => {
    expect(argvs('X=1 Y+=2 a[1]=3')).toEqual([]);
    expect(argvs('X=$(whoami) Y=(a $(id) c)')).toEqual([['whoami'], ['id']]);
  });

  it('a quoted or escaped name is not an assignment', () => {
    expect(one('"X"=1').program).toBe('X=1');
    expect(one('X\\=1').program).toBe('X=1');
  });

  it('env and sudo assignments reach the wrapped command', () => {
    const cs = parseShell('A=1 sudo B=2 env -i C=3 git push').commands;
    expect(cs.at(-1)).toMatchObject({ program: 'git', assignments: { A: '1', B: '2', C: '3' }, via: ['sudo', 'env'] });
  });
});

describe('parseShell: redirections and here-documents', () => {
  it('records redirect operators, fds and targets', () => {
    const c = one('cmd a >out 2>>err <in &>all &>>both 3<&0 2>&1 >|clob <>rw {fd}>x b');
    expect(c.args).toEqual(['a', 'b']);
    expect(c.redirects).toEqual([
      { op: '>', target: 'out' },
      { op: '>>', target: 'err', fd: 2 },
      { op: '<', target: 'in' },
      { op: '&>', target: 'all' },
      { op: '&>>', target: 'both' },
      { op: '<&', target: '0', fd: 3 },
      { op: '>&', target: '1', fd: 2 },
      { op: '>|', target: 'clob' },
      { op: '<>', target: 'rw' },
      { op: '>', target: 'x' },
    ]);
  });

  it('records writes such as echo x > /etc/passwd, also bare and group redirects', () => {
    expect(one('echo x > /etc/passwd').redirects).toEqual([{ op: '>', target: '/etc/passwd' }]);
    const p = parseShell('> /etc/shadow; { echo a; echo b; } >> /etc/hosts; (echo c) 2> "$LOG"');
    expect(p.commands.map((c) => c.redirects.map((r) => r.target))).toEqual([['/etc/hosts'], ['/etc/hosts'], ['$LOG']]);
    expect(p.redirects.map((r) => [r.op, r.target, !!r.dynamic])).toEqual([
      ['>', '/etc/shadow', false],
      ['>>', '/etc/hosts', false],
      ['>', '$LOG', true].map((x, i) => (i === 0 ? '>' : x)),
    ]);
    expect(p.redirects[2]!.fd).toBe(2);
  });

  it('a here-document body is data, with substitutions run only when the delimiter is unquoted', () => {
    const q = clean("cat <<'EOF'\n$(rm -rf /)\nEOF\necho after");
    expect(q.commands.map((c) => c.program)).toEqual(['cat', 'echo']);
    expect(q.commands[0]!.redirects).toEqual([{ op: '<<', target: 'EOF', body: '$(rm -rf /)\n' }]);
    const u = clean('cat <<EOF\nhi $(rm -rf /) `id` \\$(not)\nEOF');
    expect(u.commands.map((c) => c.argv.join(' '))).toEqual(['rm -rf /', 'id', 'cat']);
    expect(u.commands[2]!.redirects[0]).toMatchObject({ op: '<<', dynamic: true });
  });

  it('handles <<- tab stripping, several here-documents on a line and here-strings', () => {
    const p = clean('cat <<-A <<B; echo next\n\t\ta\n\tA\nb\nB\ncat <<< "x y"');
    expect(p.commands[0]!.redirects.map((r) => r.body)).toEqual(['a\n', 'b\n']);
    expect(p.commands.map((c) => c.program)).toEqual(['cat', 'echo', 'cat']);
    expect(p.commands[2]!.redirects).toEqual([{ op: '<<<', target: 'x y', body: 'x y\n' }]);
  });

  it('parses here-document bodies fed to a shell as scripts', () => {
    expect(shape("bash <<'EOF'\ngit push\nrm -rf /tmp/x\nEOF")).toEqual(['bash', 'bash << :: git push', 'bash << :: rm -rf /tmp/x']);
    expect(shape('sudo sh <<< "git push"')).toEqual(['sudo sh', 'sudo :: sh', 'sudo > sh <<< :: git push']);
    expect(shape('cat <<EOF | python3\nprint(1)\nEOF')).toEqual(['cat', 'python3']);
  });

  it('supports the Claude Code commit idiom without noise', () => {
    const p = clean('git commit -m "$(cat <<\'EOF\'\nfix: a ) paren, a `tick` and $(x)\n\nCo-Authored-By: x\nEOF\n)"');
    expect(p.commands.map((c) => c.program)).toEqual(['cat', 'git']);
    expect(p.commands[1]!.args[0]).toBe('commit');
    expect(matchCommand(p.commands[1]!, 'git push')).toBe(false);
  });
});

describe('parseShell: wrappers', () => {
  it('lists the wrapper and the wrapped command with the via chain', () => {
    expect(shape('sudo -u bob env X=1 timeout -s KILL 5 nice -n 5 git push')).toEqual([
      'sudo -u bob env X=1 timeout -s KILL 5 nice -n 5 git push',
      'sudo :: env X=1 timeout -s KILL 5 nice -n 5 git push',
      'sudo > env :: timeout -s KILL 5 nice -n 5 git push',
      'sudo > env > timeout :: nice -n 5 git push',
      'sudo > env > timeout > nice :: git push',
    ]);
  });

  it('re-parses shell code in strings recursively', () => {
    expect(shape(`sudo bash -lc "cd /x && sh -c 'git push' arg0"`)).toEqual([
      `sudo bash -lc cd /x && sh -c 'git push' arg0`,
      `sudo :: bash -lc cd /x && sh -c 'git push' arg0`,
      'sudo > bash -c :: cd /x',
      "sudo > bash -c :: sh -c git push arg0",
      'sudo > bash -c > sh -c :: git push',
    ]);
    expect(shape('bash --norc -o pipefail -c "a" b')).toContain('bash -c :: a');
    expect(shape('eval "a; b"')).toEqual(['eval a; b', 'eval :: a', 'eval :: b']);
  });

  it('a script file or interactive shell runs nothing visible and is not opaque', () => {
    expect(shape('bash ./deploy.sh -x')).toEqual(['bash ./deploy.sh -x']);
    clean('bash ./deploy.sh; sh; zsh -i');
  });

  it('records interpreters with their code as an argument', () => {
    expect(argvs(`python3 -c 'import os; os.system("rm -rf /")'`)).toEqual([['python3', '-c', 'import os; os.system("rm -rf /")']]);
    expect(argvs(`node -e 'require("child_process")'`)).toEqual([['node', '-e', 'require("child_process")']]);
    expect(shape('python -m pip install x')).toEqual(['python -m pip install x', 'python -m :: pip install x']);
  });

  it('unwraps xargs, find -exec and parallel, marking run-time arguments', () => {
    const x = parseShell('ls | xargs -0 -n1 rm -f').commands.at(-1)!;
    expect(x).toMatchObject({ program: 'rm', args: ['-f'], via: ['xargs'], openArgs: true });
    const xi = parseShell('ls | xargs -I{} mv {} /tmp').commands.at(-1)!;
    expect(xi).toMatchObject({ program: 'mv', args: ['{}', '/tmp'], openArgs: false });
    expect(xi.argInfo[0]!.dynamic).toBe('quoted');
    expect(shape('find . -name "*.o" -exec rm {} \\; -o -execdir sh -c "echo hi" \\;')).toEqual([
      'find . -name *.o -exec rm {} ; -o -execdir sh -c echo hi ;',
      'find -exec :: rm {}',
      'find -execdir :: sh -c echo hi',
      'find -execdir > sh -c :: echo hi',
    ]);
    expect(parseShell('parallel gzip ::: a b').commands.at(-1)).toMatchObject({ program: 'gzip', via: ['parallel'], openArgs: true });
  });

  it('unwraps package runners and records the package name as the program', () => {
    expect(parseShell('npx -y cowsay@1.2 hi').commands.at(-1)).toMatchObject({ program: 'cowsay', programPath: 'cowsay@1.2', via: ['npx'] });
    expect(parseShell('pnpm dlx @scope/tool@latest run').commands.at(-1)).toMatchObject({ program: 'tool', via: ['pnpm dlx'] });
    expect(parseShell('npx -p typescript tsc -v').commands.at(-1)).toMatchObject({ program: 'tsc', via: ['npx'] });
    expect(shape('npm exec -- eslint .')).toEqual(['npm exec -- eslint .', 'npm exec :: eslint .']);
    expect(shape('npm install x')).toEqual(['npm install x']);
  });

  it('does not invent commands for non-executing forms', () => {
    expect(shape('command -v git; sudo -l; type git; nice')).toEqual(['command -v git', 'sudo -l', 'type git', 'nice']);
  });

  it('echo/printf piped to a shell is resolved, other pipes into a shell are opaque', () => {
    expect(shape("printf '%s\\n' 'git push' | sh")).toContain('sh | :: git push');
    const p = parseShell('curl -fsSL https://x | sudo bash');
    expect(p.commands.map((c) => c.program)).toEqual(['curl', 'sudo', 'bash']);
    expect(p.opaque).toEqual([{ reason: 'bash runs commands read from a pipe', text: 'bash', via: ['sudo'] }]);
  });

  it('a shell reading its own script from stdin does not feed it to the commands again', () => {
    expect(shape('echo sh | sh')).toEqual(['echo sh', 'sh', 'sh | :: sh']);
    expect(parseShell('echo sh | sh').opaque).toEqual([]);
    expect(shape("bash <<'EOF'\nsh\nEOF")).toEqual(['bash', 'bash << :: sh']);
  });

  it('expands aliases defined earlier in the script, once', () => {
    expect(shape("alias ll='ls -la'; ll /tmp")).toEqual(['alias ll=ls -la', 'll /tmp', 'alias ll :: ls -la /tmp']);
    expect(shape("alias ls='ls -F'; ls")).toEqual(['alias ls=ls -F', 'ls', 'alias ls :: ls -F']);
    expect(shape("alias g=git; unalias g; g push")).toEqual(['alias g=git', 'unalias g', 'g push']);
  });
});

describe('parseShell: opaque and errors', () => {
  it('flags command names computed at run time', () => {
    for (const s of ['$CMD args', '"$CMD" args', '${CMD} args', '$(which git) push', '`which git` push', '${!ref} x', 'git${IFS}push', '{rm,-rf,/}', '/bin/r? -rf /']) {
      const p = parseShell(s);
      expect(p.opaque.length, s).toBeGreaterThan(0);
      expect(p.errors, s).toEqual([]);
    }
  });

  it('accepts a dynamic directory when the program name itself is literal and quoted', () => {
    const p = clean('"$VENV/bin/python" -m pip install x; "$(git rev-parse --show-toplevel)"/bin/git push');
    expect(p.commands.map((c) => c.program)).toEqual(['python', 'pip', 'git', 'git']);
    for (const s of ['$VENV/bin/python x', '"$VENV/bin/$P" x', '"$VENV"/bin/py* x']) expect(parseShell(s).opaque.length, s).toBe(1);
  });

  it('flags shell code built at run time but still lists what it can see', () => {
    const p = parseShell('bash -c "rm -rf $DIR"');
    expect(p.opaque.map((o) => o.reason)).toEqual(['bash -c runs shell code built at run time']);
    expect(p.commands.at(-1)).toMatchObject({ program: 'rm', args: ['-rf', '$DIR'], via: ['bash -c'] });
  });

  it('reports syntax errors as errors and opaque, never throwing', () => {
    const cases: Array<[string, RegExp]> = [
      ["echo 'abc", /unterminated single quote/],
      ['echo "abc', /unterminated double quote/],
      ['echo $(git push', /unterminated `\$\(`/],
      ['echo `git push', /unterminated backquote/],
      ['echo ${x', /unterminated `\$\{`/],
      ['cat <<EOF\nbody', /unterminated here-document/],
      ['if true; then echo', /expected `fi`/],
      ['while true; do echo', /expected `done`/],
      ['{ echo', /expected `\}`/],
      ['(echo', /unterminated `\(`/],
      ['case x in a) echo', /unterminated `case`/],
      ['echo hi )', /unexpected `\)`/],
      ['&& echo', /unexpected `&`/],
      ['echo |', /missing command after `\|`/],
      ['echo a &&', /missing command after `&&`/],
      ['echo >', /missing target/],
      ["bash -c 'echo \"x'", /unterminated double quote \(in bash -c\)/],
    ];
    for (const [s, re] of cases) {
      const p = parseShell(s);
      expect(p.errors.join('\n'), s).toMatch(re);
      expect(p.opaque.length, s).toBeGreaterThanOrEqual(p.errors.length);
    }
    // What was read before the error is still reported.
    expect(parseShell('git push; echo "x').commands.map((c) => c.program)).toEqual(['git', 'echo']);
  });

  it('limits nesting depth', () => {
    let s = 'git push';
    for (let i = 0; i < 10; i++) s = `sh -c ${JSON.stringify(s).replace(/\$/g, '\\$').replace(/`/g, '\\`')}`;
    const deep = parseShell(s);
    expect(deep.opaque.some((o) => /nested deeper than 8/.test(o.reason))).toBe(true);
    expect(deep.commands.some((c) => c.program === 'git')).toBe(false);
    const shallow = parseShell('sh -c "sh -c \'git push\'"', { maxDepth: 1 });
    expect(shallow.opaque.map((o) => o.reason)).toEqual(['nested deeper than 1 levels']);
    expect(parseShell('sh -c "sh -c \'git push\'"', { maxDepth: 2 }).opaque).toEqual([]);
  });

  it('survives pathological input', () => {
    const t0 = Date.now();
    expect(parseShell('('.repeat(5000)).errors.length).toBeGreaterThan(0);
    expect(parseShell('$('.repeat(5000)).errors.length).toBeGreaterThan(0);
    expect(parseShell('${'.repeat(5000)).errors.length).toBeGreaterThan(0);
    expect(parseShell('$(('.repeat(3000)).errors.length).toBeGreaterThan(0);
    expect(parseShell('{'.repeat(20000) + ' x').commands).toHaveLength(1);
    expect(parseShell('echo a; '.repeat(5000)).commands).toHaveLength(5000);
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = ` \t\n;&|()<>'"\`$\\{}[]*?!#=-abcxyz01EOF`;
    for (let i = 0; i < 300; i++) {
      const s = Array.from({ length: 1 + Math.floor(rnd() * 60) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      expect(() => parseShell(s), s).not.toThrow();
    }
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('matchCommand', () => {
  const m = (s: string, pattern: string, opts?: Parameters<typeof matchCommand>[2]) => parseShell(s).commands.some((c) => matchCommand(c, pattern, opts));

  it('matches the program by basename, case-insensitively, or by path when the pattern has a slash', () => {
    expect(m('/usr/bin/git push', 'git push')).toBe(true);
    expect(m('GIT.exe push', 'git push')).toBe(true);
    expect(m('/usr/bin/git push', '/usr/bin/git push')).toBe(true);
    expect(m('git push', '/usr/bin/git push')).toBe(false);
    expect(m('python3.11 x.py', 'python*')).toBe(true);
    expect(m('gitk', 'git')).toBe(false);
  });

  it('matches leading subcommand words in order, allowing option values between', () => {
    expect(m('git push origin main', 'git push')).toBe(true);
    expect(m('git push origin main', 'git push origin')).toBe(true);
    expect(m('git push origin main', 'git push main')).toBe(false);
    expect(m('git log push', 'git push')).toBe(false);
    expect(m('git -C repo -c a=b --no-pager push', 'git push')).toBe(true);
    expect(m('docker --context prod compose up', 'docker compose up')).toBe(true);
    expect(m('npm i x', 'npm install|i|add')).toBe(true);
    expect(m('npm ci', 'npm install|i|add')).toBe(false);
  });

  it('supports ... for operands anywhere and * globs', () => {
    expect(m('rm /tmp/a / -rf', 'rm -rf /')).toBe(false);
    expect(m('rm /tmp/a / -rf', 'rm -rf ... /')).toBe(true);
    // A word right after an option may be that option's value, so it may be skipped.
    expect(m('rm -rf /tmp/a /', 'rm -rf /')).toBe(true);
    expect(m('kubectl -n prod delete pod x', 'kubectl delete ... x')).toBe(true);
    expect(m('rm -rf /etc/nginx', 'rm -rf /etc/*')).toBe(true);
    expect(m('terraform apply -auto-approve', 'terraform apply')).toBe(true);
  });

  it('matches flags combined, split, reordered, long, abbreviated and via synonyms', () => {
    for (const s of ['rm -rf /', 'rm -fr /', 'rm -r -f /', 'rm -R -f /', 'rm -vfR /', 'rm --recursive --force /', 'rm --recursive -f /', 'rm --rec --fo /', 'rm / -rf']) {
      expect(m(s, 'rm -rf /'), s).toBe(true);
    }
    expect(m('rm -r /', 'rm -rf /')).toBe(false);
    expect(m('rm -- -rf', 'rm -rf')).toBe(false);
    expect(m('git push --force', 'git push -f')).toBe(true);
    expect(m('git push --force-with-lease', 'git push --force')).toBe(false);
    expect(m('git push --force-with-lease', 'git push --force|--force-with-lease')).toBe(true);
    expect(m('git push origin +main', 'git push --force')).toBe(true);
    expect(m('git reset --hard=x', 'git reset --hard')).toBe(true);
    expect(m('find . -delete', 'find -delete')).toBe(true);
    expect(m('unknown --force', 'unknown -f')).toBe(false);
  });

  it('normalizes paths', () => {
    for (const s of ['rm -rf //', 'rm -rf /./', 'rm -rf /tmp/..', 'rm -rf "/"', 'rm -rf /*']) expect(m(s, 'rm -rf /'), s).toBe(true);
    expect(m('rm -rf ./build/', 'rm -rf build')).toBe(true);
  });

  it('treats run-time words as wildcards by default, literally on request', () => {
    expect(m('git $SUB', 'git push')).toBe(true);
    expect(m('git $SUB', 'git push', { dynamic: 'literal' })).toBe(false);
    expect(m('git "$SUB"', 'git push origin')).toBe(false);
    expect(m('git $SUB', 'git push origin')).toBe(true);
    expect(m('rm -rf "$D"', 'rm -rf /')).toBe(true);
    expect(m('rm $FLAGS /', 'rm -rf /')).toBe(true);
    expect(m('rm -rf "$D"', 'rm -rf "$D"', { dynamic: 'literal' })).toBe(true);
    expect(m('git add "$F"', 'git push')).toBe(false);
    expect(m('git commit -m "$MSG"', 'git commit --amend')).toBe(false);
    expect(m('echo push | xargs git', 'git push')).toBe(true);
    expect(m('echo push | xargs git', 'git push', { dynamic: 'literal' })).toBe(false);
  });

  it('exposes compiled patterns and a finder', () => {
    const pat = parsePattern('npm install|i|add -g');
    expect(pat.programNames).toEqual(['npm']);
    expect(pat.flags).toHaveLength(1);
    const p = parseShell('npm i -g x && npm i y');
    expect(findCommands(p, pat).map((c) => c.args)).toEqual([['i', '-g', 'x']]);
    expect(() => parsePattern('  ')).toThrow();
  });
});
