// Drives Enclave with Medplum's client, as a Medplum user would: baseUrl = <host>/api/.
// Input (environment): ENCLAVE_BASE_URL, ENCLAVE_CLIENT_ID, ENCLAVE_CLIENT_SECRET, ENCLAVE_EMAIL, ENCLAVE_PASSWORD.
// Output: one JSON line of what each step returned; a failing step exits 1 with its error.
import { MedplumClient } from '@medplum/core';

// Medplum's PKCE step is written for browsers: it keeps the verifier in sessionStorage and reaches btoa, atob and
// TextDecoder through window. Node has all of those but sessionStorage as globals, so window is the global object.
globalThis.window ??= globalThis;
if (!globalThis.sessionStorage) {
  const items = new Map();
  globalThis.sessionStorage = {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
    clear: () => items.clear(),
    key: (index) => [...items.keys()][index] ?? null,
    get length() { return items.size; },
  };
}

const env = process.env;
const result = {};
try {
  // A client application signs in with client credentials.
  const app = new MedplumClient({ baseUrl: env.ENCLAVE_BASE_URL });
  await app.startClientLogin(env.ENCLAVE_CLIENT_ID, env.ENCLAVE_CLIENT_SECRET);
  const family = `Medplum${Date.now()}`;
  const created = await app.createResource({ resourceType: 'Patient', name: [{ family, given: ['Ada'] }] });
  result.created = created.id;
  const read = await app.readResource('Patient', created.id);
  result.readFamily = read.name[0].family;
  const found = await app.searchResources('Patient', { family });
  result.searchIds = found.map((p) => p.id);
  const transaction = await app.executeBatch({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: 'urn:uuid:3f1c2d4e-0000-4000-8000-000000000001', request: { method: 'POST', url: 'Patient' },
        resource: { resourceType: 'Patient', name: [{ family: `${family}T` }] } },
      { request: { method: 'POST', url: 'Observation' },
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'weight' },
          subject: { reference: 'urn:uuid:3f1c2d4e-0000-4000-8000-000000000001' } } },
    ],
  });
  result.transactionType = transaction.type;
  result.transactionStatuses = transaction.entry.map((e) => e.response.status);
  result.observationSubject = transaction.entry[1].resource?.subject?.reference;
  result.transactionPatient = transaction.entry[0].resource?.id;

  // Bulk export as Medplum's client runs it: a bodiless POST with _type, then polling the status URL until the manifest.
  const manifest = await app.bulkExport('', 'Patient,Observation', undefined, { pollStatusOnAccepted: true, pollStatusPeriod: 200 });
  result.exportOutput = {};
  for (const file of manifest.output) {
    const text = await (await app.download(file.url)).text();
    const ids = text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line).id);
    result.exportOutput[file.type] = { count: file.count, ids };
  }

  // A user signs in with a password (PKCE code flow), then reads what the client created.
  const user = new MedplumClient({ baseUrl: env.ENCLAVE_BASE_URL });
  const login = await user.startLogin({ email: env.ENCLAVE_EMAIL, password: env.ENCLAVE_PASSWORD });
  // processCode would take the browser's origin as redirect_uri; outside a browser the caller names it.
  await user.processCode(login.code, { redirectUri: env.ENCLAVE_BASE_URL });
  result.userSignedIn = user.getAccessToken() !== undefined;
  result.userRead = (await user.readResource('Patient', created.id)).id;

  console.log(JSON.stringify(result));
} catch (error) {
  console.error(JSON.stringify({ step: Object.keys(result), error: String(error?.message ?? error), outcome: error?.outcome }));
  process.exit(1);
}
