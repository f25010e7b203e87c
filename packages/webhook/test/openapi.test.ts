import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiRoutes } from "../src/api/routes";
import { systemRoutes } from "../src/api/system-routes";
import { startHarness, type Harness } from "./helpers";

/**
 * The document cannot drift from what the routes enforce: every request below is built from the
 * document served by the running service (its required fields, enums, patterns, bounds), sent to
 * the real route, and must be accepted; each mutation of it must be refused with 400 naming the
 * field. Nothing here lists a field by hand.
 */

type Schema = Record<string, any>;
type Operation = { method: string; path: string; spec: Schema };

function resolver(document: Schema) {
  return function resolve(schema: Schema): Schema {
    if (!schema.$ref) return schema;
    const name = String(schema.$ref).replace("#/components/schemas/", "");
    const target = document.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved ${schema.$ref}`);
    return resolve(target);
  };
}

/** A value the schema documents as valid: its example, first enum value, or the smallest of its type. */
function sample(schema: Schema, resolve: (s: Schema) => Schema): unknown {
  const s = resolve(schema);
  if (s.example !== undefined) return s.example;
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  if (s.anyOf ?? s.oneOf) return sample((s.anyOf ?? s.oneOf)[0], resolve);
  if (s.type === "integer" || s.type === "number") return s.minimum ?? 1;
  if (s.type === "object") return Object.fromEntries((s.required ?? []).map((name: string) => [name, sample(s.properties[name], resolve)]));
  if (s.type === "string") {
    if (s.format === "uri") return "https://shop.example/hooks";
    if (s.pattern) throw new Error(`a string with pattern ${s.pattern} needs an example in the schema`);
    return "x".repeat(Math.max(1, s.minLength ?? 1));
  }
  throw new Error(`no sample for ${JSON.stringify(s)}`);
}

function operations(document: Schema): Operation[] {
  return Object.entries(document.paths as Record<string, Record<string, Schema>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, spec]) => ({ method: method.toUpperCase(), path, spec })),
  );
}

/** The path with each `{param}` filled from its documented sample. */
function concretePath(operation: Operation, resolve: (s: Schema) => Schema): string {
  return operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const parameter = (operation.spec.parameters ?? []).find((p: Schema) => p.in === "path" && p.name === name);
    if (!parameter) throw new Error(`${operation.path}: {${name}} is not a documented path parameter`);
    return encodeURIComponent(String(sample(parameter.schema, resolve)));
  });
}

describe("GET /openapi.json", () => {
  let h: Harness;
  let document: Schema;
  let resolve: (s: Schema) => Schema;
  beforeAll(async () => {
    h = await startHarness();
    document = (await (await fetch(`${h.url}/openapi.json`)).json()) as Schema;
    resolve = resolver(document);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("is an OpenAPI 3.1 document whose references all resolve and whose operations all have responses", () => {
    expect(document.openapi).toBe("3.1.0");
    expect(document.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(document.servers).toEqual([{ url: h.url }]);
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(() => resolve({ $ref: ref.slice(8, -1) })).not.toThrow();
    for (const operation of operations(document)) {
      expect(Object.keys(operation.spec.responses ?? {}).length, `${operation.method} ${operation.path}`).toBeGreaterThan(0);
      for (const name of operation.path.match(/\{(\w+)\}/g) ?? []) {
        expect(operation.spec.parameters?.some((p: Schema) => p.in === "path" && `{${p.name}}` === name && p.required === true)).toBe(true);
      }
    }
    for (const schemes of document.security) for (const name of Object.keys(schemes)) expect(document.components.securitySchemes[name]).toBeDefined();
  });

  it("documents exactly the routes the service serves", () => {
    const stub = {} as never;
    const served = [...systemRoutes(stub), ...apiRoutes(stub)].map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, "{$1}")}`).sort();
    expect(
      operations(document)
        .map((o) => `${o.method} ${o.path}`)
        .sort(),
    ).toEqual(served);
  });

  it("accepts, at every JSON operation, a request built from the document, and refuses each mutation of it naming the field", async () => {
    const bodies = operations(document).filter((o) => o.spec.requestBody?.content?.["application/json"]);
    expect(bodies.map((o) => `${o.method} ${o.path}`)).toEqual(expect.arrayContaining(["POST /v1/orders", "POST /v1/returns"]));
    for (const operation of bodies) {
      const path = concretePath(operation, resolve);
      const schema = resolve(operation.spec.requestBody.content["application/json"].schema);
      const valid = sample(schema, resolve) as Record<string, unknown>;
      const accepted = await h.api.signed(operation.method, path, valid);
      expect(accepted.status, `${operation.method} ${path} ${JSON.stringify(valid)}: ${JSON.stringify(accepted.body)}`).not.toBe(400);

      const refused = async (body: unknown, field: string) => {
        const response = await h.api.signed(operation.method, path, body);
        expect(response.status, `${operation.method} ${path} ${JSON.stringify(body)}`).toBe(400);
        expect(response.body.error.message).toMatch(new RegExp(`^${field}: `));
      };
      for (const name of schema.required ?? []) {
        const { [name]: _dropped, ...rest } = valid;
        await refused(rest, name);
      }
      if (schema.additionalProperties === false) await refused({ ...valid, not_documented: 1 }, "not_documented");
      for (const [name, property] of Object.entries(schema.properties as Record<string, Schema>)) {
        const p = resolve(property);
        if (p.enum) await refused({ ...valid, [name]: `${p.enum[0]}-not-listed` }, name);
        if (p.pattern) await refused({ ...valid, [name]: "\u0000&=" }, name);
        if (p.maxLength) await refused({ ...valid, [name]: "a".repeat(p.maxLength + 1) }, name);
        if (p.type === "string") await refused({ ...valid, [name]: 12 }, name);
      }
    }
  });

  it("refuses, at every list, a query parameter outside its documented enum or bounds, naming it", async () => {
    const lists = operations(document).filter((o) => o.method === "GET" && (o.spec.parameters ?? []).some((p: Schema) => p.in === "query"));
    expect(lists.length).toBeGreaterThanOrEqual(2);
    for (const operation of lists) {
      expect((await h.api.get(operation.path)).status).toBe(200);
      for (const parameter of operation.spec.parameters.filter((p: Schema) => p.in === "query")) {
        const s = resolve(parameter.schema);
        const wrong = [
          ...(s.enum ? [`${s.enum[0]}-not-listed`] : []),
          ...(s.maximum !== undefined ? [s.maximum + 1] : []),
          ...(s.minimum !== undefined ? [s.minimum - 1] : []),
        ];
        for (const value of wrong) {
          const response = await h.api.get(`${operation.path}?${parameter.name}=${encodeURIComponent(String(value))}`);
          expect(response.status, `${operation.path}?${parameter.name}=${value}`).toBe(400);
          expect(response.body.error.message).toMatch(new RegExp(`^${parameter.name}: `));
        }
        if (s.enum) expect((await h.api.get(`${operation.path}?${parameter.name}=${s.enum.at(-1)}`)).status).toBe(200);
      }
    }
  });
});
