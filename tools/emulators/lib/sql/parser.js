"use strict";
// Recursive-descent parser for Cosmos DB's NoSQL query language. Produces a small AST (see the `kind` fields)
// shared by the evaluator (evaluate.js) and the query-plan builder (plan.js).
const { tokenize, SqlError } = require("./lexer");

const AGGREGATES = new Set(["COUNT", "SUM", "MIN", "MAX", "AVG"]);

class Parser {
  constructor(text) {
    this.tokens = tokenize(text);
    this.i = 0;
  }

  get peek() { return this.tokens[this.i]; }

  next() { return this.tokens[this.i++]; }

  is(type, value) {
    const t = this.peek;
    return t.type === type && (value === undefined || t.value === value);
  }

  isKeyword(value) { return this.is("keyword", value); }

  isPunct(value) { return this.is("punct", value); }

  accept(type, value) {
    if (this.is(type, value)) return this.next();
    return null;
  }

  expect(type, value) {
    const t = this.accept(type, value);
    if (!t) {
      const found = this.peek.type === "eof" ? "end of query" : `'${this.peek.text ?? this.peek.value}'`;
      throw new SqlError(`Syntax error: expected ${value ?? type} at position ${this.peek.pos}, found ${found}.`);
    }
    return t;
  }

  query() {
    this.expect("keyword", "SELECT");
    const q = { kind: "query", distinct: false, top: null, value: false, select: null, from: null, joins: [],
      where: null, groupBy: null, orderBy: null, offset: null, limit: null };
    if (this.accept("keyword", "DISTINCT")) q.distinct = true;
    if (this.accept("keyword", "TOP")) q.top = this.countLiteral("TOP");
    if (this.accept("keyword", "VALUE")) {
      q.value = true;
      q.select = this.expression();
    } else if (this.accept("punct", "*")) {
      q.select = "*";
    } else {
      q.select = [this.selectItem()];
      while (this.accept("punct", ",")) q.select.push(this.selectItem());
    }
    if (this.accept("keyword", "FROM")) {
      q.from = this.fromSource();
      while (this.accept("keyword", "JOIN")) q.joins.push(this.fromSource());
    }
    if (this.accept("keyword", "WHERE")) q.where = this.expression();
    if (this.isKeyword("GROUP")) {
      this.next();
      this.expect("keyword", "BY");
      q.groupBy = [this.expression()];
      while (this.accept("punct", ",")) q.groupBy.push(this.expression());
    }
    if (this.isKeyword("ORDER")) {
      this.next();
      this.expect("keyword", "BY");
      q.orderBy = [this.sortItem()];
      while (this.accept("punct", ",")) q.orderBy.push(this.sortItem());
    }
    if (this.accept("keyword", "OFFSET")) {
      q.offset = this.countLiteral("OFFSET");
      this.expect("keyword", "LIMIT");
      q.limit = this.countLiteral("LIMIT");
    }
    return q;
  }

  countLiteral(clause) {
    const t = this.next();
    if (t.type === "number" && Number.isInteger(t.value) && t.value >= 0) return { kind: "literal", value: t.value };
    if (t.type === "param") return { kind: "param", name: t.value };
    throw new SqlError(`Syntax error: ${clause} takes a non-negative integer or a parameter (position ${t.pos}).`);
  }

  selectItem() {
    const expr = this.expression();
    let alias = null;
    if (this.accept("keyword", "AS")) alias = this.identifier();
    else if (this.is("ident")) alias = this.next().value;
    return { expr, alias };
  }

  sortItem() {
    const expr = this.expression();
    let descending = false;
    if (this.accept("keyword", "DESC")) descending = true;
    else this.accept("keyword", "ASC");
    return { expr, descending };
  }

  identifier() {
    const t = this.next();
    if (t.type === "ident" || t.type === "keyword") return t.type === "ident" ? t.value : t.text;
    throw new SqlError(`Syntax error: expected a name at position ${t.pos}.`);
  }

