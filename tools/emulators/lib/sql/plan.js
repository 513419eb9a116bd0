"use strict";
// Answers the .NET SDK's query-plan requests. Two modes:
//  * passthrough — an empty plan: the emulator runs the whole query (ORDER BY, TOP, OFFSET, aggregates,
//    DISTINCT) and the SDK just pages through what it returns;
//  * faithful — the plan and rewritten query a real gateway returns, so the SDK runs its own ORDER BY merge,
//    skip/take, aggregate and DISTINCT stages against the emulator, as it does against Azure.
const { parse } = require("./parser");
const { print, printQuery } = require("./print");
const { SqlError } = require("./lexer");
const { containsAggregate, derivedName } = require("./ast");

const FULL_RANGE = [{ min: "", max: "FF", isMinInclusive: true, isMaxInclusive: false }];
const FILTER_PLACEHOLDER = "{documentdb-formattableorderbyquery-filter}";
const AGGREGATE_NAMES = { COUNT: "Count", SUM: "Sum", MIN: "Min", MAX: "Max", AVG: "Average" };

function emptyQueryInfo() {
  return {
    distinctType: "None", top: null, offset: null, limit: null, orderBy: [], orderByExpressions: [],
    groupByExpressions: [], groupByAliases: [], aggregates: [], groupByAliasToAggregateType: {},
    rewrittenQuery: "", hasSelectValue: false, dCountInfo: null, hasNonStreamingOrderBy: false,
  };
}

function answer(queryInfo) {
  return { partitionedQueryExecutionInfoVersion: 2, queryInfo, queryRanges: FULL_RANGE };
}

function resolveCount(node, parameters) {
  if (!node) return null;
  return node.kind === "param" ? parameters.get(node.name) : node.value;
}

/** The VALUE aggregate of `SELECT VALUE AGG(x)`, or null. */
function valueAggregate(q) {
  return q.value && q.select.kind === "call" && q.select.aggregate ? q.select : null;
}

function faithfulPlan(q, parameters) {
  const info = emptyQueryInfo();
  info.hasSelectValue = q.value;
  const aggregate = valueAggregate(q);
  const selectItems = Array.isArray(q.select) ? q.select : [];
  // GROUP BY and aggregates in a select list need the gateway's grouping rewrite; run those whole instead.
  if (q.groupBy || selectItems.some(i => containsAggregate(i.expr)) || (q.value && !aggregate && containsAggregate(q.select))) {
    return answer(info);
  }
  const top = resolveCount(q.top, parameters);
  const offset = resolveCount(q.offset, parameters);
  const limit = resolveCount(q.limit, parameters);
  info.top = top;
  info.offset = offset;
  info.limit = limit;
  if (q.distinct) info.distinctType = q.orderBy ? "Ordered" : "Unordered";
  const rewritten = { ...q, distinct: false, offset: null, limit: null };
  if (offset !== null) rewritten.top = { kind: "literal", value: offset + limit };

  if (aggregate) {
    info.aggregates = [AGGREGATE_NAMES[aggregate.name]];
    const [arg] = aggregate.args;
    const item = aggregate.name === "AVG"
      ? { kind: "object", props: [{ key: "sum", value: { ...aggregate, name: "SUM" } }, { key: "count", value: { ...aggregate, name: "COUNT" } }] }
      : aggregate;
    if (!arg) throw new SqlError(`${aggregate.name} takes one argument.`);
    info.rewrittenQuery = printQuery({ ...rewritten, top: null, select: { kind: "array", items: [{ kind: "object", props: [{ key: "item", value: item }] }] } });
    return answer(info);
  }

  if (q.orderBy) {
    if (!q.from) throw new SqlError("ORDER BY requires a FROM clause.");
    info.orderBy = q.orderBy.map(o => (o.descending ? "Descending" : "Ascending"));
    info.orderByExpressions = q.orderBy.map(o => print(o.expr));
    const alias = q.from.alias;
    const payload = q.select === "*" ? alias
      : q.value ? print(q.select)
        : `{${selectItems.map((i, n) => `${JSON.stringify(i.alias || derivedName(i.expr, n))}: ${print(i.expr)}`).join(", ")}}`;
    const items = info.orderByExpressions.map(e => `{"item": ${e}}`).join(", ");
    const filter = q.where ? `(${print(q.where)}) AND (${FILTER_PLACEHOLDER})` : `(${FILTER_PLACEHOLDER})`;
    const topText = rewritten.top ? `TOP ${print(rewritten.top)} ` : "";
    const sources = [`${print(q.from.expr)} AS ${alias}`].concat(q.joins.map(j => `JOIN ${j.iterate ? `${j.alias} IN ${print(j.expr)}` : `${print(j.expr)} AS ${j.alias}`}`));
    info.rewrittenQuery = `SELECT ${topText}${alias}._rid, [${items}] AS orderByItems, ${payload} AS payload FROM ${sources.join(" ")} WHERE ${filter} ORDER BY ${q.orderBy.map(o => `${print(o.expr)} ${o.descending ? "DESC" : "ASC"}`).join(", ")}`;
    return answer(info);
  }

  if (offset !== null) info.rewrittenQuery = printQuery(rewritten);
  return answer(info);
}

/** The plan for `queryText` with `parameters` (Map) in `mode` ("passthrough" or "faithful"). */
function queryPlan(queryText, parameters, mode) {
  const q = parse(queryText);
  return mode === "faithful" ? faithfulPlan(q, parameters) : answer(emptyQueryInfo());
}

module.exports = { queryPlan, FILTER_PLACEHOLDER };
