// Regenerates src/client/schema.ts from the backend's OpenAPI document (the contract).
// Usage: npm run gen:api   (needs the backend virtualenv: `make install` at the repository root)
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const backend = resolve(here, "../../backend");
const python = process.env.BATONPASS_PYTHON ?? join(backend, ".venv/bin/python");
const dump =
  "import json; from app.main import create_app; print(json.dumps(create_app().openapi(), sort_keys=True))";
const schema = execFileSync(python, ["-c", dump], { cwd: backend, encoding: "utf8" });
const file = join(mkdtempSync(join(tmpdir(), "bp-openapi-")), "openapi.json");
writeFileSync(file, schema);
const out = resolve(here, "../src/client/schema.ts");
execFileSync(resolve(here, "../node_modules/.bin/openapi-typescript"), [file, "-o", out], { stdio: "inherit" });
