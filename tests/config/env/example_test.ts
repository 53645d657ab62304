import assert from "node:assert/strict";
import { DOTENV_TEMPLATE } from "../../../src/config/template.ts";

Deno.test(".env.example is the template `ccp init` writes", async () => {
  const file = await Deno.readTextFile(new URL("../../../.env.example", import.meta.url));
  assert.equal(file, DOTENV_TEMPLATE, "regenerate .env.example from src/config/template.ts");
});