  // FROM c | FROM c AS x | FROM c.path x | FROM x IN c.path | JOIN x IN c.path | JOIN (subquery) AS x
  fromSource() {
    if (this.is("ident") && this.tokens[this.i + 1].type === "keyword" && this.tokens[this.i + 1].value === "IN") {
      const alias = this.next().value;
      this.next();
      return { alias, expr: this.postfix(), iterate: true };
    }
    const expr = this.postfix();
    let alias = null;
    if (this.accept("keyword", "AS")) alias = this.identifier();
    else if (this.is("ident")) alias = this.next().value;
    if (!alias) {
      if (expr.kind === "ident") alias = expr.name;
      else throw new SqlError("Syntax error: a FROM or JOIN source that is not a plain name needs an alias.");
    }
    return { alias, expr, iterate: false };
  }

  expression() { return this.ternary(); }

  ternary() {
    const cond = this.coalesce();
    if (this.accept("punct", "?")) {
      const then = this.ternary();
      this.expect("punct", ":");
      return { kind: "ternary", cond, then, else: this.ternary() };
    }
    return cond;
  }

  coalesce() {
    let left = this.or();
    while (this.accept("punct", "??")) left = { kind: "binary", op: "??", left, right: this.or() };
    return left;
  }

  or() {
    let left = this.and();
    while (this.accept("keyword", "OR")) left = { kind: "binary", op: "OR", left, right: this.and() };
    return left;
  }

  and() {
    let left = this.not();
    while (this.accept("keyword", "AND")) left = { kind: "binary", op: "AND", left, right: this.not() };
    return left;
  }

  not() {
    if (this.accept("keyword", "NOT")) return { kind: "unary", op: "NOT", operand: this.not() };
    return this.comparison();
  }

  comparison() {
    let left = this.bitOr();
    for (;;) {
      const t = this.peek;
      if (t.type === "punct" && ["=", "!=", "<>", "<", "<=", ">", ">="].includes(t.value)) {
        this.next();
        left = { kind: "binary", op: t.value === "<>" ? "!=" : t.value, left, right: this.bitOr() };
        continue;
      }
      let negated = false;
      if (this.isKeyword("NOT")) {
        const after = this.tokens[this.i + 1];
        if (after.type === "keyword" && ["IN", "BETWEEN", "LIKE"].includes(after.value)) { this.next(); negated = true; }
      }
      if (this.accept("keyword", "IN")) {
        this.expect("punct", "(");
        const list = [this.expression()];
        while (this.accept("punct", ",")) list.push(this.expression());
        this.expect("punct", ")");
        left = { kind: "in", value: left, list, not: negated };
        continue;
      }
      if (this.accept("keyword", "BETWEEN")) {
        const low = this.bitOr();
        this.expect("keyword", "AND");
        left = { kind: "between", value: left, low, high: this.bitOr(), not: negated };
        continue;
      }
      if (this.accept("keyword", "LIKE")) {
        const pattern = this.bitOr();
        const escape = this.accept("keyword", "ESCAPE") ? this.bitOr() : null;
        left = { kind: "like", value: left, pattern, escape, not: negated };
        continue;
      }
      return left;
    }
  }

  binaryLevel(ops, nextLevel) {
    let left = nextLevel();
    while (this.is("punct") && ops.includes(this.peek.value)) {
      const op = this.next().value;
      left = { kind: "binary", op, left, right: nextLevel() };
    }
    return left;
  }

  bitOr() { return this.binaryLevel(["|"], () => this.bitXor()); }

  bitXor() { return this.binaryLevel(["^"], () => this.bitAnd()); }

  bitAnd() { return this.binaryLevel(["&"], () => this.shift()); }

  shift() { return this.binaryLevel(["<<", ">>", ">>>"], () => this.concat()); }

  concat() { return this.binaryLevel(["||"], () => this.additive()); }

  additive() { return this.binaryLevel(["+", "-"], () => this.multiplicative()); }

  multiplicative() { return this.binaryLevel(["*", "/", "%"], () => this.unary()); }

