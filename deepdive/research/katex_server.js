// Typesets TeX for deepdive/research/math.py: one JSON request per line on stdin, one answer per line on stdout.
//
//   started as:  node katex_server.js '{"macros": {"\\R": "\\mathbb{R}"}}'
//   request:     {"id": 1, "items": [["x^2", false], ["\\int f", true]]}
//   answer:      {"id": 1, "results": [{"html": "<span class=\"katex\">..."}, ...]}
//
// Each result is {"html"} when KaTeX typeset it (HTML + MathML), {"mathml", "reason"} when KaTeX
// could not but MathJax 3 could (the page then loads the locally served MathJax to lay it out),
// or {"error", "reason"} when neither could. Every equation is typeset on its own, with the site
// macros only, so an answer depends on nothing but (TeX, display) and is cached.
"use strict";

const readline = require("node:readline");
const katex = require("katex");
require("katex/contrib/mhchem");

const config = JSON.parse(process.argv[2] || "{}");
const katexMacros = config.macros || {};
const CACHE_LIMIT = 50000;
const cache = new Map();

function mathjaxMacros(macros) {
  // KaTeX names a macro "\\R" and infers its arguments; MathJax wants "R" and [body, count].
  const out = {};
  for (const [name, body] of Object.entries(macros)) {
    const args = Math.max(0, ...[...body.matchAll(/#([1-9])/g)].map((m) => Number(m[1])));
    out[name.replace(/^\\/, "")] = args ? [body, args] : body;
  }
  return out;
}

let mathjax = null; // a promise, made on the first equation KaTeX cannot typeset
function getMathJax() {
  if (!mathjax) {
    mathjax = require("mathjax")
      .init({
        loader: { load: ["input/tex"] },
        tex: {
          // Without "noundefined" an unknown macro is an error rather than red text.
          packages: { "[-]": ["noundefined"] },
          macros: mathjaxMacros(katexMacros),
          formatError: (jax, err) => {
            throw err;
          },
        },
        startup: { typeset: false },
      })
      .then((MathJax) => {
        const handlers = MathJax.startup.input[0].parseOptions.handlers;
        const defined = ["new-Command", "new-Environment", "new-Delimiter"].map((name) =>
          handlers.retrieve(name),
        );
        return { MathJax, forget: () => defined.forEach((map) => map && map.map.clear()) };
      });
  }
  return mathjax;
}

function compactMathML(mml) {
  return mml.replace(/>\s*\n\s*</g, "><").trim();
}

async function typeset(tex, display) {
  try {
    const html = katex.renderToString(tex, {
      displayMode: display,
      output: "htmlAndMathml",
      throwOnError: true,
      strict: "ignore",
      trust: false,
      macros: { ...katexMacros },
    });
    return { html };
  } catch (katexError) {
    const reason = String(katexError.rawMessage || katexError.message || katexError);
    try {
      const { MathJax, forget } = await getMathJax();
      // \newcommand in one equation must not leak into the next: forget, typeset, forget.
      forget();
      MathJax.texReset();
      const mml = await MathJax.tex2mmlPromise(tex, { display });
      forget();
      return { mathml: compactMathML(mml), reason };
    } catch (mathjaxError) {
      const message = String((mathjaxError && mathjaxError.message) || mathjaxError).split("\n")[0];
      return { error: message, reason };
    }
  }
}

async function cachedTypeset(tex, display) {
  const key = (display ? "D" : "I") + tex;
  let result = cache.get(key);
  if (result === undefined) {
    result = await typeset(tex, display);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, result);
  }
  return result;
}

async function answer(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    return { id: null, fatal: `bad request: ${err.message}` };
  }
  const results = [];
  for (const [tex, display] of request.items) {
    results.push(await cachedTypeset(String(tex), Boolean(display)));
  }
  return { id: request.id, results };
}

// Requests are answered strictly in order; stdin closing (the Python side exiting) ends the server.
let queue = Promise.resolve();
const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on("line", (line) => {
  if (!line.trim()) return;
  queue = queue
    .then(() => answer(line))
    .then((reply) => process.stdout.write(JSON.stringify(reply) + "\n"));
});
input.on("close", () => queue.then(() => process.exit(0)));
