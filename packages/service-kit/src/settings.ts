import { AlipayConfigError } from "@alipayhk/core";

/** A setting is wrong or missing; `field` is its environment variable (`PORT`). One line, no secret. */
export class SettingError extends AlipayConfigError {}

type Env = Record<string, string | undefined>;

interface SettingBase<T> {
  /** The environment variable, e.g. `PORT`. */
  env: string;
  /** The command-line flag, e.g. `--port`, when it has one. */
  flag?: string;
  /** A flag that takes no value (`--verbose`): present means `"1"`. */
  isSwitch?: boolean;
  /**
   * A flag that may be given several times (`--partner a --partner b`): its values reach `parse`
   * joined with commas, the form its variable takes (`PARTNERS=a,b`).
   */
  repeatable?: boolean;
  /** One line for `--help`: what it means, the forms it takes. */
  meaning: string;
  /** Older variable names still read, with a deprecation warning. */
  deprecatedEnv?: readonly string[];
  /**
   * What the warning for an older name says instead of "(same meaning)", when the old name meant
   * something slightly different (e.g. `DB_PATH` named a file, `DATA_DIR` names its folder);
   * `parse` gets the name used, so it can read the old form.
   */
  deprecatedNote?: string;
  /** Never echo the value in an error. */
  secret?: boolean;
  /**
   * Turns the non-empty raw text into the value; call `fail("an integer from 1 to 10")` to refuse
   * it. `fail(expected, got)` shows `got` in place of the raw text (a part of it, or a masked form).
   * `name` is where the text came from: the flag, the variable or a deprecated variable.
   */
  parse(raw: string, fail: (expected: string, got?: string) => never, name: string): T;
}

/** One setting of a service, declared once: its names, meaning, default and check. */
export interface Setting<T> extends SettingBase<unknown> {
  /** The default as `--help` shows it. */
  readonly defaultText?: string;
  readonly required: boolean;
  /** The value for a raw text (undefined = unset): parsed, defaulted, or refused with a {@link SettingError}. */
  read(raw: string | undefined, name?: string): T;
}

/** Declares a setting; with a `default` or `required: true` its value is never undefined. */
export function setting<T>(spec: SettingBase<T> & ({ default: T; defaultText?: string } | { required: true; defaultText?: undefined })): Setting<T>;
export function setting<T>(spec: SettingBase<T> & { defaultText?: string }): Setting<T | undefined>;
export function setting<T>(spec: SettingBase<T> & { default?: T; required?: boolean; defaultText?: string }): Setting<T | undefined> {
  const required = spec.required === true;
  const defaultText = spec.defaultText ?? (spec.default === undefined ? undefined : String(spec.default));
  return {
    ...spec,
    defaultText,
    required,
    read(raw, name = spec.env) {
      const value = raw?.trim();
      if (!value) {
        if (required) throw new SettingError(`${name}: expected a value (${spec.meaning})`, { field: name });
        return spec.default;
      }
      const fail = (expected: string, shown?: string): never => {
        const got =
          shown !== undefined ? shown : spec.secret ? "a value of another form" : JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
        throw new SettingError(`${name}: expected ${expected}, got ${got}`, { field: name });
      };
      return spec.parse(value, fail, name);
    },
  };
}

/** A service's settings by key. */
export type SettingsSpec = Record<string, Setting<unknown>>;
/** The values of a {@link SettingsSpec}. */
export type SettingsValues<S extends SettingsSpec> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** What {@link readSettings} found. */
export interface ReadSettings<S extends SettingsSpec> {
  values: SettingsValues<S>;
  /** One line per deprecated name in use. */
  warnings: string[];
  /** Command-line arguments that are not settings flags (`--help`, `--check`, operands). */
  rest: string[];
}

/**
 * Reads every setting: its flag, else its variable, else a deprecated variable (with a warning),
 * else its default. Throws a {@link SettingError} naming the first wrong one.
 */
