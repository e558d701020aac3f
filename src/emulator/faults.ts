// Fault injection for tests: `ACTION:KIND[:COUNT]`, e.g. `CreateAccessKey:500:once`,
// `UpdateAccessKey:throttle:2`, `GetCallerIdentity:reset`, `ListAccessKeys:timeout:always`, `*:500:3`.
import { KeyrotError } from '../errors/keyrot-error.js';

/** What goes wrong: an error reply, a dropped connection, or no answer, before or after the action runs. */
export type FaultKind = '500' | 'throttle' | 'reset' | 'timeout' | 'reset-after' | 'timeout-after';

/** One injected fault: which action, what kind, how many times (`always` = every matching request). */
export interface FaultSpec {
  /** An action name (`CreateAccessKey`) or `*` for every action. */
  action: string;
  kind: FaultKind;
  count: number | 'always';
}

const KINDS: readonly FaultKind[] = ['500', 'throttle', 'reset', 'timeout', 'reset-after', 'timeout-after'];

/** The `--help` text describing the fault grammar. */
export const FAULT_GRAMMAR_HELP = `Faults (--fault ACTION:KIND[:COUNT], repeatable):
  ACTION  an API action name (CreateAccessKey, GetCallerIdentity, ...) or * for every action
  KIND    500            answer 500 (IAM ServiceFailure / STS InternalFailure); the action does not run
          throttle       answer 400 Throttling "Rate exceeded", as AWS does; the action does not run
          reset          destroy the connection without answering; the action does not run
          timeout        never answer (the client's own timeout fires); the action does not run
          reset-after    run the action (e.g. create the key), then destroy the connection
          timeout-after  run the action, then never answer
  COUNT   once (default), a number N, or always
Faults on the same action are used up in the order given.
Examples: --fault CreateAccessKey:500:once --fault UpdateAccessKey:throttle:2
          --fault GetCallerIdentity:reset --fault ListAccessKeys:timeout:always`;

/** Parses `ACTION:KIND[:COUNT]`; throws KeyrotError('USAGE') naming what is wrong. */
export function parseFaultSpec(text: string): FaultSpec {
  const parts = text.trim().split(':');
  const [action, kind, count = 'once'] = parts;
  const usage = (why: string) =>
    new KeyrotError('USAGE', `invalid --fault "${text}": ${why}`, {
      hint: 'Expected ACTION:KIND[:COUNT], e.g. CreateAccessKey:500:once (see `keyrot emulator --help`).',
    });
  if (parts.length < 2 || parts.length > 3) throw usage('expected two or three parts separated by ":"');
  if (!action || !(action === '*' || /^[A-Z][A-Za-z0-9]*$/.test(action)))
    throw usage('ACTION must be an action name or *');
  if (!KINDS.includes(kind as FaultKind)) throw usage(`KIND must be one of ${KINDS.join(', ')}`);
  let parsedCount: number | 'always';
  if (count === 'once') parsedCount = 1;
  else if (count === 'always') parsedCount = 'always';
  else if (/^[1-9]\d*$/.test(count)) parsedCount = Number(count);
  else throw usage('COUNT must be once, always or a positive whole number');
  return { action, kind: kind as FaultKind, count: parsedCount };
}

/** The faults still to inject; each matching request uses one up. */
export class FaultPlan {
  private readonly pending: FaultSpec[] = [];

  constructor(specs: readonly (FaultSpec | string)[] = []) {
    for (const spec of specs) this.add(spec);
  }

  /** Adds a fault (a spec object or its text form). */
  add(spec: FaultSpec | string): void {
    this.pending.push(typeof spec === 'string' ? parseFaultSpec(spec) : { ...spec });
  }

  /** Forgets every pending fault. */
  clear(): void {
    this.pending.length = 0;
  }

  /** The faults not yet used up. */
  list(): FaultSpec[] {
    return this.pending.map((spec) => ({ ...spec }));
  }

  /** Takes the first pending fault for `action`, counting it down; undefined when none applies. */
  take(action: string): FaultKind | undefined {
    const index = this.pending.findIndex((spec) => spec.action === action || spec.action === '*');
    if (index < 0) return undefined;
    const spec = this.pending[index]!;
    if (spec.count !== 'always') {
      spec.count -= 1;
      if (spec.count === 0) this.pending.splice(index, 1);
    }
    return spec.kind;
  }
}
