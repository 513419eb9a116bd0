"use strict";
// Tokenizer for Cosmos DB's NoSQL query language.

const KEYWORDS = new Set([
  "SELECT", "DISTINCT", "TOP", "VALUE", "AS", "FROM", "JOIN", "IN", "WHERE", "GROUP", "BY", "ORDER", "ASC", "DESC",
  "OFFSET", "LIMIT", "AND", "OR", "NOT", "BETWEEN", "LIKE", "ESCAPE", "EXISTS", "ARRAY", "TRUE", "FALSE", "NULL",
  "UNDEFINED", "UDF",
]);

const PUNCTUATION = ["??", "||", "<=", ">=", "!=", "<>", ">>>", "<<", ">>", "(", ")", "[", "]", "{", "}", ",", ".",
  ":", "?", "+", "-", "*", "/", "%", "=", "<", ">", "&", "|", "^", "~"].sort((a, b) => b.length - a.length);

class SqlError extends Error {}

function tokenize(text) {
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) { i += 1; continue; }
    if (ch === "-" && text[i + 1] === "-") { while (i < text.length && text[i] !== "\n") i += 1; continue; }
    const start = i;
    if (/[A-Za-z_]/.test(ch)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) i += 1;
      const word = text.slice(start, i);
      const upper = word.toUpperCase();
      tokens.push(KEYWORDS.has(upper) ? { type: "keyword", value: upper, text: word, pos: start } : { type: "ident", value: word, pos: start });
      continue;
    }
    if (ch === "@") {
      i += 1;
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) i += 1;
      tokens.push({ type: "param", value: text.slice(start, i), pos: start });
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(text[i + 1] || ""))) {
      if (ch === "0" && /[xX]/.test(text[i + 1] || "")) {
        i += 2;
        while (i < text.length && /[0-9A-Fa-f]/.test(text[i])) i += 1;
      } else {
        while (i < text.length && /[0-9]/.test(text[i])) i += 1;
        if (text[i] === "." && /[0-9]/.test(text[i + 1] || "")) { i += 1; while (/[0-9]/.test(text[i] || "")) i += 1; }
        if (/[eE]/.test(text[i] || "")) { i += 1; if (/[+-]/.test(text[i])) i += 1; while (/[0-9]/.test(text[i] || "")) i += 1; }
      }
      tokens.push({ type: "number", value: Number(text.slice(start, i)), pos: start });
      continue;
    }
    if (ch === "'" || ch === '"') {
      i += 1;
      let value = "";
      while (i < text.length && text[i] !== ch) {
        if (text[i] === "\\") {
          const next = text[i + 1];
          const escapes = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", "\\": "\\", "/": "/", "'": "'", '"': '"' };
          if (next === "u") { value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16)); i += 6; continue; }
          value += escapes[next] ?? next;
          i += 2;
          continue;
        }
        value += text[i];
        i += 1;
      }
      if (i >= text.length) throw new SqlError(`Unterminated string literal at position ${start}.`);
      i += 1;
      tokens.push({ type: "string", value, pos: start });
      continue;
    }
    const punct = PUNCTUATION.find(p => text.startsWith(p, i));
    if (!punct) throw new SqlError(`Unexpected character '${ch}' at position ${i}.`);
    tokens.push({ type: "punct", value: punct, pos: i });
    i += punct.length;
  }
  tokens.push({ type: "eof", value: null, pos: text.length });
  return tokens;
}

module.exports = { tokenize, SqlError };