export function readSettings<S extends SettingsSpec>(spec: S, source: { env?: Env; argv?: readonly string[] } = {}): ReadSettings<S> {
  const env = source.env ?? {};
  const byFlag = new Map<string, Setting<unknown>>();
  for (const one of Object.values(spec)) if (one.flag) byFlag.set(one.flag, one);
  const fromFlags = new Map<Setting<unknown>, string>();
  const rest: string[] = [];
  const argv = source.argv ?? [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const one = byFlag.get(name);
    if (!one) {
      rest.push(arg);
      continue;
    }
    if (one.isSwitch) {
      fromFlags.set(one, eq > 0 ? arg.slice(eq + 1) : "1");
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new SettingError(`${name}: expected a value after it (${one.meaning})`, { field: name });
    fromFlags.set(one, one.repeatable && fromFlags.has(one) ? `${fromFlags.get(one)},${value}` : value);
  }
  const values: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const [key, one] of Object.entries(spec)) {
    if (fromFlags.has(one)) {
      values[key] = one.read(fromFlags.get(one), one.flag);
      continue;
    }
    let raw = env[one.env];
    let name = one.env;
    if (!raw?.trim()) {
      for (const old of one.deprecatedEnv ?? []) {
        if (!env[old]?.trim()) continue;
        raw = env[old];
        name = old;
        warnings.push(`${old} is deprecated; use ${one.env} (${one.deprecatedNote ?? "same meaning"})`);
        break;
      }
    }
    values[key] = one.read(raw, name);
  }
  return { values: values as SettingsValues<S>, warnings, rest };
}

/** What `--help` shows besides the settings. */
export interface HelpText {
  /** `alipayhk-webhook [options]` */
  usage: string;
  /** A paragraph: what the command does. */
  summary: string;
  /** Options that are not settings: `[["--check", "run the doctor and exit"], ...]`. */
  options?: ReadonlyArray<readonly [string, string]>;
  /** Lines after the settings (examples, links). */
  footer?: string;
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join(`\n${indent}`);
}

/** `--help`, generated from the settings: each with its flag, variable, meaning and default. */
export function renderHelp(spec: SettingsSpec, help: HelpText): string {
  const out = [`Usage: ${help.usage}`, "", wrap(help.summary, 96, ""), ""];
  if (help.options?.length) {
    out.push("Options:");
    const width = Math.max(...help.options.map(([name]) => name.length));
    for (const [name, meaning] of help.options) out.push(`  ${name.padEnd(width)}  ${wrap(meaning, 94 - width, " ".repeat(width + 4))}`);
    out.push("");
  }
  const anyFlag = Object.values(spec).some((one) => one.flag);
  out.push(anyFlag ? "Settings (a flag wins over its environment variable):" : "Settings (environment variables):");
  for (const one of Object.values(spec)) {
    const names = one.flag ? `${one.flag}${one.isSwitch ? "" : " <value>"}${one.repeatable ? " (repeatable)" : ""}, ${one.env}` : one.env;
    const notes = [
      one.required ? "required" : undefined,
      one.defaultText === undefined ? undefined : `default ${one.defaultText}`,
      one.deprecatedEnv?.length ? `formerly ${one.deprecatedEnv.join(", ")}` : undefined,
    ].filter(Boolean);
    out.push(`  ${names}`);
    out.push(`      ${wrap(`${one.meaning}${notes.length ? ` (${notes.join("; ")})` : ""}`, 92, "      ")}`);
  }
  if (help.footer) out.push("", help.footer);
  return `${out.join("\n")}\n`;
}

/** Parsers for the common forms. */
export const parse = {
  /** Any text. */
  text: (raw: string) => raw,
  /** An integer in `[min, max]`. */
  integer:
    (min: number, max: number) =>
    (raw: string, fail: (expected: string) => never): number => {
      if (!/^-?[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) fail(`an integer from ${min} to ${max}`);
      return Number(raw);
    },
  /** A TCP port, 0 meaning any free port. */
  port: (raw: string, fail: (expected: string) => never): number => parse.integer(0, 65535)(raw, fail),
  /** `1`/`true` or `0`/`false`. */
  boolean: (raw: string, fail: (expected: string) => never): boolean => {
    if (raw === "1" || raw === "true") return true;
    if (raw === "0" || raw === "false") return false;
    return fail("1 or 0");
  },
  /** One of a few words. */
  oneOf:
    <T extends string>(allowed: readonly T[]) =>
    (raw: string, fail: (expected: string) => never): T => {
      if (!(allowed as readonly string[]).includes(raw)) fail(`one of ${allowed.join(", ")}`);
      return raw as T;
    },
  /** An absolute http(s) URL, without a trailing slash. */
  httpUrl: (raw: string, fail: (expected: string) => never): string => {
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) fail("an http:// or https:// URL");
    return raw.replace(/\/+$/, "");
  },
};
