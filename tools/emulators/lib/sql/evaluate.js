"use strict";
// Executes a parsed query over an array of documents. Expressions compile once into closures over a scope
// (alias → value); the documents are scanned once, so cost is linear in their number (plus the sort).
const { FUNCTIONS } = require("./builtins");
const { SqlError } = require("./lexer");
const { compareValues, equals, order, canonical, typeRank } = require("./values");
const { containsAggregate, derivedName } = require("./ast");

const ROW_DOC = Symbol("document");
// The store's creation order of a document (its resource-id order), which breaks ORDER BY ties.
const SEQUENCE = Symbol.for("enclave.cosmos.sequence");

function logicalAnd(a, b) {
  if (a === false || b === false) return typeof a === "boolean" || typeof b === "boolean" ? false : undefined;
  return a === true && b === true ? true : undefined;
}

function logicalOr(a, b) {
  if (a === true || b === true) return true;
  return a === false && b === false ? false : undefined;
}

const ARITHMETIC = {
  "+": (a, b) => a + b, "-": (a, b) => a - b, "*": (a, b) => a * b, "/": (a, b) => a / b, "%": (a, b) => a % b,
  "|": (a, b) => a | b, "&": (a, b) => a & b, "^": (a, b) => a ^ b,
  "<<": (a, b) => a << b, ">>": (a, b) => a >> b, ">>>": (a, b) => a >>> b,
};

const COMPARISON = {
  "<": c => c < 0, "<=": c => c <= 0, ">": c => c > 0, ">=": c => c >= 0,
};

