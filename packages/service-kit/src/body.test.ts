import { describe, expect, it } from "vitest";
import { parseJson, parseJsonObject } from "./body";
import { HttpError } from "./errors";

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    const { status, code, message } = error as HttpError;
    return { status, code, message };
  }
  throw new Error("expected a refusal");
};

describe("JSON bodies", () => {
  it("parseJson leaves the shape to the schema and refuses what is not JSON, naming body", () => {
    expect(parseJson(Buffer.from("[1,2]"))).toEqual([1, 2]);
    expect(parseJson(Buffer.from(" \n"), { emptyIsObject: true })).toEqual({});
    expect(refusal(() => parseJson(Buffer.from(" ")))).toEqual({
      status: 400,
      code: "invalid_json",
      message: "body: expected a JSON object, got an empty body",
    });
    expect(refusal(() => parseJson(Buffer.from('{"a": ')))).toMatchObject({
      status: 400,
      code: "invalid_json",
      message: expect.stringMatching(/^body: expected a JSON object, got malformed JSON \(/),
    });
  });

  it("parseJsonObject takes an empty body as {} and refuses anything but an object", () => {
    expect(parseJsonObject(Buffer.alloc(0))).toEqual({});
    expect(parseJsonObject(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(refusal(() => parseJsonObject(Buffer.from("[]")))).toEqual({ status: 400, code: "invalid_json", message: "body: expected a JSON object" });
    expect(refusal(() => parseJsonObject(Buffer.from("nope")))).toMatchObject({ status: 400, code: "invalid_json" });
  });
});
