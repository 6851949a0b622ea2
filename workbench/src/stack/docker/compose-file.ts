/**
 * docker-compose.yml read as compose would, for the subset the stack uses: YAML with merge keys, `${VAR}`,
 * `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}` and `$$` interpolated from the env file's
 * variables (never from the process environment), then the services' fields this backend realises. Pure: text and
 * variables in, a typed project out. Fields outside the subset are refused, so the file cannot silently say more
 * than the engine is told (`docker compose up` by hand would honour them).
 */
import { parse } from 'yaml';

export interface ComposeHealthcheck {
  test: string[];
  intervalNs: number;
  timeoutNs: number;
  retries: number;
  startPeriodNs: number;
}

export interface ComposePort {
  hostIp: string;
  /** '' = the engine picks a free port. */
  hostPort: string;
  containerPort: number;
}

export interface ComposeService {
  name: string;
  image: string;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  ports: ComposePort[];
  /** Named volumes only: `volume:/path`. */
  volumes: { source: string; target: string }[];
  healthcheck?: ComposeHealthcheck;
  /** Services to wait for, and for what. */
  dependsOn: { service: string; condition: 'service_started' | 'service_healthy' | 'service_completed_successfully' }[];
  labels: Record<string, string>;
  replicas: number;
  profiles: string[];
  init: boolean;
  user?: string;
}

export interface ComposeModel {
  services: ComposeService[];
  /** Named volumes and their labels. */
  volumes: Record<string, { labels: Record<string, string> }>;
  /** The default network's labels. */
  networkLabels: Record<string, string>;
}

export class ComposeFileError extends Error {}

/** Interpolates one string as compose does. Pure. */
export function interpolate(text: string, vars: Record<string, string>, where = ''): string {
  return text.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (m, dollar, name, op, arg, bare) => {
    if (dollar === '$') return '$';
    const key = (name ?? bare) as string;
    const value = vars[key];
    if (!op) return value ?? '';
    const emptyIsUnset = (op as string).startsWith(':');
    const unset = value === undefined || (emptyIsUnset && value === '');
    if ((op as string).endsWith('-')) return unset ? interpolate(arg as string, vars, where) : value!;
    if (unset) throw new ComposeFileError(`${where}: ${key} is required: ${arg as string}`);
    return value!;
  });
}

function interpolateDeep(node: unknown, vars: Record<string, string>, where: string): unknown {
  if (typeof node === 'string') return interpolate(node, vars, where);
  if (Array.isArray(node)) return node.map((n, i) => interpolateDeep(n, vars, `${where}[${i}]`));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateDeep(v, vars, `${where}.${k}`)]));
  }
  return node;
}

