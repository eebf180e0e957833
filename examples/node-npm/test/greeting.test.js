const test = require("node:test");
const assert = require("node:assert");
const { greeting } = require("../lib/greeting");

test("greets by name", () => {
  assert.strictEqual(greeting("x"), "hello from x");
});
