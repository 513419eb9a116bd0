"use strict";
// Questions about parsed queries, shared by the evaluator and the query-plan builder.

/** Whether an expression contains an aggregate call outside any subquery. */
function containsAggregate(node) {
  if (!node || typeof node !== "object") return false;
  if (node.kind === "call" && node.aggregate) return true;
  if (["exists", "arraySub", "subquery"].includes(node.kind)) return false;
  return Object.values(node).some(v => (Array.isArray(v) ? v.some(containsAggregate) : containsAggregate(v)));
}

/** The property name a select item gets without an alias: its last property name, else $1, $2… */
function derivedName(expr, index) {
  if (expr.kind === "member") return expr.property;
  if (expr.kind === "ident") return expr.name;
  if (expr.kind === "index" && expr.index.kind === "literal" && typeof expr.index.value === "string") return expr.index.value;
  return `$${index + 1}`;
}

module.exports = { containsAggregate, derivedName };
