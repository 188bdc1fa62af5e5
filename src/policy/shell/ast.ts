/** Internal syntax tree produced by `Parser` and consumed by the walker. */

export type Dyn = 'none' | 'quoted' | 'unquoted';

/** A nested command list that runs when the word is expanded. */
export interface Sub {
  kind: 'cmdsub' | 'backtick' | 'procsub';
  list: List;
  text: string;
}

export interface Word {
  src: string;
  start: number;
  end: number;
  /** Source text (for synthetic words: the value). */
  raw: string;
  /** Quote-removed value; expansions are kept as their source text. */
  value: string;
  quoted: boolean;
  dynamic: Dyn;
  glob: boolean;
  subs: Sub[];
  /** `NAME=value` (or `NAME+=value`, `NAME[i]=value`) with an unquoted name. */
  assign?: { name: string; value: string };
  synthetic?: boolean;
}

export interface Heredoc {
  delim: string;
  quoted: boolean;
  strip: boolean;
  body: string;
  dynamic: boolean;
  subs: Sub[];
}

export interface Redir {
  op: string;
  fd?: number;
  target: Word;
  heredoc?: Heredoc;
}

export interface SimpleCmd {
  type: 'simple';
  words: Word[];
  redirects: Redir[];
  src: string;
  start: number;
  end: number;
}

export interface CompoundCmd {
  type: 'compound';
  kind: string;
  body: List[];
  /** Words that are expanded but not run as commands (for-lists, case subjects, `[[ ]]`, `(( ))`). */
  words: Word[];
  redirects: Redir[];
  src: string;
  start: number;
  end: number;
}

export type Cmd = SimpleCmd | CompoundCmd;

export interface Pipeline {
  cmds: Cmd[];
}

export interface Item {
  pipelines: Pipeline[];
  background: boolean;
}

export type List = Item[];

export interface SyntaxIssue {
  message: string;
  text: string;
}