  unary() {
    if (this.is("punct") && ["-", "+", "~"].includes(this.peek.value)) {
      const op = this.next().value;
      const operand = this.unary();
      if (op === "-" && operand.kind === "literal" && typeof operand.value === "number") return { kind: "literal", value: -operand.value };
      return { kind: "unary", op, operand };
    }
    if (this.isKeyword("NOT")) { this.next(); return { kind: "unary", op: "NOT", operand: this.unary() }; }
    return this.postfix();
  }

  postfix() {
    let expr = this.primary();
    for (;;) {
      if (this.accept("punct", ".")) {
        expr = { kind: "member", object: expr, property: this.identifier() };
      } else if (this.accept("punct", "[")) {
        const index = this.expression();
        this.expect("punct", "]");
        expr = { kind: "index", object: expr, index };
      } else {
        return expr;
      }
    }
  }

  primary() {
    const t = this.next();
    switch (t.type) {
      case "number":
      case "string":
        return { kind: "literal", value: t.value };
      case "param":
        return { kind: "param", name: t.value };
      case "ident":
        if (this.isPunct("(")) return this.call(t.value.toUpperCase(), false);
        return { kind: "ident", name: t.value };
      case "keyword":
        switch (t.value) {
          case "TRUE": return { kind: "literal", value: true };
          case "FALSE": return { kind: "literal", value: false };
          case "NULL": return { kind: "literal", value: null };
          case "UNDEFINED": return { kind: "literal", value: undefined };
          case "UDF":
            this.expect("punct", ".");
            return this.call(this.identifier(), true);
          case "EXISTS":
          case "ARRAY": {
            this.expect("punct", "(");
            const query = this.query();
            this.expect("punct", ")");
            return { kind: t.value === "EXISTS" ? "exists" : "arraySub", query };
          }
          case "VALUE":
            // `value` is a keyword only in SELECT VALUE; elsewhere it is an ordinary name.
            return { kind: "ident", name: t.text };
          default:
            if (this.isPunct("(") && !["SELECT", "NOT"].includes(t.value)) return this.call(t.value, false);
            throw new SqlError(`Syntax error: unexpected keyword ${t.text} at position ${t.pos}.`);
        }
      case "punct":
        if (t.value === "(") {
          if (this.isKeyword("SELECT")) {
            const query = this.query();
            this.expect("punct", ")");
            return { kind: "subquery", query };
          }
          const inner = this.expression();
          this.expect("punct", ")");
          return inner;
        }
        if (t.value === "[") {
          const items = [];
          if (!this.isPunct("]")) {
            items.push(this.expression());
            while (this.accept("punct", ",")) items.push(this.expression());
          }
          this.expect("punct", "]");
          return { kind: "array", items };
        }
        if (t.value === "{") {
          const props = [];
          if (!this.isPunct("}")) {
            do {
              const keyToken = this.next();
              if (!["ident", "string", "keyword"].includes(keyToken.type)) throw new SqlError(`Syntax error: object key expected at position ${keyToken.pos}.`);
              this.expect("punct", ":");
              props.push({ key: keyToken.type === "keyword" ? keyToken.text : keyToken.value, value: this.expression() });
            } while (this.accept("punct", ","));
          }
          this.expect("punct", "}");
          return { kind: "object", props };
        }
        break;
      default:
        break;
    }
    const found = t.type === "eof" ? "end of query" : `'${t.text ?? t.value}'`;
    throw new SqlError(`Syntax error at position ${t.pos}: unexpected ${found}.`);
  }

  call(name, udf) {
    this.expect("punct", "(");
    const args = [];
    if (!this.isPunct(")")) {
      args.push(this.expression());
      while (this.accept("punct", ",")) args.push(this.expression());
    }
    this.expect("punct", ")");
    return { kind: "call", name, args, udf, aggregate: !udf && AGGREGATES.has(name) };
  }
}

/** Parses a whole query; throws SqlError naming the position of the first problem. */
function parse(text) {
  const parser = new Parser(text);
  const query = parser.query();
  if (!parser.is("eof")) {
    const t = parser.peek;
    throw new SqlError(`Syntax error at position ${t.pos}: unexpected '${t.text ?? t.value}'.`);
  }
  return query;
}

module.exports = { parse, SqlError, AGGREGATES };
