import type { YVal } from '../core/yaml.js';

/** What a notification is about (docs/CONFIG.md `notify:`). */
export const NOTIFY_KINDS = ['approval', 'dialog', 'idle', 'exited'] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

/** Where it goes: the user's tmux status line, the user's tmux bell, the desktop. */
export const NOTIFY_CHANNELS = ['message', 'bell', 'desktop'] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

/** config.yaml's `notify:` section: for each kind, the channels it uses. */
export interface NotifyConfig {
  events: Record<NotifyKind, NotifyChannel[]>;
}

export const NOTIFY_CONFIG_KEY = 'notify';

const ALL: NotifyChannel[] = [...NOTIFY_CHANNELS];
export const DEFAULT_NOTIFY_CONFIG: NotifyConfig = { events: { approval: ALL, dialog: ALL, idle: ALL, exited: ALL } };

const OFF: NotifyConfig = { events: { approval: [], dialog: [], idle: [], exited: [] } };

/**
 * The section's value (null: the defaults). `notify: false` turns everything off; `events:`
 * takes per kind `true`, `false` or a list of channels; `channels:` turns a channel off for
 * every kind. Throws YamlError (file:line:column) when it is wrong.
 */
export function parseNotifyConfig(value: YVal): NotifyConfig {
  const k = value.kind();
  if (k === 'null') return structuredClone(DEFAULT_NOTIFY_CONFIG);
  if (k === 'boolean') return structuredClone(value.boolean('notify') ? DEFAULT_NOTIFY_CONFIG : OFF);
  const cfg = structuredClone(DEFAULT_NOTIFY_CONFIG);
  const enabled = new Set<NotifyChannel>(ALL);
  for (const e of value.map('notify', ['events', 'channels'])) {
    if (e.key === 'events') {
      for (const ev of e.value.map('notify.events', NOTIFY_KINDS)) cfg.events[ev.key as NotifyKind] = channelsOf(ev.value, `notify.events.${ev.key}`);
    } else {
      for (const ch of e.value.map('notify.channels', NOTIFY_CHANNELS)) {
        if (!ch.value.boolean(`notify.channels.${ch.key}`)) enabled.delete(ch.key as NotifyChannel);
      }
    }
  }
  for (const kind of NOTIFY_KINDS) cfg.events[kind] = cfg.events[kind].filter((c) => enabled.has(c));
  return cfg;
}

function channelsOf(v: YVal, what: string): NotifyChannel[] {
  if (v.kind() === 'boolean') return v.boolean(what) ? [...ALL] : [];
  if (v.kind() === 'list' && v.list(what).length === 0) return [];
  return v.kind() === 'list' ? v.list(what).map((c) => c.oneOf(`each item of ${what}`, NOTIFY_CHANNELS)) : [v.oneOf(what, NOTIFY_CHANNELS)];
}
