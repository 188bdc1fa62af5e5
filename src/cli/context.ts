import { OmniClient } from '../client/api.js';
import { connect } from '../client/daemon-control.js';
import { resolvePaths, type OmniPaths } from '../core/paths.js';

export function paths(): OmniPaths {
  return resolvePaths(process.env);
}

/** A client of the daemon, starting it on first need. */
export function client(): Promise<OmniClient> {
  return connect(paths());
}
