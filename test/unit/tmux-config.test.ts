import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseConfig } from '../../src/daemon/config.js';
import { tmuxConfig } from '../../src/tmux/config.js';

const parse = (text: string) => parseConfig(text, '/cfg/config.yaml', { home: '/home/u' });

describe("config.yaml's tmux: section and omni's tmux.conf", () => {
  it('mouse is off unless config.yaml turns it on', () => {
    expect(DEFAULT_CONFIG.tmux).toEqual({ mouse: false });
    expect(parse('approvals:\n  popup: true\n').tmux).toEqual({ mouse: false });
    expect(parse('tmux:\n  mouse: true\n').tmux).toEqual({ mouse: true });
    expect(parse('tmux:\n').tmux).toEqual({ mouse: false });
  });

  it('names file, line and column for a wrong key or type', () => {
    expect(() => parse('tmux:\n  mouse: yes please\n')).toThrow('/cfg/config.yaml:2:10: tmux.mouse must be a boolean');
    expect(() => parse('tmux:\n  focus: true\n')).toThrow('/cfg/config.yaml:2:3: unknown key "focus" in tmux; valid: mouse');
  });

  it('writes what the harnesses ask for, and mouse as configured', () => {
    const conf = tmuxConfig({ mouse: true });
    expect(conf).toMatch(/^set -g focus-events on$/m);
    expect(conf).toMatch(/^set -sq extended-keys on$/m);
    expect(conf).toMatch(/^set -g mouse on$/m);
    expect(tmuxConfig()).toMatch(/^set -g mouse off$/m);
    expect(conf).toMatch(/^set -gw remain-on-exit on$/m);
  });
});
