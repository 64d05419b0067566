#!/usr/bin/env node
// Interoperability check: a Fedify actor follows a pkgfed package actor and unfollows it.
//
//   node interop/fedify/check.mjs <pkgfed-base-url> <package-handle>
//   node interop/fedify/check.mjs http://127.0.0.1:8123 cargo.serde
//
// Runs a Fedify federation (in-memory KV, no queue, so deliveries happen inline) with one
// actor, `tester` (Person, RSA key from Fedify's generateCryptoKeyPair, which is always
// 4096-bit; its document is served only to signed requests), behind Node's http server on a
// loopback port. Then, with Fedify's own client machinery:
//   1. looks the package up by `acct:` handle (WebFinger), through `lookupWebFinger` on its
//      http actor URL, and with `lookupObject` on that URL (Application/Service with
//      inbox, followers, publicKey);
//   2. sends a Follow with `ctx.sendActivity` (Fedify's default signing: RFC 9421 first,
//      draft-cavage if that is refused) and waits for pkgfed's Accept in the inbox
//      listener, which runs only after Fedify verified the Accept's HTTP signature; checks
//      that pkgfed's signed GET of the tester's key passed Fedify's verification too;
//   3. checks that Fedify's inbox refuses an unsigned and a tampered Accept (401);
//   3b. with PKGFED_ADMIN_TOKEN set: rotates the package key through pkgfed's admin API
//      and waits for the Update{actor}, which Fedify must verify with the new key;
//   4. reads the followers collection (totalItems +1, tester listed), sends Undo{Follow}
//      signed draft-cavage to the shared inbox, and reads it again (back to the start).
// Every request either side makes is logged with its signature scheme and coverage.
// Exit 0 with a summary on success; 1 with the failing step, the HTTP traffic and Fedify's
// log otherwise; 2 on bad arguments. Only loopback addresses are ever contacted, and the
// whole run is bounded by FEDIFY_CHECK_TIMEOUT_MS (default 30 s). FEDIFY_CHECK_VERBOSE=1
// prints Fedify's debug log as it goes.

import { AsyncLocalStorage } from "node:async_hooks";
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { configure, defaultTextFormatter } from "@logtape/logtape";
import { createFederation, generateCryptoKeyPair, getDocumentLoader, MemoryKvStore } from "@fedify/fedify";
import {
  Accept,
  Application,
  CryptographicKey,
  Endpoints,
  Follow,
  lookupObject,
  OrderedCollection,
  Person,
  Service,
  Undo,
  Update,
} from "@fedify/fedify/vocab";
import { lookupWebFinger } from "@fedify/webfinger";

const TIMEOUT_MS = Number(process.env.FEDIFY_CHECK_TIMEOUT_MS ?? 30_000);
const STEP_TIMEOUT_MS = 10_000;
const VERBOSE = process.env.FEDIFY_CHECK_VERBOSE === "1";
const ACTOR = "tester";
// The installed Fedify's version (its package.json is not exported, so read it by path).
const FEDIFY_VERSION = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.resolve("@fedify/fedify")), "utf8"),
).version;

// ---------------------------------------------------------------- bookkeeping

const startedAt = Date.now();
const observations = [];
const fedifyLog = [];
const traffic = [];

function say(line) {
  console.log(`[${String(Date.now() - startedAt).padStart(5)} ms] ${line}`);
}

function observe(line) {
  observations.push(line);
  say(`note: ${line}`);
}

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function fail(message, error) {
  console.error("");
  console.error(`FAIL: ${message}`);
  if (error != null && !(error instanceof CheckFailed)) console.error(error?.stack ?? String(error));
  console.error("");
  console.error("HTTP traffic seen:");
  for (const t of traffic) console.error(`  ${t}`);
  if (!VERBOSE && fedifyLog.length > 0) {
    console.error("");
    console.error("Fedify log (most recent last):");
    for (const l of fedifyLog.slice(-60)) console.error(`  ${l}`);
  }
  process.exit(1);
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new CheckFailed(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Which HTTP signature scheme a request's headers carry. */
function signatureScheme(headers) {
  const input = headers.get("signature-input");
  const sig = headers.get("signature");
  if (input != null && sig != null) {
    const alg = /alg="([^"]+)"/.exec(input)?.[1];
    return `RFC 9421${alg ? ` (${alg})` : ""}`;
  }
  if (sig != null) return `draft-cavage (${/algorithm="([^"]+)"/.exec(sig)?.[1] ?? "no algorithm"})`;
  if (headers.get("authorization")?.startsWith("Signature ")) return "draft-cavage (Authorization)";
  return "unsigned";
}

