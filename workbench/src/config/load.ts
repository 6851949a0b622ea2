/**
 * Loads the config once, at the edge: defaults <- workbench.yaml <- WORKBENCH_* env vars <- command-line flags.
 * Every problem is reported at once (ConfigError), each naming its key and a fix. Nothing below this module
 * reads process.env: the env is passed in.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { releaseByLabel } from './releases.js';
import { FileConfigSchema, ProfileSchema, type Job, type Profile, type WorkbenchConfig } from './schema.js';
import { parseInputSpec, parseWeightsSpec } from './specs.js';

/** Overrides that flags (or env vars) may set. Each maps to one config key. */
export interface ConfigOverrides {
  profile?: string;
  input?: string;
  weights?: string;
  engine?: string;
  /** How the job reads its input: images | packed (job.inputFormat). */
  inputFormat?: string;
  backend?: string;
  region?: string;
  budgetEur?: string | number;
  /** emr: core nodes to plan, a number or 'auto' (profiles.<emr>.coreNodes). */
  coreNodes?: string | number;
  /** emr: the run must end within this with coreNodes 'auto' (profiles.<emr>.targetMinutes). */
  targetMinutes?: string | number;
  /** The EMR release the selected profile runs (profiles.<name>.release). */
  release?: string;
  cacheDir?: string;
}

/** Env var -> override, in documented order (README "Configuration"). */
export const ENV_VARS: Record<keyof ConfigOverrides, string> = {
  profile: 'WORKBENCH_PROFILE',
  input: 'WORKBENCH_INPUT',
  weights: 'WORKBENCH_WEIGHTS',
  engine: 'WORKBENCH_ENGINE',
  inputFormat: 'WORKBENCH_INPUT_FORMAT',
  backend: 'WORKBENCH_BACKEND',
  region: 'WORKBENCH_REGION',
  budgetEur: 'WORKBENCH_BUDGET_EUR',
  coreNodes: 'WORKBENCH_CORE_NODES',
  targetMinutes: 'WORKBENCH_TARGET_MINUTES',
  release: 'WORKBENCH_RELEASE',
  cacheDir: 'WORKBENCH_CACHE_DIR',
};

export interface LoadOptions {
  root: string;
  /** Defaults to <root>/workbench.yaml; a missing default file means all defaults. */
  configPath?: string;
  env?: Record<string, string | undefined>;
  flags?: ConfigOverrides;
}

type Problem = ConstructorParameters<typeof ConfigError>[0][number];

function zodProblems(error: z.ZodError, prefix = ''): Problem[] {
  return error.issues.map((issue) => {
    const key = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)';
    let fix: string | undefined;
    if (issue.code === 'unrecognized_keys') {
      fix = issue.keys.includes('releaseLabel')
        ? 'rename releaseLabel to release (the same label; versions.json `releases` lists the supported ones)'
        : `remove or rename ${issue.keys.join(', ')}`;
    }
    return { key, message: issue.message, fix };
  });
}

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (typeof cur[part] !== 'object' || cur[part] === null) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts.at(-1)!] = value;
}