function likeToRegExp(pattern, escape) {
  let source = "^";
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i];
    if (escape && ch === escape && i + 1 < pattern.length) { source += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); continue; }
    if (ch === "%") source += "[\\s\\S]*";
    else if (ch === "_") source += "[\\s\\S]";
    else if (ch === "[") {
      const end = pattern.indexOf("]", i);
      if (end < 0) { source += "\\["; continue; }
      const body = pattern.slice(i + 1, end);
      source += body.startsWith("^") ? `[^${body.slice(1).replace(/\\/g, "\\\\")}]` : `[${body.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else source += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`${source}$`, "s");
}

class Compiler {
  constructor(parameters) {
    this.parameters = parameters;
  }

  param(name) {
    if (!this.parameters.has(name)) throw new SqlError(`The query parameter ${name} is not defined.`);
    return this.parameters.get(name);
  }

  /** Compiles an expression into (scope, group) => value; `group` is the rows of an aggregate group. */
  expr(node) {
    switch (node.kind) {
      case "literal": { const { value } = node; return () => value; }
      case "param": { const value = this.param(node.name); return () => value; }
      case "ident": {
        const { name } = node;
        return scope => {
          if (!(name in scope)) throw new SqlError(`Identifier '${name}' could not be resolved.`);
          return scope[name];
        };
      }
      case "member": {
        const object = this.expr(node.object);
        const { property } = node;
        return (scope, group) => {
          const o = object(scope, group);
          return typeRank(o) === 6 ? o[property] : undefined;
        };
      }
      case "index": {
        const object = this.expr(node.object);
        const index = this.expr(node.index);
        return (scope, group) => {
          const o = object(scope, group);
          const i = index(scope, group);
          if (Array.isArray(o)) return Number.isInteger(i) ? o[i] : undefined;
          if (typeRank(o) === 6 && typeof i === "string") return o[i];
          return undefined;
        };
      }
      case "unary": {
        const operand = this.expr(node.operand);
        switch (node.op) {
          case "NOT": return (s, g) => { const v = operand(s, g); return typeof v === "boolean" ? !v : undefined; };
          case "-": return (s, g) => { const v = operand(s, g); return typeof v === "number" ? -v : undefined; };
          case "+": return (s, g) => { const v = operand(s, g); return typeof v === "number" ? v : undefined; };
          default: return (s, g) => { const v = operand(s, g); return typeof v === "number" ? ~v : undefined; };
        }
      }
      case "binary": return this.binary(node);
      case "ternary": {
        const cond = this.expr(node.cond);
        const then = this.expr(node.then);
        const otherwise = this.expr(node.else);
        return (s, g) => (cond(s, g) === true ? then(s, g) : otherwise(s, g));
      }
      case "in": {
        const value = this.expr(node.value);
        const list = node.list.map(item => this.expr(item));
        const { not } = node;
        return (s, g) => {
          const v = value(s, g);
          if (v === undefined) return undefined;
          const found = list.some(item => equals(v, item(s, g)) === true);
          return not ? !found : found;
        };
      }
      case "between": {
        const value = this.expr(node.value);
        const low = this.expr(node.low);
        const high = this.expr(node.high);
        const { not } = node;
        return (s, g) => {
          const v = value(s, g);
          const a = order(v, low(s, g));
          const b = order(v, high(s, g));
          if (a === undefined || b === undefined) return undefined;
          const inside = a >= 0 && b <= 0;
          return not ? !inside : inside;
        };
      }
      case "like": {
        const value = this.expr(node.value);
        const pattern = this.expr(node.pattern);
        const escape = node.escape ? this.expr(node.escape) : () => undefined;
        const { not } = node;
        const cache = new Map();
        return (s, g) => {
          const v = value(s, g);
          const p = pattern(s, g);
          if (typeof v !== "string" || typeof p !== "string") return undefined;
          const e = escape(s, g);
          const key = `${p}\u0000${e ?? ""}`;
          let re = cache.get(key);
          if (!re) { re = likeToRegExp(p, e); cache.set(key, re); }
          const match = re.test(v);
          return not ? !match : match;
        };
      }
      case "call": return this.call(node);
      case "array": {
        const items = node.items.map(item => this.expr(item));
        return (s, g) => items.map(item => item(s, g)).filter(v => v !== undefined);
      }
      case "object": {
        const props = node.props.map(p => [p.key, this.expr(p.value)]);
        return (s, g) => {
          const o = {};
          for (const [key, fn] of props) { const v = fn(s, g); if (v !== undefined) o[key] = v; }
          return o;
        };
      }
      case "exists": {
        const sub = this.subquery(node.query);
        return scope => sub(scope).length > 0;
      }
      case "arraySub": {
        const sub = this.subquery(node.query);
        return scope => sub(scope);
      }
      case "subquery": {
        const sub = this.subquery(node.query);
        return scope => sub(scope)[0];
      }
      default:
        throw new SqlError(`Unsupported expression ${node.kind}.`);
    }
  }

  binary(node) {
    const left = this.expr(node.left);
    const right = this.expr(node.right);
    switch (node.op) {
      case "AND": return (s, g) => { const a = left(s, g); return a === false ? false : logicalAnd(a, right(s, g)); };
      case "OR": return (s, g) => { const a = left(s, g); return a === true ? true : logicalOr(a, right(s, g)); };
      case "??": return (s, g) => { const a = left(s, g); return a !== undefined ? a : right(s, g); };
      case "=": return (s, g) => equals(left(s, g), right(s, g));
      case "!=": return (s, g) => { const e = equals(left(s, g), right(s, g)); return e === undefined ? undefined : !e; };
      case "||": return (s, g) => { const a = left(s, g); const b = right(s, g); return typeof a === "string" && typeof b === "string" ? a + b : undefined; };
      default:
        if (node.op in COMPARISON) {
          const test = COMPARISON[node.op];
          return (s, g) => { const c = order(left(s, g), right(s, g)); return c === undefined ? undefined : test(c); };
        }
        if (node.op in ARITHMETIC) {
          const op = ARITHMETIC[node.op];
          return (s, g) => {
            const a = left(s, g);
            const b = right(s, g);
            return typeof a === "number" && typeof b === "number" ? op(a, b) : undefined;
          };
        }
        throw new SqlError(`Unsupported operator ${node.op}.`);
    }
  }

  call(node) {
    if (node.udf) throw new SqlError(`User-defined functions are not supported by this emulator (udf.${node.name}).`);
    const args = node.args.map(arg => this.expr(arg));
    if (node.aggregate) return this.aggregate(node.name, args);
    const fn = FUNCTIONS[node.name];
    if (!fn) throw new SqlError(`Unsupported function ${node.name}.`);
    return (s, g) => fn(...args.map(arg => arg(s, g)));
  }

  aggregate(name, args) {
    if (args.length !== 1) throw new SqlError(`${name} takes one argument.`);
    const [arg] = args;
    return (scope, group) => {
      if (!group) throw new SqlError(`Aggregate ${name} is not allowed here.`);
      const values = [];
      for (const row of group) { const v = arg(row); if (v !== undefined) values.push(v); }
      switch (name) {
        case "COUNT": return values.length;
        case "SUM": return values.every(v => typeof v === "number") ? values.reduce((a, b) => a + b, 0) : undefined;
        case "AVG": return values.length && values.every(v => typeof v === "number") ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
        default: {
          const primitives = values.filter(v => typeRank(v) >= 1 && typeRank(v) <= 4);
          if (!primitives.length) return undefined;
          return primitives.reduce((best, v) => (compareValues(v, best) * (name === "MIN" ? -1 : 1) > 0 ? v : best));
        }
      }
    };
  }

  subquery(query) {
    const plan = this.compileQuery(query, false);
    return scope => plan.run(scope);
  }

  /** Compiles a (sub)query; `top` says whether its FROM iterates the container's documents. */
  compileQuery(q, top) {
    const from = q.from ? this.source(q.from, top) : null;
    const joins = q.joins.map(j => this.source(j));
    const where = q.where ? this.expr(q.where) : null;
    const aggregated = q.groupBy !== null || (q.select !== "*" && (Array.isArray(q.select) ? q.select.some(i => containsAggregate(i.expr)) : containsAggregate(q.select)));
    const groupBy = (q.groupBy || []).map(e => this.expr(e));
    const orderBy = (q.orderBy || []).map(o => ({ key: this.expr(o.expr), descending: o.descending }));
    const projection = this.projection(q, from, joins.length > 0);
    const count = node => {
      if (!node) return null;
      const v = node.kind === "param" ? this.param(node.name) : node.value;
      if (!Number.isInteger(v) || v < 0) throw new SqlError("TOP, OFFSET and LIMIT take non-negative integers.");
      return v;
    };
    const topN = count(q.top);
    const offset = count(q.offset);
    const limit = count(q.limit);
    if (q.top && q.offset) throw new SqlError("TOP cannot be combined with OFFSET … LIMIT.");
    if (aggregated && q.orderBy) throw new SqlError("ORDER BY over aggregates is not supported by this emulator.");

    const expandJoins = (scope, emit) => {
      const step = (i, current) => {
        if (i === joins.length) { emit(current); return; }
        for (const value of joins[i].values(current)) {
          const next = Object.create(current);
          next[joins[i].alias] = value;
          step(i + 1, next);
        }
      };
      step(0, scope);
    };

    return {
      /** `input` is the container's documents (top-level query) or the outer scope (subquery). */
      run: input => {
        let rows = [];
        const emit = row => { if (!where || where(row) === true) rows.push(row); };
        if (!from) emit(top ? {} : Object.create(input));
        else {
          for (const [doc, value] of from.iterate(input)) {
            const row = Object.create(top ? null : input);
            row[from.alias] = value;
            row[ROW_DOC] = doc;
            if (joins.length) expandJoins(row, emit); else emit(row);
          }
        }
        let results;
        if (aggregated) {
          const groups = new Map();
          if (!groupBy.length) groups.set("", rows);
          else {
            for (const row of rows) {
              const key = canonical(groupBy.map(g => g(row)));
              if (!groups.has(key)) groups.set(key, []);
              groups.get(key).push(row);
            }
          }
          results = [];
          for (const group of groups.values()) {
            const value = projection(group[0] || Object.create(null), group);
            if (value !== undefined) results.push(value);
          }
        } else {
          if (orderBy.length) rows = sortRows(rows, orderBy);
          results = [];
          for (const row of rows) {
            const value = projection(row, null);
            if (value !== undefined) results.push(value);
          }
        }
        if (q.distinct) {
          const seen = new Set();
          results = results.filter(r => { const k = canonical(r); if (seen.has(k)) return false; seen.add(k); return true; });
        }
        if (offset !== null) results = results.slice(offset, offset + limit);
        if (topN !== null) results = results.slice(0, topN);
        return results;
      },
    };
  }

  /**
   * A FROM or JOIN source. Over the container (top-level FROM) the root name binds each document in turn;
   * otherwise the source is evaluated in the scope it is given. `iterate` yields [document, value] pairs.
   */
  source(src, overContainer) {
    const { alias } = src;
    const expr = this.expr(src.expr);
    const rootName = rootIdentifier(src.expr);
    const valuesOf = value => {
      if (value === undefined) return [];
      if (!src.iterate) return [value];
      return Array.isArray(value) ? value : [];
    };
    return {
      alias,
      iterate: function* iterate(input) {
        if (overContainer) {
          for (const doc of input) for (const v of valuesOf(expr({ [rootName]: doc }))) yield [doc, v];
        } else {
          for (const v of valuesOf(expr(input))) yield [input[ROW_DOC], v];
        }
      },
      values: scope => valuesOf(expr(scope)),
    };
  }

  projection(q, from, hasJoins) {
    if (q.select === "*") {
      if (!from) throw new SqlError("SELECT * requires a FROM clause.");
      if (hasJoins) throw new SqlError("SELECT * is only valid with a single input set.");
      const { alias } = from;
      return row => row[alias];
    }
    if (q.value) {
      const value = this.expr(q.select);
      return (row, group) => value(row, group);
    }
    const items = q.select.map((item, i) => [item.alias || derivedName(item.expr, i), this.expr(item.expr)]);
    return (row, group) => {
      const o = {};
      for (const [name, fn] of items) { const v = fn(row, group); if (v !== undefined) o[name] = v; }
      return o;
    };
  }
}

function rootIdentifier(node) {
  while (node.kind === "member" || node.kind === "index") node = node.object;
  return node.kind === "ident" ? node.name : null;
}

/** Sorts rows by the ORDER BY keys; ties go by the document's resource-id order, in the first key's direction. */
function sortRows(rows, orderBy) {
  const keyed = rows.map(row => ({ row, keys: orderBy.map(o => o.key(row)), seq: row[ROW_DOC] ? row[ROW_DOC][SEQUENCE] || 0 : 0 }));
  const tieDirection = orderBy[0].descending ? -1 : 1;
  keyed.sort((a, b) => {
    for (let i = 0; i < orderBy.length; i += 1) {
      const c = compareValues(a.keys[i], b.keys[i]);
      if (c !== 0) return orderBy[i].descending ? -c : c;
    }
    return (a.seq - b.seq) * tieDirection;
  });
  return keyed.map(k => k.row);
}

/**
 * Runs `query` (parsed) over `documents` with `parameters` (a Map of @name → value). Returns the result values
 * in order.
 */
function execute(query, documents, parameters) {
  const compiler = new Compiler(parameters);
  const plan = compiler.compileQuery(query, true);
  return plan.run(documents);
}

module.exports = { execute, SEQUENCE };
