import { AlipayConfigError } from "@alipayhk/core";
import { describe, expect, it } from "vitest";
import { parse, readSettings, renderHelp, setting, SettingError } from "./settings";

const spec = {
  port: setting({ env: "PORT", flag: "--port", meaning: "HTTP port", default: 8080, parse: parse.port }),
  dataDir: setting({ env: "DATA_DIR", meaning: "folder of the store", default: "./data", deprecatedEnv: ["DB_PATH"], parse: parse.text }),
  partner: setting({
    env: "ALIPAYHK_PARTNER",
    meaning: "16-digit partner id",
    required: true,
    parse: (raw, fail) => (/^2088\d{12}$/.test(raw) ? raw : fail("16 digits starting with 2088")),
  }),
  key: setting({ env: "MD5_KEY", meaning: "MD5 key", secret: true, parse: (raw, fail) => (raw.length === 32 ? raw : fail("32 characters")) }),
  verbose: setting({ env: "VERBOSE", flag: "--verbose", isSwitch: true, meaning: "more logs", default: false, parse: parse.boolean }),
};
const partner = "2088101122136241";

describe("settings declared once", () => {
  it("reads defaults, variables and flags, a flag winning over its variable", () => {
    const { values, rest } = readSettings(spec, { env: { PORT: "9000", ALIPAYHK_PARTNER: partner }, argv: ["--port=9100", "--verbose", "--check"] });
    expect(values).toEqual({ port: 9100, dataDir: "./data", partner, key: undefined, verbose: true });
    expect(rest).toEqual(["--check"]);
  });

  it("accepts a deprecated name with a warning, the new name winning", () => {
    const old = readSettings(spec, { env: { DB_PATH: "/srv/x", ALIPAYHK_PARTNER: partner } });
    expect(old.values.dataDir).toBe("/srv/x");
    expect(old.warnings).toEqual(["DB_PATH is deprecated; use DATA_DIR (same meaning)"]);
    const both = readSettings(spec, { env: { DB_PATH: "/srv/x", DATA_DIR: "/srv/y", ALIPAYHK_PARTNER: partner } });
    expect(both.values.dataDir).toBe("/srv/y");
    expect(both.warnings).toEqual([]);
  });

  it("lets a deprecated name that meant something else say so, and tells parse which name was used", () => {
    const where = setting({
      env: "DATA_DIR",
      meaning: "folder of the state file",
      default: { dir: "./data" } as { dir: string } | { file: string },
      defaultText: "./data",
      deprecatedEnv: ["DB_PATH"],
      deprecatedNote: "DB_PATH named the file itself; DATA_DIR names its folder",
      parse: (raw, _fail, name) => (name === "DB_PATH" ? { file: raw } : { dir: raw }),
    });
    const old = readSettings({ where }, { env: { DB_PATH: "/srv/x.sqlite" } });
    expect(old.values.where).toEqual({ file: "/srv/x.sqlite" });
    expect(old.warnings).toEqual(["DB_PATH is deprecated; use DATA_DIR (DB_PATH named the file itself; DATA_DIR names its folder)"]);
    expect(readSettings({ where }, { env: { DATA_DIR: "/srv" } }).values.where).toEqual({ dir: "/srv" });
    expect(readSettings({ where }, { env: {} }).values.where).toEqual({ dir: "./data" });
  });

  it("refuses a wrong value in one line naming the field, in the config error hierarchy", () => {
    let error: unknown;
    try {
      readSettings(spec, { env: { PORT: "80a", ALIPAYHK_PARTNER: partner } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SettingError);
    expect(error).toBeInstanceOf(AlipayConfigError);
    expect((error as SettingError).field).toBe("PORT");
    expect((error as Error).message).toBe('PORT: expected an integer from 0 to 65535, got "80a"');
    expect(() => readSettings(spec, { env: {} })).toThrow(/^ALIPAYHK_PARTNER: expected a value/);
    expect(() => readSettings(spec, { env: { ALIPAYHK_PARTNER: partner }, argv: ["--port"] })).toThrow(/^--port: expected a value after it/);
  });

  it("never echoes a secret's value", () => {
    expect(() => readSettings(spec, { env: { ALIPAYHK_PARTNER: partner, MD5_KEY: "hunter2" } })).toThrow(
      "MD5_KEY: expected 32 characters, got a value of another form",
    );
  });

  it("joins a repeatable flag's values with commas, and lets parse show part of a value", () => {
    const list = {
      partners: setting({
        env: "PARTNERS",
        flag: "--partner",
        repeatable: true,
        secret: true,
        meaning: "partners, pid[:key]",
        default: [] as string[],
        parse: (raw, fail) =>
          raw.split(",").map((one) => (/^2088\d{12}(:\w+)?$/.test(one) ? one : fail("2088 and 12 digits", JSON.stringify(one.split(":")[0])))),
      }),
    };
    expect(readSettings(list, { argv: ["--partner", partner, "--partner=2088000000000022:k"] }).values.partners).toEqual([partner, "2088000000000022:k"]);
    expect(readSettings(list, { env: { PARTNERS: `${partner},2088000000000022` } }).values.partners).toEqual([partner, "2088000000000022"]);
    expect(() => readSettings(list, { argv: ["--partner", "12:secretkey"] })).toThrow('--partner: expected 2088 and 12 digits, got "12"');
    expect(renderHelp(list, { usage: "x", summary: "y" })).toContain("--partner <value> (repeatable), PARTNERS");
  });

  it("generates --help from the same declarations", () => {
    const help = renderHelp(spec, { usage: "svc [options]", summary: "Runs the service.", options: [["--check", "run the doctor and exit"]] });
    expect(help).toContain("Usage: svc [options]");
    expect(help).toContain("--port <value>, PORT");
    expect(help).toContain("HTTP port (default 8080)");
    expect(help).toContain("folder of the store (default ./data; formerly DB_PATH)");
    expect(help).toContain("16-digit partner id (required)");
    expect(help).toContain("--verbose, VERBOSE");
    expect(help).toContain("--check");
  });

  it("says the settings are environment variables when none has a flag", () => {
    const envOnly = { port: setting({ env: "PORT", meaning: "HTTP port", default: 8080, parse: parse.port }) };
    expect(renderHelp(envOnly, { usage: "svc", summary: "Runs." })).toContain("Settings (environment variables):");
    expect(renderHelp(spec, { usage: "svc", summary: "Runs." })).toContain("Settings (a flag wins over its environment variable):");
  });
});