export function loadConfig(opts: LoadOptions): WorkbenchConfig {
  const env = opts.env ?? {};
  const problems: Problem[] = [];
  const configPath = opts.configPath ?? path.join(opts.root, 'workbench.yaml');
  const configName = path.relative(opts.root, configPath) || configPath;

  // 1. The file.
  let raw: Record<string, unknown> = {};
  if (existsSync(configPath)) {
    const doc = parseDocument(readFileSync(configPath, 'utf8'));
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ key: configName, message: `YAML: ${e.message.split('\n')[0]}` });
      throw new ConfigError(problems, configName);
    }
    const value = doc.toJS() ?? {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigError([{ key: configName, message: 'must be a YAML mapping' }], configName);
    }
    raw = value as Record<string, unknown>;
  } else if (opts.configPath) {
    throw new ConfigError([{ key: configName, message: 'file not found', fix: 'pass an existing --config path' }]);
  }

  // 2. Env vars, then 3. flags, as overrides of individual keys. `origin` names where each value came from, so a
  // problem names the key the user actually set.
  const overrides: ConfigOverrides = {};
  const origin: Partial<Record<keyof ConfigOverrides, string>> = {};
  for (const [k, name] of Object.entries(ENV_VARS) as [keyof ConfigOverrides, string][]) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      overrides[k] = v;
      origin[k] = name;
    }
  }
  for (const [k, v] of Object.entries(opts.flags ?? {}) as [keyof ConfigOverrides, string | undefined][]) {
    if (v !== undefined && v !== '') {
      overrides[k] = v;
      origin[k] = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    }
  }

  const merged = structuredClone(raw);
  if (overrides.input !== undefined) setPath(merged, 'job.input', overrides.input);
  if (overrides.weights !== undefined) setPath(merged, 'job.weights', overrides.weights);
  if (overrides.engine !== undefined) setPath(merged, 'job.engine', overrides.engine);
  if (overrides.inputFormat !== undefined) setPath(merged, 'job.inputFormat', overrides.inputFormat);
  if (overrides.backend !== undefined) setPath(merged, 'stack.backend', overrides.backend);

  const parsed = FileConfigSchema.safeParse(merged);
  if (!parsed.success) {
    for (const p of zodProblems(parsed.error)) {
      // A bad input format names where it was set (the flag or the env var) and the two values it may take.
      if (p.key === 'job.inputFormat') problems.push({ ...p, key: origin.inputFormat ?? p.key, fix: 'images (one object per image) or packed (Parquet files packed on this machine; npm run local only)' });
      else problems.push(p);
    }
  }

  const profileName = overrides.profile ?? (parsed.success ? parsed.data.defaultProfile : 'local');
  let profile: Profile | undefined;
  if (parsed.success) {
    const profiles = parsed.data.profiles;
    profile = profiles[profileName];
    if (!profile) {
      problems.push({
        key: 'profile',
        message: `unknown profile "${profileName}"`,
        fix: `use one of: ${Object.keys(profiles).join(', ')} (or add it under profiles: in ${configName})`,
      });
    } else {
      // Region and budget overrides apply to the selected profile only; re-validate it so they are checked too.
      const p: Record<string, unknown> = structuredClone(profile) as Record<string, unknown>;
      if (overrides.region !== undefined) p.region = overrides.region;
      if (overrides.release !== undefined) p.release = overrides.release;
      if (overrides.budgetEur !== undefined) {
        if (profile.kind !== 'emr' && profile.kind !== 'serverless') {
          problems.push({ key: 'budgetEur', message: `only a cloud profile (emr, serverless) has a budget (profile "${profileName}" is ${profile.kind})` });
        } else p.budgetEur = Number(overrides.budgetEur);
      }
      for (const key of ['coreNodes', 'targetMinutes'] as const) {
        const v = overrides[key];
        if (v === undefined) continue;
        if (profile.kind !== 'emr') problems.push({ key, message: `only an emr profile has ${key} (profile "${profileName}" is ${profile.kind})` });
        else p[key] = v === 'auto' ? v : Number(v);
      }
      const again = ProfileSchema.safeParse(p);
      if (again.success) profile = again.data;
      else problems.push(...zodProblems(again.error, `profiles.${profileName}`));
    }
  }

  // The specs, parsed once (config/specs.ts). Paths from the file or the environment are relative to the repo
  // root; commands make flag paths absolute against the user's directory before passing them.
  // They are checked even when other keys are wrong, so every problem is reported at once.
  let job: Job | undefined;
  const rawJob = (parsed.success ? parsed.data.job : (merged.job ?? {})) as { weights?: unknown; input?: unknown };
  const weights = typeof rawJob.weights === 'string' ? parseWeightsSpec(rawJob.weights, opts.root) : undefined;
  const input = typeof rawJob.input === 'string' ? parseInputSpec(rawJob.input, opts.root) : undefined;
  if (weights && !weights.ok) problems.push({ key: origin.weights ?? 'job.weights', message: weights.message, fix: weights.fix });
  if (input && !input.ok) problems.push({ key: origin.input ?? 'job.input', message: input.message, fix: input.fix });
  if (parsed.success && weights?.ok && input?.ok) job = { ...parsed.data.job, weights: weights.value, input: input.value };

  if (problems.length > 0 || !parsed.success || !profile || !job) throw new ConfigError(problems, configName);

  const home = env.HOME ?? homedir();
  const cacheBase = env.XDG_CACHE_HOME || path.join(home, '.cache');
  const cacheDir = path.resolve(overrides.cacheDir ?? path.join(cacheBase, 'fruits-workbench'));
  const data = parsed.data;
  return {
    root: opts.root,
    cacheDir,
    runsDir: path.join(opts.root, 'runs'),
    job,
    storage: data.storage,
    stack: data.stack,
    parity: data.parity,
    profileName,
    profile,
    release: releaseByLabel(profile.release),
    profiles: data.profiles,
  };
}