/** What a request's signature covers: RFC 9421 component list or draft-cavage `headers`. */
function signatureCoverage(headers) {
  const input = headers.get("signature-input");
  if (input != null) return /=\(([^)]*)\)/.exec(input)?.[1] ?? input;
  const sig = headers.get("signature") ?? headers.get("authorization");
  return /headers="([^"]*)"/.exec(sig ?? "")?.[1] ?? "";
}

function isLoopbackHost(hostname) {
  const h = hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

// ---------------------------------------------------------------- arguments

const [baseArg, handle] = process.argv.slice(2);
if (baseArg == null || handle == null) {
  console.error("usage: node check.mjs <pkgfed-base-url> <package-handle>");
  console.error("   eg: node check.mjs http://127.0.0.1:8123 cargo.serde");
  process.exit(2);
}
let pkgfedBase;
try {
  pkgfedBase = new URL(baseArg);
} catch {
  console.error(`not a URL: ${baseArg}`);
  process.exit(2);
}
if (!isLoopbackHost(pkgfedBase.hostname)) {
  console.error(`refusing a non-loopback pkgfed URL: ${pkgfedBase.href} (this check only talks to 127.0.0.0/8, ::1, localhost)`);
  process.exit(2);
}

const overall = setTimeout(() => fail(`overall timeout of ${TIMEOUT_MS} ms reached`), TIMEOUT_MS);

// ---------------------------------------------------------------- logging and traffic capture

await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: {
    buffer(record) {
      const text = defaultTextFormatter(record).trimEnd();
      fedifyLog.push(text);
      if (VERBOSE) console.log(`    ${text}`);
    },
  },
  loggers: [
    { category: ["fedify"], lowestLevel: VERBOSE ? "debug" : "info", sinks: ["buffer"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["buffer"] },
  ],
});

// Outgoing requests (Fedify's document loader, WebFinger client and activity delivery all
// use the global fetch): logged with their signature scheme, and refused unless loopback.
const realFetch = globalThis.fetch;
const outbound = [];
globalThis.fetch = async (input, init) => {
  const request = input instanceof Request && init == null ? input : new Request(input, init);
  const url = new URL(request.url);
  if (!isLoopbackHost(url.hostname)) {
    traffic.push(`fedify -> ${request.method} ${url.href} REFUSED (not loopback)`);
    throw new TypeError(`check.mjs: refusing to contact non-loopback ${url.href}`);
  }
  const scheme = signatureScheme(request.headers);
  const body = request.method === "POST" ? await request.clone().text() : null;
  const covers = signatureCoverage(request.headers);
  try {
    const response = await realFetch(request);
    traffic.push(`fedify -> ${request.method} ${url.href} [${scheme}] => ${response.status}`);
    outbound.push({ method: request.method, url: url.href, scheme, covers, status: response.status, body });
    return response;
  } catch (error) {
    traffic.push(`fedify -> ${request.method} ${url.href} [${scheme}] => ${error?.cause?.code ?? error}`);
    outbound.push({ method: request.method, url: url.href, scheme, status: null, error });
    throw error;
  }
};

// ---------------------------------------------------------------- the Fedify side

const server = createServer();
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(0, "127.0.0.1", resolve);
});
const origin = `http://127.0.0.1:${server.address().port}`;

say(`generating the tester's RSA key pair with Fedify's generateCryptoKeyPair`);
const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const modulusBits = keyPair.publicKey.algorithm.modulusLength;

const actorFetchers = [];
const sentFollows = new Map();
const accepts = [];
const updates = [];
const inboxErrors = [];
let acceptArrived = () => {};
let updateArrived = () => {};

