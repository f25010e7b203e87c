#!/usr/bin/env node
/**
 * Writes docs/protocol-coverage.md: for each gateway service, each request and reply field, what
 * the core client does with it (sends / reads), what the sandbox does (checks / answers), and
 * whether a test mentions it. Everything is read from the code, so the table cannot drift:
 * `--check` fails (exit 1) when the checked-in file differs from a fresh generation; the sandbox
 * package's tests run it.
 *
 *   node scripts/coverage-matrix.mjs           # regenerate docs/protocol-coverage.md
 *   node scripts/coverage-matrix.mjs --check   # exit 1 if it is out of date
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "docs", "protocol-coverage.md");
const read = (path) => readFileSync(join(ROOT, path), "utf8");

/** The five services, how the client names them, and what marks a test as being about them. */
const SERVICES = [
  { name: "alipay.acquire.precreate", method: "precreate", file: "precreate.ts", markers: ["alipay.acquire.precreate", ".precreate(", "createQrPayment"] },
  {
    name: "alipay.acquire.overseas.spot.pay",
    method: "spotPay",
    file: "spot-pay.ts",
    markers: ["alipay.acquire.overseas.spot.pay", ".spotPay(", "payByBarcode"],
  },
  { name: "alipay.acquire.overseas.query", method: "query", file: "query.ts", markers: ["alipay.acquire.overseas.query", ".query(", "getPaymentStatus"] },
  {
    name: "alipay.acquire.overseas.spot.refund",
    method: "refund",
    file: "refund.ts",
    markers: ["alipay.acquire.overseas.spot.refund", ".refund(", "refundReturn"],
  },
  { name: "alipay.acquire.cancel", method: "cancel", file: "cancel.ts", markers: ["alipay.acquire.cancel", ".cancel(", "cancelOrder"] },
];

/** The text of a brace-balanced block starting at the first `{` at or after `from`. */
function block(text, from) {
  const start = text.indexOf("{", from);
  if (start < 0) return "";
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(start, i + 1);
  }
  return text.slice(start);
}

/** The body of a function or method named `name` in `text` ("" when absent): its definition, not a call. */
function functionBody(text, name) {
  for (const pattern of [`async\\s+${name}\\s*\\(`, `function\\s+${name}\\s*\\(`, `^\\s+${name}\\s*\\(`]) {
    // The signature runs to the `{` that ends its line (return types may hold braces).
    const m = new RegExp(`${pattern}[^)]*\\)[^\\n]*\\{[ \\t]*$`, "m").exec(text);
    if (m) return block(text, m.index + m[0].length - 1);
  }
  return "";
}

/** Top-level keys of an object literal block (`name: value` and shorthand `name`), spreads skipped. */
function objectKeys(objectText) {
  const keys = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < objectText.length; i++) {
    const ch = objectText[i];
    if (ch === "{" || ch === "(" || ch === "[") {
      depth++;
      expectKey = depth === 1;
    } else if (ch === "}" || ch === ")" || ch === "]") {
      depth--;
    } else if (depth === 1 && ch === ",") {
      expectKey = true;
    } else if (depth === 1 && expectKey && !/\s/.test(ch)) {
      expectKey = false;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*([:,}])/.exec(objectText.slice(i));
      if (m) keys.push(m[1]);
    }
  }
  return keys;
}

/** Reply fields read in `code`: `r.x`, `response.x`, `r.x ?? …`, `fields.x`. */
function fieldsRead(code) {
  const names = new Set();
  for (const m of code.matchAll(/\b(?:r|response|reply\.response)\.([a-z][a-z0-9_]*)\b/g)) names.add(m[1]);
  return names;
}

// ---- core's client -------------------------------------------------------------------------
const clientText = read("packages/core/src/client.ts");
const outcomeText = read("packages/core/src/outcome.ts");
const helperTexts = { ...Object.fromEntries(["tradeDetails", "json"].map((n) => [n, functionBody(clientText, n)])) };
for (const m of outcomeText.matchAll(/export function (\w+)/g)) helperTexts[m[1]] = functionBody(outcomeText, m[1]);
helperTexts.errorCode = functionBody(outcomeText, "errorCode");

