import { describe, expect, test } from "bun:test";
import { parseTemplate, renderTemplate, unknownFields } from "../../src/render/template.ts";

const seg = (text: string) => [{ text, style: "busy" as const }];
const render = (template: string, fields: Record<string, { text: string }[]>) =>
  renderTemplate(template, Object.fromEntries(Object.entries(fields).map(([name, segments]) => [name, () => segments])))
    .map((s) => s.text)
    .join("");

describe("templates", () => {
  test("parse", () => {
    expect(parseTemplate("a {x}{y} b")).toEqual([{ text: "a " }, { field: "x" }, { field: "y" }, { text: " b" }]);
    expect(parseTemplate("{not a field} {ok}")).toEqual([{ text: "{not a field} " }, { field: "ok" }]);
  });
  test.each([
    ["{a} {b} {c}", { a: seg("A"), b: [], c: seg("C") }, "A C"],
    ["{a}  {b}  {c}", { a: [], b: [], c: seg("C") }, "C"],
    ["{a}  {b}  {c}", { a: seg("A"), b: [], c: [] }, "A"],
    ["{a} | {c}", { a: seg("A"), c: seg("C") }, "A | C"],
    ["{a} | {c}", { a: [], c: seg("C") }, "| C"],
    ["[{a}]", { a: [] }, "[]"],
    ["{a}{b}", { a: seg("A"), b: seg("B") }, "AB"],
    ["{missing} x", {}, "x"],
  ])("%p", (template, fields, want) => {
    expect(render(template, fields)).toBe(want);
  });
  test("a field is made only when the template shows it, once for each time it does", () => {
    const made: string[] = [];
    const field = (name: string) => () => {
      made.push(name);
      return seg(name.toUpperCase());
    };
    const out = renderTemplate("{a} {b} {a}", { a: field("a"), b: field("b"), c: field("c") });
    expect(out.map((s) => s.text).join("")).toBe("A B A");
    expect(made.sort()).toEqual(["a", "a", "b"]);
  });
  test("unknownFields", () => {
    expect(unknownFields("{asking} {bogus} {idle}", ["asking", "idle"])).toEqual(["bogus"]);
  });
});