/** One Fedify federation serving the tester actor; `firstKnock` picks the signature scheme tried first. */
function buildFederation(kv, firstKnock) {
  const federation = createFederation({
    kv,
    origin,
    // Everything runs on 127.0.0.1 over plain http.
    allowPrivateAddress: true,
    firstKnock,
    // Signature verification stays on (skipSignatureVerification is false by default).
  });
  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== ACTOR) return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: "Fedify interop tester",
        summary: "Throw-away actor of pkgfed's Fedify interoperability check.",
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: keys[0].cryptographicKey,
        assertionMethods: keys.map((k) => k.multikey),
      });
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === ACTOR ? [keyPair] : []))
    // "Authorized fetch" (like Mastodon's secure mode): the actor document is served only to
    // signed requests whose key Fedify can fetch and verify, so pkgfed's signed GET (as its
    // instance actor) for the tester's key is checked by Fedify too.
    .authorize(async (ctx) => {
      const owner = await ctx.getSignedKeyOwner();
      actorFetchers.push(owner?.id?.href ?? null);
      return owner != null;
    });
  // The Follow ids are dereferenceable, as ActivityPub expects of activity ids.
  federation.setObjectDispatcher(Follow, "/users/{identifier}/follows/{id}", (_ctx, values) =>
    values.identifier === ACTOR ? (sentFollows.get(values.id) ?? null) : null,
  );
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Accept, async (_ctx, accept) => {
      // Reached only once Fedify verified the request's HTTP signature and that its key
      // belongs to accept.actor.
      const entry = { accept, object: null, objectError: null };
      try {
        entry.object = await accept.getObject();
      } catch (error) {
        entry.objectError = error;
      }
      accepts.push(entry);
      acceptArrived();
    })
    .on(Update, async (_ctx, update) => {
      // Also only after Fedify verified the signature and that the key is update.actor's.
      updates.push(update);
      updateArrived();
    })
    .onError((_ctx, error) => {
      inboxErrors.push(error);
    });
  return federation;
}

// Serves HTTP and sends the Follow with Fedify's defaults (RFC 9421 first, draft-cavage on failure).
const kv = new MemoryKvStore();
const federation = buildFederation(kv, undefined);
// Sends only the Undo, signing draft-cavage first (the scheme most of the fediverse uses).
const cavageFederation = buildFederation(new MemoryKvStore(), "draft-cavage-http-signatures-12");

function firstUpdate() {
  if (updates.length > 0) return Promise.resolve(updates[0]);
  return new Promise((resolve) => {
    updateArrived = () => resolve(updates[0]);
  });
}

function firstAccept() {
  if (accepts.length > 0) return Promise.resolve(accepts[0]);
  return new Promise((resolve) => {
    acceptArrived = () => resolve(accepts[0]);
  });
}

// Node's http server in front of federation.fetch (Request/Response are Node globals).
const inbound = [];
let followerCounts = [];
server.on("request", async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const url = new URL(req.url ?? "/", origin);
    const request = new Request(url, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const entry = { method: req.method, path: url.pathname, scheme: signatureScheme(headers), status: null, headers, body };
    inbound.push(entry);
    const response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("not found", { status: 404 }),
      onNotAcceptable: () => new Response("not acceptable", { status: 406 }),
    });
    entry.status = response.status;
    traffic.push(`fedify <- ${req.method} ${url.pathname} [${entry.scheme}] => ${response.status}`);
    res.statusCode = response.status;
    response.headers.forEach((value, name) => res.setHeader(name, value));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    traffic.push(`fedify <- ${req.method} ${req.url} => adapter error ${error}`);
    res.statusCode = 500;
    res.end(String(error));
  }
});

// ---------------------------------------------------------------- the check

const ctx = federation.createContext(new URL(origin), undefined);
const testerUri = ctx.getActorUri(ACTOR);
const host = pkgfedBase.host;
const acct = `acct:${handle}@${host}`;
const expectedActorUrl = new URL(`/packages/${handle}`, pkgfedBase).href;
say(`Fedify federation for ${testerUri.href} (RSA ${modulusBits} bits) listening on ${origin}`);
say(`pkgfed: ${pkgfedBase.origin}, package handle ${handle}`);

