"use strict";
const { CosmosError } = require("./store");

function executeBatch() {
  throw new CosmosError(400, "BadRequest", "Transactional batches are not supported yet.");
}

module.exports = { executeBatch };
