// Verifies consent receipts as a bank's system would, with Node's own crypto and no code of the platform's.
// stdin: {"key": <GET /api/v1/consents/public-key>, "jws": [compact JWS, ...]}
// stdout: {"verified": [[with the PEM, with the JWK], ...], "terms": payload of the first JWS}
import { readFileSync } from "node:fs";
import { createPublicKey, verify } from "node:crypto";

const input = JSON.parse(readFileSync(0, "utf8"));
const keys = [
  createPublicKey(input.key.public_key_pem),
  createPublicKey({ key: input.key.jwk, format: "jwk" }),
];

function check(jws, key) {
  const parts = jws.split(".");
  if (parts.length !== 3) return false;
  const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
  if (header.alg !== "EdDSA") return false; // RFC 8037; never trust a header's "none"
  const signingInput = Buffer.from(`${parts[0]}.${parts[1]}`, "ascii");
  return verify(null, signingInput, key, Buffer.from(parts[2], "base64url"));
}

const payload = input.jws[0].split(".")[1];
process.stdout.write(
  JSON.stringify({
    verified: input.jws.map((jws) => keys.map((key) => check(jws, key))),
    terms: JSON.parse(Buffer.from(payload, "base64url").toString("utf8")),
  }),
);
