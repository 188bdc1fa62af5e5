/** The dashboard's geometry as plain functions (no React): column widths and when ages next change. */

export interface Columns {
  /** The cursor and the broadcast mark. */
  mark: number;
  name: number;
  harness: number;
  status: number;
  age: number;
  asks: number;
  /** What is left: the spend figure comes first in it, the bar only when it fits. */
  spend: number;
}

/**
 * Column widths for a terminal `width` cells wide. At 80 columns the spend keeps 22 cells
 * (`$12.34 / $50 soft tree`) and the status 24, room for `waiting (ap_…)` with the whole id (an
 * id is shown whole or not at all); wider terminals give the room to status, then name.
 * One cell stays free on the right so a full row never wraps.
 */
export function columnWidths(width: number): Columns {
  const w = Math.max(50, Math.floor(width) || 80);
  // harness 9: the longest harness name (`opencode`) and the cell's one-space gap.
  const c: Columns = { mark: 3, name: 10, harness: 9, status: 24, age: 6, asks: 5, spend: 0 };
  let extra = w - 80;
  if (extra < 0) {
    // Narrower than 80: status and name give way first, never below a readable minimum.
    const fromStatus = Math.min(-extra, c.status - 8);
    c.status -= fromStatus;
    extra += fromStatus;
    const fromName = Math.min(-extra, c.name - 8);
    c.name -= fromName;
    extra += fromName;
  }
  const grow = (k: 'status' | 'name' | 'harness' | 'age' | 'asks', max: number) => {
    const n = Math.max(0, Math.min(max, extra));
    c[k] += n;
    extra -= n;
  };
  grow('status', 13);
  grow('name', 7);
  grow('age', 1);
  grow('asks', 1);
  c.spend = Math.max(10, w - 1 - (c.mark + c.name + c.harness + c.status + c.age + c.asks));
  return c;
}

/** Lives beside formatAge, whose steps it follows; kept importable from here. */
export { nextAgeChangeMs } from '../approvals/format.js';