async function main() {
  // --- 1a. lookupObject by acct: handle (Fedify's WebFinger client)
  let byAcct = null;
  try {
    byAcct = await withTimeout(ctx.lookupObject(acct), STEP_TIMEOUT_MS, `lookupObject(${acct})`);
  } catch (error) {
    byAcct = error;
  }
  const webfingerCalls = outbound.filter((o) => o.url.includes("/.well-known/webfinger"));
  if (byAcct != null && !(byAcct instanceof Error)) {
    check(byAcct.id?.href === expectedActorUrl, `lookupObject(${acct}) found ${byAcct.id?.href}, expected ${expectedActorUrl}`);
    say(`lookupObject(${acct}) -> ${byAcct.id.href}`);
    observe(`lookupObject by acct: handle worked (WebFinger at ${webfingerCalls[0]?.url.split("?")[0]})`);
  } else {
    const tried = webfingerCalls
      .map((o) => `GET ${o.url.split("?")[0]} => ${o.status ?? o.error?.cause?.code ?? o.error}`)
      .join(", ");
    observe(
      `lookupObject(${acct}) found nothing: Fedify's WebFinger client always queries https:// for acct: ` +
        `resources (${tried || "no answer"}${byAcct instanceof Error ? `; ${byAcct.message}` : ""})`,
    );
  }

  // --- 1b. lookupWebFinger on the actor's http URL
  const jrd = await withTimeout(
    lookupWebFinger(expectedActorUrl, { allowPrivateAddress: true, userAgent: "pkgfed-interop-fedify" }),
    STEP_TIMEOUT_MS,
    "lookupWebFinger",
  );
  check(jrd != null, `lookupWebFinger(${expectedActorUrl}) returned nothing`);
  const self = jrd.links?.find((l) => l.rel === "self" && /activity\+json|ld\+json/.test(l.type ?? ""));
  check(self?.href === expectedActorUrl, `WebFinger self link is ${self?.href}, expected ${expectedActorUrl}`);
  check(jrd.subject === acct, `WebFinger subject is ${jrd.subject}, expected ${acct}`);
  say(`lookupWebFinger(${expectedActorUrl}) over http -> subject ${jrd.subject}, self ${self.href}`);
  observe(`lookupWebFinger with an http:// resource works (Fedify then queries http://${host}/.well-known/webfinger)`);

  // --- 1c. lookupObject by actor URL
  const actor = await withTimeout(ctx.lookupObject(self.href), STEP_TIMEOUT_MS, "lookupObject(actor URL)");
  check(actor != null, `lookupObject(${self.href}) returned nothing (not parseable as ActivityStreams?)`);
  check(
    actor instanceof Application || actor instanceof Service,
    `package actor parsed as ${actor?.constructor?.name}, expected Application or Service`,
  );
  check(actor.id?.href === expectedActorUrl, `actor id is ${actor.id?.href}`);
  check(actor.preferredUsername?.toString() === handle, `preferredUsername is ${actor.preferredUsername}`);
  check(actor.inboxId != null, "actor has no inbox");
  check(actor.followersId != null, "actor has no followers collection");
  const key = await actor.getPublicKey();
  check(key instanceof CryptographicKey, "actor has no publicKey");
  check(key.ownerId?.href === actor.id.href, `publicKey owner is ${key.ownerId?.href}`);
  const publicKey = await key.publicKey;
  check(publicKey?.type === "public", "publicKey has no usable key material");
  say(
    `lookupObject(${self.href}) -> ${actor.constructor.name} "${actor.name}", inbox ${actor.inboxId.href}, ` +
      `followers ${actor.followersId.href}, sharedInbox ${actor.endpoints?.sharedInbox?.href}, ` +
      `key ${key.id?.href} (${publicKey.algorithm.name} ${publicKey.algorithm.modulusLength})`,
  );
  const assertionMethods = [];
  for await (const m of actor.getAssertionMethods()) assertionMethods.push(m);
  if (assertionMethods.length === 0) observe("pkgfed's actor has no assertionMethod (Multikey); only publicKey");

  // Collections are read with an uncached document loader: the federation's default one
  // caches documents in the KV store for five minutes.
  const freshLoader = getDocumentLoader({ allowPrivateAddress: true, userAgent: "pkgfed-interop-fedify" });
  const loaders = { documentLoader: freshLoader, contextLoader: ctx.contextLoader };
  async function followersCollection() {
    const c = await lookupObject(actor.followersId, loaders);
    check(c instanceof OrderedCollection, `followers collection parsed as ${c?.constructor?.name}`);
    return c;
  }
  async function followersCount() {
    return (await followersCollection()).totalItems;
  }
  // 0 on a fresh pkgfed; a long-lived one may keep followers from earlier runs.
  const before = await followersCount();
  check(Number.isInteger(before), `followers collection has no totalItems (${before})`);
  say(`followers totalItems before the Follow: ${before}`);
  if (before !== 0) observe(`the package already had ${before} follower(s); counts below are relative to that`);

  // --- 2. Follow -> Accept
  const followKey = randomUUID();
  const follow = new Follow({
    id: ctx.getObjectUri(Follow, { identifier: ACTOR, id: followKey }),
    actor: testerUri,
    object: actor.id,
    to: actor.id,
  });
  sentFollows.set(followKey, follow);
  const outboundBeforeFollow = outbound.length;
  await withTimeout(ctx.sendActivity({ identifier: ACTOR }, actor, follow), STEP_TIMEOUT_MS, "sending the Follow");
  const followPosts = outbound.slice(outboundBeforeFollow).filter((o) => o.method === "POST");
  check(followPosts.length > 0, "Fedify made no POST for the Follow");
  say(
    `sent Follow ${follow.id.href}: ` +
      followPosts.map((p) => `POST ${new URL(p.url).pathname} [${p.scheme}] => ${p.status}`).join(", then "),
  );
  if (followPosts.length > 1) {
    observe(
      `Fedify double-knocked the Follow: first ${followPosts[0].scheme} (=> ${followPosts[0].status}), ` +
        `then ${followPosts.at(-1).scheme} (=> ${followPosts.at(-1).status})`,
    );
  } else {
    observe(`pkgfed accepted Fedify's first knock: ${followPosts[0].scheme} covering ${followPosts[0].covers}`);
  }
  const signedActorGets = inbound.filter((r) => r.method === "GET" && r.path === `/users/${ACTOR}`);
  check(signedActorGets.length > 0, "pkgfed never fetched the tester's actor document (so how did it verify the Follow?)");
  check(
    signedActorGets.every((r) => r.status === 200),
    `Fedify refused pkgfed's GET of the tester actor: ${signedActorGets.map((r) => `[${r.scheme}] => ${r.status}`).join(", ")}`,
  );
  check(
    actorFetchers.length > 0 && actorFetchers.every((o) => o === new URL("/actor", pkgfedBase).href),
    `pkgfed's signed GET verified as ${actorFetchers.join(", ")}, expected its instance actor ${new URL("/actor", pkgfedBase).href}`,
  );
  observe(
    `pkgfed fetched the tester's key with a signed GET [${signedActorGets[0].scheme} covering ` +
      `${signatureCoverage(signedActorGets[0].headers)}] as ${actorFetchers[0]}; ` +
      "Fedify (authorized fetch on) verified it",
  );
  const followJson = JSON.parse(followPosts.at(-1).body);
  const extras = [
    followJson.signature != null ? `a Linked Data Signature (${followJson.signature.type})` : null,
    followJson.proof != null ? `an Object Integrity Proof (${followJson.proof.type})` : null,
  ].filter((x) => x != null);
  if (extras.length > 0) observe(`Fedify's Follow body also carries ${extras.join(" and ")}; pkgfed accepted it regardless`);
  const specKey = ["_fedify", "httpMessageSignaturesSpec", pkgfedBase.origin];
  const remembered = await kv.get(specKey);
  if (remembered != null) say(`Fedify remembered ${remembered} for ${pkgfedBase.origin}`);

  const got = await withTimeout(firstAccept(), STEP_TIMEOUT_MS, "pkgfed's Accept in the Fedify inbox");
  const accept = got.accept;
  // The listener runs inside the POST's handling; the request is complete once answered.
  const acceptPost = inbound.find((r) => r.method === "POST" && r.path.endsWith("/inbox"));
  check(acceptPost != null, "the Accept listener ran but no inbox POST was seen");
  for (let i = 0; acceptPost.status == null && i < 50; i++) await new Promise((r) => setTimeout(r, 20));
  check(acceptPost.status === 202, `Fedify answered pkgfed's Accept POST with ${acceptPost.status}, expected 202`);
  say(
    `received Accept ${accept.id?.href} at ${acceptPost?.path} [${acceptPost?.scheme}] -- ` +
      "delivered to the listener, so Fedify verified its HTTP signature",
  );
  observe(`pkgfed signs its Accept with ${acceptPost.scheme} covering ${signatureCoverage(acceptPost.headers)}; Fedify verified it`);
  check(accept.actorId?.href === actor.id.href, `Accept actor is ${accept.actorId?.href}`);
  check(accept.objectId?.href === follow.id.href, `Accept object is ${accept.objectId?.href}, expected ${follow.id.href}`);
  if (got.objectError != null) {
    throw new CheckFailed(`accept.getObject() failed: ${got.objectError}`);
  }
  check(got.object instanceof Follow, `accept.getObject() is ${got.object?.constructor?.name}, expected Follow`);
  check(got.object.actorId?.href === testerUri.href, `accepted Follow's actor is ${got.object.actorId?.href}`);
  check(got.object.objectId?.href === actor.id.href, `accepted Follow's object is ${got.object.objectId?.href}`);
  say("Accept.object is the Follow sent (actor tester, object the package)");
  if (inbound.some((r) => r.method === "GET" && r.path === new URL(follow.id).pathname)) {
    observe(
      "Fedify did not take the Follow embedded in pkgfed's Accept as is (its id is on another origin " +
        "than the Accept's); accept.getObject() dereferenced the Follow id at the tester's server",
    );
  }

  // --- 3. Fedify refuses Accepts that are unsigned or altered after signing.
  const inboxUrl = new URL(acceptPost.path, origin);
  const forged = {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${actor.id.href}#forged-${randomUUID()}`,
    type: "Accept",
    actor: actor.id.href,
    object: follow.id.href,
  };
  const unsigned = await fetch(inboxUrl, {
    method: "POST",
    headers: { "content-type": "application/activity+json" },
    body: JSON.stringify(forged),
  });
  check(unsigned.status === 401, `Fedify answered ${unsigned.status} to an unsigned Accept, expected 401`);
  const original = JSON.parse(acceptPost.body.toString("utf8"));
  const tampered = { ...original, id: `${original.id}-tampered` };
  const replayHeaders = new Headers(acceptPost.headers);
  replayHeaders.delete("content-length");
  const altered = await fetch(inboxUrl, { method: "POST", headers: replayHeaders, body: JSON.stringify(tampered) });
  check(altered.status === 401, `Fedify answered ${altered.status} to a tampered signed Accept, expected 401`);
  check(accepts.length === 1, `the Accept listener ran ${accepts.length} times, expected once`);
  say("Fedify's inbox refused an unsigned Accept (401) and pkgfed's signed Accept with an altered body (401)");

  // --- 3b. key rotation: pkgfed replaces the package key and sends Update{actor},
  // signed with the new key, which Fedify (holding the old key from the Accept) must
  // verify before its Update listener runs. Needs the admin token (the Rust test passes it).
  const adminToken = process.env.PKGFED_ADMIN_TOKEN;
  if (adminToken) {
    const pemBefore = await (await lookupObject(actor.id, loaders)).getPublicKey().then((k) => k.publicKey);
    const rotated = await fetch(
      new URL(`/api/v1/admin/packages/rotate-key?package=${encodeURIComponent(handle)}`, pkgfedBase),
      { method: "POST", headers: { authorization: `Bearer ${adminToken}` } },
    );
    check(rotated.status === 200, `rotate-key answered ${rotated.status}: ${await rotated.clone().text()}`);
    const answer = await rotated.json();
    check(answer.deliveries >= 1, `rotate-key queued ${answer.deliveries} deliveries, expected the tester's inbox`);
    const update = await withTimeout(firstUpdate(), STEP_TIMEOUT_MS, "pkgfed's Update{actor} in the Fedify inbox");
    check(update.actorId?.href === actor.id.href, `Update actor is ${update.actorId?.href}`);
    check(update.objectId?.href === actor.id.href, `Update object is ${update.objectId?.href}, expected the actor`);
    const updatedActor = await update.getObject();
    const newKey = await (await updatedActor.getPublicKey()).publicKey;
    const servedKey = await (await (await lookupObject(actor.id, loaders)).getPublicKey()).publicKey;
    const spki = async (k) => Buffer.from(await crypto.subtle.exportKey("spki", k)).toString("base64");
    check((await spki(newKey)) === (await spki(servedKey)), "the Update's publicKey is not the one pkgfed now serves");
    check((await spki(newKey)) !== (await spki(pemBefore)), "the key did not change");
    const updatePosts = inbound.filter((e) => e.method === "POST" && e.status === 202 && e.body.includes('"Update"'));
    check(updatePosts.length >= 1, "no accepted Update POST was seen");
    say(`pkgfed rotated the package key (fingerprint ${answer.fingerprint}); Fedify verified the Update{actor} signed with the new key`);
    observe(
      `key rotation: Fedify verified pkgfed's Update{actor} [${updatePosts[0].scheme}] signed with the new key ` +
        `(${inbound.filter((e) => e.method === "POST" && e.body.includes('"Update"')).length} POST(s))`,
    );
  } else {
    observe("key rotation not checked: PKGFED_ADMIN_TOKEN is not set");
  }

  // --- 4. followers collection, Undo, followers again
  const during = await followersCount();
  check(during === before + 1, `followers totalItems is ${during} after the Accept, expected ${before + 1}`);
  say(`followers totalItems after the Follow: ${during}`);
  const firstPage = await (await followersCollection()).getFirst(loaders);
  check(firstPage != null, "the followers collection has no first page");
  const listed = firstPage.itemIds.map((u) => u.href);
  check(listed.includes(testerUri.href), `the tester is not on the followers' first page: ${listed.join(", ")}`);
  say(`the followers collection's first page (${firstPage.constructor.name}) lists ${testerUri.href}`);

  const undo = new Undo({
    id: new URL(`#undo-${randomUUID()}`, follow.id),
    actor: testerUri,
    object: follow,
    to: actor.id,
  });
  const outboundBeforeUndo = outbound.length;
  const cavageCtx = cavageFederation.createContext(new URL(origin), undefined);
  await withTimeout(
    cavageCtx.sendActivity({ identifier: ACTOR }, actor, undo, { preferSharedInbox: true }),
    STEP_TIMEOUT_MS,
    "sending the Undo",
  );
  const undoPosts = outbound.slice(outboundBeforeUndo).filter((o) => o.method === "POST");
  say(
    `sent Undo{Follow} ${undo.id.href} (firstKnock draft-cavage, to the shared inbox): ` +
      undoPosts.map((p) => `POST ${new URL(p.url).pathname} [${p.scheme}] => ${p.status}`).join(", then "),
  );
  check(
    undoPosts.length === 1 && undoPosts[0].scheme.startsWith("draft-cavage") && undoPosts[0].status === 202,
    "pkgfed did not take the draft-cavage signed Undo at the first knock",
  );
  observe(
    `pkgfed also accepted Fedify's draft-cavage signature [${undoPosts[0].scheme} covering ${undoPosts[0].covers}] ` +
      "at the first knock",
  );

  let after = await followersCount();
  for (let i = 0; after !== before && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await followersCount();
  }
  check(after === before, `followers totalItems is ${after} after the Undo, expected ${before}`);
  followerCounts = [before, during, after];
  say(`followers totalItems after the Undo: ${after}`);
  check(inboxErrors.length === 0, `Fedify inbox errors: ${inboxErrors.join("; ")}`);
}

try {
  await main();
} catch (error) {
  fail(error instanceof CheckFailed ? error.message : `unexpected error: ${error}`, error);
}

clearTimeout(overall);
server.close();
console.log("");
console.log(`PASS: Fedify ${FEDIFY_VERSION} (Node ${process.versions.node}) <-> pkgfed at ${pkgfedBase.origin} (${handle})`);
console.log(`  - followers totalItems: ${followerCounts.join(" -> ")} (before Follow, after Accept, after Undo)`);
for (const o of observations) console.log(`  - ${o}`);
process.exit(0);
