"use strict";
// Prints AST expressions back to Cosmos SQL, for the rewritten queries of faithful query plans.

const PRECEDENCE = { "??": 1, OR: 2, AND: 3, "=": 5, "!=": 5, "<": 5, "<=": 5, ">": 5, ">=": 5,
  "|": 6, "^": 7, "&": 8, "<<": 9, ">>": 9, ">>>": 9, "||": 10, "+": 11, "-": 11, "*": 12, "/": 12, "%": 12 };

const literal = v => (v === undefined ? "undefined" : JSON.stringify(v));

function print(node) {
  switch (node.kind) {
    case "literal": return literal(node.value);
    case "param": return node.name;
    case "ident": return node.name;
    case "member": return `${print(node.object)}[${JSON.stringify(node.property)}]`;
    case "index": return `${print(node.object)}[${print(node.index)}]`;
    case "unary": return node.op === "NOT" ? `(NOT ${print(node.operand)})` : `(${node.op}${print(node.operand)})`;
    case "binary": return `(${print(node.left)} ${node.op} ${print(node.right)})`;
    case "ternary": return `(${print(node.cond)} ? ${print(node.then)} : ${print(node.else)})`;
    case "in": return `(${print(node.value)}${node.not ? " NOT" : ""} IN (${node.list.map(print).join(", ")}))`;
    case "between": return `(${print(node.value)}${node.not ? " NOT" : ""} BETWEEN ${print(node.low)} AND ${print(node.high)})`;
    case "like": return `(${print(node.value)}${node.not ? " NOT" : ""} LIKE ${print(node.pattern)}${node.escape ? ` ESCAPE ${print(node.escape)}` : ""})`;
    case "call": return `${node.udf ? "udf." : ""}${node.name}(${node.args.map(print).join(", ")})`;
    case "array": return `[${node.items.map(print).join(", ")}]`;
    case "object": return `{${node.props.map(p => `${JSON.stringify(p.key)}: ${print(p.value)}`).join(", ")}}`;
    case "exists": return `EXISTS(${printQuery(node.query)})`;
    case "arraySub": return `ARRAY(${printQuery(node.query)})`;
    case "subquery": return `(${printQuery(node.query)})`;
    default: throw new Error(`Cannot print ${node.kind}`);
  }
}

function printSource(src) {
  return src.iterate ? `${src.alias} IN ${print(src.expr)}` : `${print(src.expr)} AS ${src.alias}`;
}

function printQuery(q) {
  const parts = ["SELECT"];
  if (q.distinct) parts.push("DISTINCT");
  if (q.top) parts.push(`TOP ${print(q.top)}`);
  if (q.select === "*") parts.push("*");
  else if (q.value) parts.push(`VALUE ${print(q.select)}`);
  else parts.push(q.select.map(i => (i.alias ? `${print(i.expr)} AS ${i.alias}` : print(i.expr))).join(", "));
  if (q.from) parts.push(`FROM ${printSource(q.from)}`);
  q.joins.forEach(j => parts.push(`JOIN ${printSource(j)}`));
  if (q.where) parts.push(`WHERE ${print(q.where)}`);
  if (q.groupBy) parts.push(`GROUP BY ${q.groupBy.map(print).join(", ")}`);
  if (q.orderBy) parts.push(`ORDER BY ${q.orderBy.map(o => `${print(o.expr)} ${o.descending ? "DESC" : "ASC"}`).join(", ")}`);
  if (q.offset) parts.push(`OFFSET ${print(q.offset)} LIMIT ${print(q.limit)}`);
  return parts.join(" ");
}

module.exports = { print, printQuery };
