import { describe, expect, it } from "vitest";
import { setImageTags } from "./values-file.ts";

const VALUES = `# Sagaworks chart values, per environment.
global:
  imageRegistry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com  # ECR of the account

orchestrator:
  replicas: 2
  image:
    repository: sagaworks/orchestrator
    tag: "aaaaaaa"   # bumped by CI
order:
  image:
    # the commit the image was built from
    tag: bbbbbbb
    repository: sagaworks/order
  resources: { cpu: 250m }
account:
  image: { repository: sagaworks/account, tag: ccccccc }
customer:
  image:
    repository: sagaworks/customer
    tag: 'ddddddd'
`;

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("setImageTags", () => {
  it("changes only the tag values, keeping comments, order and quoting", () => {
    const result = setImageTags(VALUES, "values.yaml", [
      { name: "orchestrator", tag: SHA },
      { name: "order", tag: SHA },
      { name: "account", tag: SHA },
    ]);
    expect(result.changed).toEqual(["orchestrator", "order", "account"]);
    const expected = VALUES.replace('tag: "aaaaaaa"', `tag: "${SHA}"`)
      .replace("tag: bbbbbbb", `tag: ${SHA}`)
      .replace("tag: ccccccc", `tag: ${SHA}`);
    expect(result.text).toBe(expected);
  });

  it("returns the text untouched when every tag is already set", () => {
    const once = setImageTags(VALUES, "values.yaml", [{ name: "customer", tag: SHA }]);
    const twice = setImageTags(once.text, "values.yaml", [{ name: "customer", tag: SHA }]);
    expect(twice).toEqual({ text: once.text, changed: [] });
  });

  it("keeps a digits-only tag a string, so Helm does not read a number", () => {
    const result = setImageTags(VALUES, "values.yaml", [{ name: "order", tag: "1234567" }]);
    expect(result.text).toContain('tag: "1234567"');
  });

  it("lists every missing tag path", () => {
    const text = "order:\n  image:\n    repository: sagaworks/order\naccount: {}\n";
    expect(() =>
      setImageTags(text, "values.yaml", [
        { name: "order", tag: SHA },
        { name: "account", tag: SHA },
      ]),
    ).toThrow("values.yaml has no image tag at order.image.tag, account.image.tag");
  });
});