/** "1m30s", "2s", "500ms" -> nanoseconds (compose duration syntax). Pure. */
export function parseDurationNs(text: string | undefined, fallbackNs: number): number {
  if (text === undefined) return fallbackNs;
  const units: Record<string, number> = { h: 3600e9, m: 60e9, s: 1e9, ms: 1e6, us: 1e3, ns: 1 };
  let total = 0;
  let rest = String(text).trim();
  if (rest === '') throw new ComposeFileError('empty duration');
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/.exec(rest);
    if (!m) throw new ComposeFileError(`invalid duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}

/** "127.0.0.1:${PORT:-}:9000" after interpolation -> its parts; only host-IP-bound TCP ports are accepted. Pure. */
export function parsePort(spec: string, where: string): ComposePort {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d*):(\d+)$/.exec(spec);
  if (!m) throw new ComposeFileError(`${where}: port ${JSON.stringify(spec)} must be HOST_IP:[HOST_PORT]:CONTAINER_PORT`);
  return { hostIp: m[1]!, hostPort: m[2]!, containerPort: Number(m[3]) };
}

const KNOWN_SERVICE_KEYS = new Set(['image', 'build', 'platform', 'init', 'command', 'entrypoint', 'environment', 'ports', 'volumes', 'healthcheck', 'depends_on', 'labels', 'deploy', 'profiles', 'restart', 'user']);

function stringList(v: unknown, where: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ComposeFileError(`${where}: expected a list (exec form)`);
  return v.map(String);
}

function stringMap(v: unknown): Record<string, string> {
  if (!v) return {};
  if (Array.isArray(v)) return Object.fromEntries(v.map((s: string) => [String(s).split('=')[0]!, String(s).split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, x === null || x === undefined ? '' : String(x)]));
}

function service(name: string, raw: Record<string, unknown>): ComposeService {
  const where = `services.${name}`;
  for (const k of Object.keys(raw)) if (!KNOWN_SERVICE_KEYS.has(k)) throw new ComposeFileError(`${where}.${k}: not supported by the workbench's compose subset`);
  if (typeof raw.image !== 'string' || raw.image === '') throw new ComposeFileError(`${where}.image: required`);
  const hc = raw.healthcheck as Record<string, unknown> | undefined;
  const dependsRaw = raw.depends_on;
  const dependsOn = Array.isArray(dependsRaw)
    ? dependsRaw.map((s) => ({ service: String(s), condition: 'service_started' as const }))
    : Object.entries((dependsRaw ?? {}) as Record<string, { condition?: string }>).map(([s, d]) => ({
        service: s,
        condition: (d?.condition ?? 'service_started') as ComposeService['dependsOn'][number]['condition'],
      }));
  const replicas = (raw.deploy as { replicas?: unknown } | undefined)?.replicas;
  return {
    name,
    image: raw.image,
    command: stringList(raw.command, `${where}.command`),
    entrypoint: stringList(raw.entrypoint, `${where}.entrypoint`),
    environment: stringMap(raw.environment),
    ports: (stringList(raw.ports, `${where}.ports`) ?? []).map((p) => parsePort(p, `${where}.ports`)),
    volumes: (stringList(raw.volumes, `${where}.volumes`) ?? []).map((v) => {
      const [source, target, ...rest] = v.split(':');
      if (!source || !target || rest.length > 0 || source.startsWith('/') || source.startsWith('.')) throw new ComposeFileError(`${where}.volumes: only named volumes (name:/path) are supported, got ${v}`);
      return { source, target };
    }),
    healthcheck: hc
      ? {
          test: stringList(hc.test, `${where}.healthcheck.test`) ?? [],
          intervalNs: parseDurationNs(hc.interval as string | undefined, 30e9),
          timeoutNs: parseDurationNs(hc.timeout as string | undefined, 30e9),
          retries: Number(hc.retries ?? 3),
          startPeriodNs: parseDurationNs(hc.start_period as string | undefined, 0),
        }
      : undefined,
    dependsOn,
    labels: stringMap(raw.labels),
    replicas: replicas === undefined ? 1 : Number(replicas),
    profiles: (stringList(raw.profiles, `${where}.profiles`) ?? []),
    init: raw.init === true || raw.init === 'true',
    user: raw.user === undefined ? undefined : String(raw.user),
  };
}

/** Parses and interpolates docker-compose.yml's text with the env file's variables. Pure. */
export function loadCompose(text: string, vars: Record<string, string>): ComposeModel {
  const doc = interpolateDeep(parse(text, { merge: true }), vars, 'docker-compose.yml') as {
    services?: Record<string, Record<string, unknown>>;
    volumes?: Record<string, { labels?: unknown } | null>;
    networks?: { default?: { labels?: unknown } };
  };
  const services = Object.entries(doc.services ?? {}).map(([name, raw]) => service(name, raw));
  for (const s of services) {
    for (const d of s.dependsOn) if (!services.some((x) => x.name === d.service)) throw new ComposeFileError(`services.${s.name}.depends_on: unknown service ${d.service}`);
    if (!Number.isInteger(s.replicas) || s.replicas < 0) throw new ComposeFileError(`services.${s.name}.deploy.replicas: not a count`);
  }
  return {
    services,
    volumes: Object.fromEntries(Object.entries(doc.volumes ?? {}).map(([k, v]) => [k, { labels: stringMap(v?.labels) }])),
    networkLabels: stringMap(doc.networks?.default?.labels),
  };
}

/**
 * The services to start for the given profiles, in dependency order (a service after what it depends on).
 * Services with profiles start only when one of them is active, as with compose. Pure.
 */
export function startOrder(model: ComposeModel, activeProfiles: readonly string[], only?: readonly string[]): ComposeService[] {
  const byName = new Map(model.services.map((s) => [s.name, s]));
  const active = (s: ComposeService) => s.profiles.length === 0 || s.profiles.some((p) => activeProfiles.includes(p));
  const order: ComposeService[] = [];
  const visiting = new Set<string>();
  const visit = (s: ComposeService) => {
    if (order.includes(s)) return;
    if (visiting.has(s.name)) throw new ComposeFileError(`services.${s.name}: dependency cycle`);
    visiting.add(s.name);
    for (const d of s.dependsOn) visit(byName.get(d.service)!);
    visiting.delete(s.name);
    order.push(s);
  };
  for (const s of model.services) if (active(s) && (!only || only.includes(s.name))) visit(s);
  return order;
}
