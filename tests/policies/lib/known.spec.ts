import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import { isSet, tryKnown } from "../../../policies/lib/known";
import { DeferredUnknowns } from "../../../policies/stack/graph";
import { UNKNOWN } from "../fixtures";

// What a rule may treat as "unknown during preview": only the analyzer's UnknownValueError. A real
// error in a rule must fail the analysis, never pass as "can't run during preview".
describe("tryKnown and isSet (policies/lib/known.ts)", () => {
  test("an unknown value is reported as such; any other error propagates", () => {
    // As the analyzer hands properties to rules: reading an unknown one throws UnknownValueError.
    const props = unknownCheckingProxy({ port: 5432, password: UNKNOWN }) as Record<string, unknown>;
    expect(tryKnown(() => props.port)).toEqual({ known: true, value: 5432 });
    const unknown = tryKnown(() => props.password);
    expect(unknown.known).toBe(false);
    expect(!unknown.known && unknown.error).toBeInstanceOf(UnknownValueError);
    expect(() =>
      tryKnown(() => {
        throw new TypeError("Cannot read properties of undefined");
      }),
    ).toThrow(TypeError);
  });

  test.each([
    [{ password: "s3cret" }, true],
    [{ password: "" }, false],
    [{ password: null }, false],
    [{ password: undefined }, false],
    [{}, false],
    [undefined, false],
  ])("%j sets password: %p", (obj, expected) => {
    expect(isSet(obj, "password")).toBe(expected);
  });

  test("a value unknown during preview counts as set, without reading it", () => {
    expect(isSet(unknownCheckingProxy({ password: UNKNOWN }), "password")).toBe(true);
  });
});

describe("DeferredUnknowns (policies/stack/graph.ts)", () => {
  it("keeps an unknown value for later but lets any other error through at once", () => {
    const deferred = new DeferredUnknowns();
    const props = unknownCheckingProxy({ bucket: UNKNOWN }) as { bucket: string };
    expect(() => deferred.attempt(() => void props.bucket.length)).not.toThrow();
    // A rule's own bug is not an unknown value: it must fail the rule, not be deferred.
    expect(() =>
      deferred.attempt(() => {
        throw new TypeError("props.rules is not iterable");
      }),
    ).toThrow("props.rules is not iterable");
  });
});
