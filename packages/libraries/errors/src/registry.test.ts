import { describe, expect, it } from "vitest";
import { declaredError, defineErrors, SagaworksError } from "./registry.ts";

// Each test declares codes of its own (the registry is per process), named after the test.
describe("defineErrors", () => {
  it("gives each name its code, and each error the status its code was declared with", () => {
    const Shelf = defineErrors("@test/shelf", {
      empty: { code: "SHELF_EMPTY", status: 409 },
      jammed: { code: "SHELF_JAMMED" },
    });
    expect(Shelf.codes).toEqual({ empty: "SHELF_EMPTY", jammed: "SHELF_JAMMED" });

    const empty = Shelf.create(Shelf.codes.empty, "Restock first.", { shelf: 3 });
    expect(empty).toBeInstanceOf(SagaworksError);
    expect(empty).toBeInstanceOf(Error);
    expect(empty).toMatchObject({
      name: "SagaworksError",
      code: "SHELF_EMPTY",
      status: 409,
      message: "Restock first.",
      details: { shelf: 3 },
    });
    // A code that never reaches HTTP has no status; details default to an empty object.
    const jammed = Shelf.create("SHELF_JAMMED", "Call maintenance.");
    expect(jammed.status).toBeUndefined();
    expect(jammed.details).toEqual({});
    expect(declaredError("SHELF_EMPTY")).toEqual({ owner: "@test/shelf", status: 409 });
    expect(declaredError("NOBODY_DECLARED_THIS")).toBeUndefined();
  });

  it("keeps the cause, and list details as they are", () => {
    const Upload = defineErrors("@test/upload", {
      invalid: { code: "UPLOAD_INVALID", status: 400 },
    });
    const cause = new TypeError("bad byte");
    const error = Upload.create(Upload.codes.invalid, "Fix the fields.", [{ path: "body.name" }], {
      cause,
    });
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual([{ path: "body.name" }]);
    expect("cause" in Upload.create(Upload.codes.invalid, "No cause.")).toBe(false);
  });

  it("words a templated code's message from its details", () => {
    const Parcel = defineErrors("@test/parcel", {
      notFound: {
        code: "PARCEL_NOT_FOUND",
        status: 404,
        message: 'No parcel "{id}" in depot {depot}.',
      },
    });
    const error = Parcel.format(Parcel.codes.notFound, { id: "p-1", depot: 7 });
    expect(error.message).toBe('No parcel "p-1" in depot 7.');
    expect(error.details).toEqual({ id: "p-1", depot: 7 });
    expect(error.status).toBe(404);
  });

  it("recognises its own errors, and one code among them", () => {
    const Lamp = defineErrors("@test/lamp", {
      off: { code: "LAMP_OFF" },
      broken: { code: "LAMP_BROKEN" },
    });
    const Fan = defineErrors("@test/fan", { off: { code: "FAN_OFF" } });
    const off = Lamp.create(Lamp.codes.off, "Switch it on.");
    expect(Lamp.is(off)).toBe(true);
    expect(Lamp.is(off, Lamp.codes.off)).toBe(true);
    expect(Lamp.is(off, Lamp.codes.broken)).toBe(false);
    expect(Fan.is(off)).toBe(false);
    expect(Lamp.is(new Error("LAMP_OFF"))).toBe(false);
    expect(Lamp.is({ code: "LAMP_OFF" })).toBe(false);
  });

  it("refuses a code another package already declared, naming both", () => {
    defineErrors("@test/first", { taken: { code: "DUPLICATE_ACROSS_PACKAGES", status: 409 } });
    expect(() =>
      defineErrors("@test/second", { taken: { code: "DUPLICATE_ACROSS_PACKAGES", status: 409 } }),
    ).toThrow(
      'defineErrors("@test/second"): code DUPLICATE_ACROSS_PACKAGES is already declared by @test/first',
    );
    // The refused registry declared nothing: the first owner keeps the code.
    expect(declaredError("DUPLICATE_ACROSS_PACKAGES")?.owner).toBe("@test/first");
  });

  it("refuses a code declared twice in one package, and the same owner changing a code", () => {
    expect(() =>
      defineErrors("@test/twice", {
        a: { code: "SAME_CODE_TWICE" },
        b: { code: "SAME_CODE_TWICE" },
      }),
    ).toThrow("code SAME_CODE_TWICE is declared twice");
    expect(declaredError("SAME_CODE_TWICE")).toBeUndefined();

    defineErrors("@test/reload", { a: { code: "RELOADED_CODE", status: 404 } });
    // Loading the module again declares the same thing: allowed.
    expect(() =>
      defineErrors("@test/reload", { a: { code: "RELOADED_CODE", status: 404 } }),
    ).not.toThrow();
    expect(() =>
      defineErrors("@test/reload", { a: { code: "RELOADED_CODE", status: 410 } }),
    ).toThrow("already declared by @test/reload with another status or message");
  });

  it("refuses a code that is not UPPER_SNAKE_CASE and a status that is not an HTTP error", () => {
    expect(() => defineErrors("@test/bad", { a: { code: "notFound" } })).toThrow(
      'defineErrors("@test/bad"), entry "a": code "notFound" is not UPPER_SNAKE_CASE',
    );
    expect(() => defineErrors("@test/bad", { a: { code: "BAD_STATUS", status: 200 } })).toThrow(
      'entry "a": status 200 is not an HTTP error status',
    );
  });
});