function clientSide(service) {
  const body = functionBody(clientText, service.method);
  const call = /this\.call\(SERVICES\.\w+,[^{]*\{/.exec(body);
  const sends = call ? objectKeys(block(body, call.index + call[0].length - 1)) : [];
  const reads = fieldsRead(body);
  // One level of helpers (classifyPayment, tradeDetails, ...), and errorCode inside them.
  const seen = new Set();
  const visit = (code) => {
    for (const name of Object.keys(helperTexts)) {
      if (seen.has(name) || !new RegExp(`\\b${name}\\(`).test(code)) continue;
      seen.add(name);
      for (const field of fieldsRead(helperTexts[name])) reads.add(field);
      visit(helperTexts[name]);
    }
  };
  visit(body);
  return { sends: new Set(sends), reads };
}

// ---- the sandbox ---------------------------------------------------------------------------
const validateText = read("packages/sandbox/src/gateway/validate.ts");
const serviceHelpersText = read("packages/sandbox/src/gateway/service.ts");

function sandboxRules(service) {
  const start = validateText.indexOf(`"${service.name}": [`);
  if (start < 0) return new Map();
  let depth = 0;
  let end = start;
  for (let i = validateText.indexOf("[", start); i < validateText.length; i++) {
    if (validateText[i] === "[") depth++;
    else if (validateText[i] === "]" && --depth === 0) {
      end = i;
      break;
    }
  }
  const rules = new Map();
  for (const m of validateText
    .slice(start, end)
    .matchAll(/\b(req|r)\("([a-z_]+)",\s*"(\w+)"(?:,\s*([0-9_]+))?(?:,\s*(?:true|false))?(?:,\s*\[([^\]]*)\])?\)(?:,\s*maxBytes:\s*([0-9]+))?/g)) {
    const [, fn, name, kind, max, values, maxBytes] = m;
    const parts = [fn === "req" ? "required" : "optional", kind === "any" ? null : kind];
    if (max) parts.push(`≤ ${max.replace(/_/g, "")} chars`);
    if (maxBytes) parts.push(`≤ ${maxBytes} bytes`);
    if (values) parts.push(`one of ${values.replace(/"/g, "").replace(/,\s*/g, "/")}`);
    rules.set(name, parts.filter(Boolean).join(", "));
  }
  return rules;
}

function sandboxReplies(service) {
  const text = read(`packages/sandbox/src/gateway/${service.file}`);
  const fields = new Set();
  for (const m of text.matchAll(/reply\(\{/g)) for (const key of objectKeys(block(text, m.index + m[0].length - 1))) fields.add(key);
  for (const helper of ["amountFields", "paymentFields"]) {
    if (new RegExp(`\\b${helper}\\(`).test(text)) {
      const body = functionBody(serviceHelpersText, helper);
      const ret = /return\s*\{/.exec(body);
      if (ret) for (const key of objectKeys(block(body, ret.index + ret[0].length - 1))) fields.add(key);
    }
  }
  return fields;
}

// ---- tests -----------------------------------------------------------------------------------
function walk(dir, out = []) {
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (/\.test\.ts$/.test(entry.name)) out.push(path);
  }
  return out;
}
const TEST_DIRS = ["packages/core/src", "packages/sandbox/test", "packages/cli/src"];
const testFiles = TEST_DIRS.flatMap((dir) => walk(dir)).sort();
const testTexts = testFiles.map((path) => ({ path, text: read(path) }));

function testedIn(service, field) {
  const word = new RegExp(`\\b${field}\\b`);
  return testTexts.filter(({ text }) => word.test(text) && service.markers.some((m) => text.includes(m))).map(({ path }) => path);
}

// ---- the table -------------------------------------------------------------------------------
const ENVELOPE = new Set(["service", "partner", "_input_charset", "sign", "sign_type"]);
const lines = [
  "# Protocol coverage",
  "",
  "<!-- Generated by scripts/coverage-matrix.mjs from the code; do not edit. `node scripts/coverage-matrix.mjs` regenerates it, and the sandbox's tests fail when it is out of date. -->",
  "",
  "For each gateway service: every request and reply field that core's client (`packages/core/src/client.ts`, `outcome.ts`)",
  "or the sandbox (`packages/sandbox/src/gateway/*`) knows, what each does with it, and whether a test of that service",
  `mentions it (test files under ${TEST_DIRS.map((d) => `\`${d}\``).join(", ")}). The envelope (\`service\`, \`partner\`,`,
  "`_input_charset`, `sign`, `sign_type`) is common to all and is covered by the signing tests.",
  "",
  "- **Client**: `sends` (request), `reads` (reply); `—` not used.",
  "- **Sandbox**: the rule it checks (request) or `answers` (reply); `accepted` when it takes the field without a rule; `—` unknown to it.",
  "- **Tests**: `yes` when a test file about the service mentions the field.",
  "",
];
let gaps = 0;
for (const service of SERVICES) {
  const client = clientSide(service);
  const rules = sandboxRules(service);
  const replies = sandboxReplies(service);
  lines.push(`## \`${service.name}\``, "", "| Direction | Field | Client | Sandbox | Tests |", "|---|---|---|---|---|");
  const requestFields = [...new Set([...client.sends, ...rules.keys()])].filter((f) => !ENVELOPE.has(f)).sort();
  for (const field of requestFields) {
    const tested = testedIn(service, field).length > 0;
    if (!tested) gaps++;
    lines.push(`| request | \`${field}\` | ${client.sends.has(field) ? "sends" : "—"} | ${rules.get(field) ?? "accepted"} | ${tested ? "yes" : "**no**"} |`);
  }
  const replyFields = [...new Set([...client.reads, ...replies])].filter((f) => !ENVELOPE.has(f)).sort();
  for (const field of replyFields) {
    const tested = testedIn(service, field).length > 0;
    if (!tested) gaps++;
    lines.push(
      `| reply | \`${field}\` | ${client.reads.has(field) ? "reads" : "—"} | ${replies.has(field) ? "answers" : "—"} | ${tested ? "yes" : "**no**"} |`,
    );
  }
  lines.push("");
}
lines.push(
  `${gaps === 0 ? "Every field is mentioned by a test." : `${gaps} field${gaps === 1 ? " is" : "s are"} not mentioned by any test of its service (marked **no**).`}`,
  "",
);
const content = lines.join("\n");

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(OUT, "utf8");
  } catch {
    // reported below
  }
  if (current !== content) {
    process.stderr.write(`${relative(process.cwd(), OUT)}: out of date; run \`node scripts/coverage-matrix.mjs\` and commit the result\n`);
    process.exit(1);
  }
  process.stdout.write(`${relative(process.cwd(), OUT)}: up to date\n`);
} else {
  writeFileSync(OUT, content);
  process.stdout.write(`wrote ${relative(process.cwd(), OUT)}\n`);
}
